"""A version registered from another model never names that model to a caller who may not
read it.

The reader may read the world's model A, not model B. A's version 2 was registered from
B's version 1 (``source="models:/B/1"``; in Staging, alias ``derived``) and version 3
fine-tuned from it (``parent=(B, 1)``). Wherever A's versions or A's audit trail are shown
(REST, MLflow API, CLI, web UI), B's name reads ``(hidden)``: ``models:/(hidden)/1``,
``"parent": {"name": "(hidden)", "version": 1}``. Run ids are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from auth_fixtures import unique

HIDDEN_SOURCE = "models:/(hidden)/1"


@dataclass
class Derived:
    model: str  # A, read by the reader
    base: str  # B, read by nobody but the admin
    run_id: str  # the run of B's version 1, which A's version 2 inherits


@pytest.fixture
def derived(auth_server, world):
    lib = auth_server.admin_lib
    base = unique("secret-base")
    lib.create_registered_model(base)
    lib.create_model_version(base, f"runs:/{world.run_id}/model")
    lib.create_model_version(world.model, f"models:/{base}/1")
    lib.create_model_version(world.model, f"runs:/{world.run_id}/model", parent=(base, 1))
    lib.transition_model_version_stage(world.model, 2, "Staging")
    lib.set_registered_model_alias(world.model, "derived", 2)
    return Derived(world.model, base, world.run_id)


# (method, path, query or body): every read that shows A's version 2 or A's history.
READS = {
    "get": ("GET", "/api/v1/registered-models/{model}/versions/2", {}),
    "search": ("GET", "/api/v1/model-versions", {"filter_string": "name = '{model}'"}),
    "latest": ("GET", "/api/v1/registered-models/{model}/latest-versions", {}),
    "alias": ("GET", "/api/v1/registered-models/{model}/aliases/derived", {}),
    "registered model": ("GET", "/api/v1/registered-models/{model}", {}),
    "model search": ("GET", "/api/v1/registered-models", {"filter_string": "name = '{model}'"}),
    "resolve": ("GET", "/api/v1/model-versions/resolve", {"uri": "models:/{model}@derived"}),
    "history": ("GET", "/api/v1/registered-models/{model}/history", {}),
    "mlflow get": ("GET", "/api/2.0/mlflow/model-versions/get", {"name": "{model}", "version": 2}),
    "mlflow search": ("GET", "/api/2.0/mlflow/model-versions/search", {"filter": "name='{model}'"}),
    "mlflow latest": ("POST", "/api/2.0/mlflow/registered-models/get-latest-versions", {}),
    "mlflow registered model": ("GET", "/api/2.0/mlflow/registered-models/get", {}),
    "mlflow alias": (
        "GET",
        "/api/2.0/mlflow/registered-models/alias",
        {"name": "{model}", "alias": "derived"},
    ),
}


def read(auth_server, user: str, derived: Derived, what: str) -> str:
    method, path, params = READS[what]
    params = {"name": "{model}", **params} if "mlflow/registered-models" in path else params
    filled = {k: str(v).format(model=derived.model) for k, v in params.items()}
    with auth_server.http(user) as http:
        if method == "GET":
            response = http.get(path.format(model=derived.model), params=filled)
        else:
            response = http.post(path.format(model=derived.model), json=filled)
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("what", READS)
def test_a_readers_responses_never_name_the_source_model(auth_server, derived, what):
    text = read(auth_server, "reader", derived, what)

    assert derived.base not in text
    assert "(hidden)" in text


@pytest.mark.parametrize("what", READS)
def test_the_source_model_shows_once_the_reader_may_read_it(auth_server, derived, what):
    auth_server.grant("reader", "read", model=derived.base)

    text = read(auth_server, "reader", derived, what)

    assert derived.base in text and "(hidden)" not in text


@pytest.mark.parametrize("what", READS)
def test_an_admin_sees_the_source_model(auth_server, derived, what):
    text = read(auth_server, "admin", derived, what)

    assert derived.base in text and "(hidden)" not in text


def test_a_hidden_source_keeps_its_shape_and_its_run(auth_server, derived):
    version = auth_server.client("reader").get_model_version(derived.model, 2)

    assert (version.source, version.run_id) == (HIDDEN_SOURCE, derived.run_id)


def test_the_stored_source_is_unchanged(auth_server, derived):
    auth_server.client("reader").get_model_version(derived.model, 2)

    stored = auth_server.admin_lib.get_model_version(derived.model, 2)
    assert stored.source == f"models:/{derived.base}/1"


def test_an_alias_source_keeps_the_alias_but_not_the_name(auth_server, derived):
    lib = auth_server.admin_lib
    lib.set_registered_model_alias(derived.base, "gold", 1)
    lib.create_model_version(derived.model, f"models:/{derived.base}@gold")

    version = auth_server.client("reader").get_model_version(derived.model, 4)

    assert version.source == "models:/(hidden)@gold"


def test_a_source_of_a_readable_model_is_shown_beside_a_hidden_one(auth_server, derived, world):
    auth_server.admin_lib.create_model_version(derived.model, f"models:/{world.model}/1")

    found = auth_server.client("reader").search_model_versions(f"name = '{derived.model}'")

    sources = {v.version: v.source for v in found}
    assert sources[2] == HIDDEN_SOURCE and sources[4] == f"models:/{world.model}/1"


def test_a_readers_history_hides_the_parent_and_source_of_created_versions(auth_server, derived):
    events = auth_server.client("reader").get_history(derived.model)

    created = {e.version: e.after for e in events if e.action == "create_model_version"}
    assert created[2]["source"] == HIDDEN_SOURCE
    assert created[3]["parent"] == {"name": "(hidden)", "version": 1}


def test_a_readers_history_hides_the_source_of_a_deleted_version(auth_server, derived):
    auth_server.admin_lib.delete_model_version(derived.model, 2)

    events = auth_server.client("reader").get_history(derived.model, 2)

    deleted = next(e for e in events if e.action == "delete_model_version")
    assert deleted.before["source"] == HIDDEN_SOURCE


def test_the_history_command_of_a_reader_names_no_hidden_model(auth_server, derived):
    result = auth_server.cli("reader", ["history", derived.model, "--json"])

    assert result.exit_code == 0, result.output
    assert derived.base not in result.output and "(hidden)" in result.output


def test_the_web_ui_version_page_names_no_hidden_model(auth_server, derived):
    with auth_server.http("reader") as http:
        pages = [http.get(f"/ui/models/{derived.model}/versions/{n}") for n in (2, 3)]

    assert [p.status_code for p in pages] == [200, 200]
    assert [derived.base in p.text for p in pages] == [False, False]
    assert "models:/(hidden)/1" in pages[0].text


def test_the_web_ui_version_page_of_an_admin_names_the_source_model(auth_server, derived):
    with auth_server.http("admin") as http:
        page = http.get(f"/ui/models/{derived.model}/versions/2")

    assert f"models:/{derived.base}/1" in page.text


def test_a_readers_diff_hides_the_source_model(auth_server, derived):
    diff = auth_server.client("reader").diff_versions(derived.model, 1, 2)

    assert diff.attributes["source"][1] == HIDDEN_SOURCE
