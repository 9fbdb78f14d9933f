"""Look-alike names: whatever way a name is spelled or encoded, it is one name.

A model or experiment name is canonical once checked (URL-decoded once, Unicode
NFC), so ``a b`` and ``a%20b``, or ``café`` composed and decomposed, are the
same name and the second create is 409. Names that cannot be read one way
only (URL-encoded twice, invisible or bidirectional characters, ``.``/``..``)
are refused.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from modelreg.errors import AlreadyExists, InvalidArgument

LOOKALIKES = [
    pytest.param("a b", "a%20b", id="space-vs-percent-20"),
    pytest.param("caf\u00e9", "cafe\u0301", id="nfc-vs-nfd"),
    pytest.param("50% off", "50%25 off", id="percent-vs-percent-25"),
    pytest.param("\u00c5ngstr\u00f6m", "A\u030angstro\u0308m", id="two-combining-marks"),
]


@pytest.mark.parametrize(("first", "second"), LOOKALIKES)
def test_a_look_alike_model_name_is_the_same_model(client, first, second):
    created = client.create_registered_model(first)

    with pytest.raises(AlreadyExists) as refused:
        client.create_registered_model(second)

    assert refused.value.status == 409
    assert client.get_registered_model(second).name == created.name
    assert [m.name for m in client.search_registered_models()] == [created.name]


@pytest.mark.parametrize(("first", "second"), LOOKALIKES)
def test_a_look_alike_experiment_name_is_the_same_experiment(client, first, second):
    experiment_id = client.create_experiment(first)

    with pytest.raises(AlreadyExists):
        client.create_experiment(second)

    assert client.get_experiment_by_name(second).experiment_id == experiment_id


REFUSED = [
    ("a%2520b", "URL-encoded twice"),
    ("a%00b", "control"),
    ("a%ffb", "UTF-8"),
    (".", "'.'"),
    ("..", "'..'"),
    ("%2e%2e", "'..'"),
    ("admin\u202egpj.exe", "bidirectional"),
    ("fraud\u200b", "zero-width"),
    ("\ufefffraud", "zero-width"),
]


def test_names_that_read_two_ways_are_refused_saying_why(client):
    wrong = []
    for name, problem in REFUSED:
        for create in (client.create_registered_model, client.create_experiment):
            try:
                create(name)
                wrong.append((name, create.__name__, "accepted"))
            except InvalidArgument as exc:
                if problem not in exc.message:
                    wrong.append((name, create.__name__, exc.message))

    assert wrong == []


def test_an_encoded_slash_is_a_slash_which_experiment_names_take_and_model_names_do_not(client):
    experiment_id = client.create_experiment("team%2Fchurn")

    with pytest.raises(InvalidArgument, match="'/'"):
        client.create_registered_model("a%2Fb")
    assert client.get_experiment(experiment_id).name == "team/churn"
    assert client.get_experiment_by_name("team/churn").experiment_id == experiment_id


def test_the_server_decodes_a_name_in_its_url_once_into_the_same_model(live_server, pg_url):
    from conftest import reset_postgres

    reset_postgres(pg_url)
    base = f"{live_server}/api/v1/registered-models"
    httpx.post(base, json={"name": "a b"}).raise_for_status()

    by_space = httpx.get(f"{base}/{quote('a b')}")
    by_percent = httpx.get(f"{base}/{quote('a%20b', safe='')}")
    created = httpx.post(base, json={"name": "a%20b"})

    assert by_space.json()["name"] == by_percent.json()["name"] == "a b"
    assert created.status_code == 409
    assert created.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
