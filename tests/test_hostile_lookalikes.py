"""Names that render alike are one name: a look-alike of an existing name is refused.

#14 point 6: next to a protected alias ``champion`` an edit user created
``сhampion`` (Cyrillic с), ``ｃhampion`` (full-width), ``Champion`` and
``champion.``, which resolve to her version and read the same; a user with no
role created models that render like existing ones with invisible
characters and a bidi control, or Cyrillic, Greek, full-width and
mathematical letters. Each name now has a look-alike key (NFKC case fold and
the Unicode TS #39 skeleton) under a unique index, and characters that show
nothing are refused outright.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from fresh_databases import migrate_to
from modelreg.errors import AlreadyExists, InvalidArgument, PermissionDenied
from test_migrations import empty_database  # noqa: F401

# ruff: noqa: F811  (the fixture imported above is a parameter below)

LOOKALIKE_ALIASES = [
    pytest.param("\u0441hampion", id="cyrillic-es"),
    pytest.param("\uff43hampion", id="full-width"),
    pytest.param("Champion", id="capital"),
    pytest.param("CHAMPION", id="upper-case"),
    pytest.param("champion.", id="trailing-dot"),
    pytest.param("-champion", id="leading-hyphen"),
    pytest.param("\U0001d41champion", id="mathematical-bold"),
    pytest.param("ch\u0430mpi\u043en", id="cyrillic-a-and-o"),
]

# Characters that show nothing or change how the rest shows (the review's list).
INVISIBLE = [
    pytest.param(ch, id=f"U+{ord(ch):04X}")
    for ch in "\u00ad\u034f\u180e\u3164\u2800\ufe0f\U000e0041\u115f\u1160\uffa0\u061c\u200d\u00a0"
]

LOOKALIKE_NAMES = [
    pytest.param("fr\u0430ud", id="cyrillic-a"),
    pytest.param("fr\u03b1ud", id="greek-alpha"),
    pytest.param("\uff46raud", id="full-width"),
    pytest.param("\U0001d41fraud", id="mathematical-bold"),
    pytest.param("Fraud", id="capital"),
    pytest.param("fraud_", id="trailing-underscore"),
]


@pytest.fixture
def champion(client):
    run_id = client.create_run("0").info.run_id
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    client.create_model_version("m", f"runs:/{run_id}/model")
    client.set_registered_model_alias("m", "champion", 1)
    return client


@pytest.mark.parametrize("alias", LOOKALIKE_ALIASES)
def test_an_alias_that_looks_like_an_existing_one_is_refused_naming_it(champion, alias):
    with pytest.raises(AlreadyExists, match="looks like the existing alias 'champion'"):
        champion.set_registered_model_alias("m", alias, 2)

    assert champion.get_registered_model("m").aliases == {"champion": 1}


def test_an_alias_still_moves_and_a_different_one_is_still_set(champion):
    champion.set_registered_model_alias("m", "champion", 2)
    champion.set_registered_model_alias("m", "challenger", 1)

    assert champion.get_registered_model("m").aliases == {"champion": 2, "challenger": 1}


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_names_and_aliases_with_an_invisible_character_are_refused(champion, invisible):
    name = f"fra{invisible}ud"
    for attempt in (
        lambda: champion.create_registered_model(name),
        lambda: champion.create_experiment(name),
        lambda: champion.set_registered_model_alias("m", f"champ{invisible}ion", 2),
    ):
        with pytest.raises(InvalidArgument, match=f"U\\+{ord(invisible):04X}"):
            attempt()

    assert [m.name for m in champion.search_registered_models()] == ["m"]


@pytest.mark.parametrize("name", LOOKALIKE_NAMES)
def test_a_model_name_that_looks_like_an_existing_one_is_refused_naming_it(client, name):
    client.create_registered_model("fraud")

    with pytest.raises(AlreadyExists, match="looks like that of the existing registered model"):
        client.create_registered_model(name)

    assert [m.name for m in client.search_registered_models()] == ["fraud"]


@pytest.mark.parametrize("name", LOOKALIKE_NAMES)
def test_an_experiment_name_that_looks_like_an_existing_one_is_refused_naming_it(client, name):
    client.create_experiment("fraud")

    with pytest.raises(AlreadyExists, match="existing experiment 'fraud'"):
        client.create_experiment(name)


def test_a_rename_to_a_look_alike_of_another_name_is_refused(client):
    client.create_registered_model("fraud")
    client.create_registered_model("churn")
    experiment_id = client.create_experiment("churn")
    client.create_experiment("fraud")

    with pytest.raises(AlreadyExists, match="'fraud'"):
        client.rename_registered_model("churn", "Fr\u0430ud")
    with pytest.raises(AlreadyExists, match="'fraud'"):
        client.rename_experiment(experiment_id, "FRAUD")


def test_a_rename_to_a_look_alike_of_its_own_name_is_allowed(client):
    client.create_registered_model("fraud")

    client.rename_registered_model("fraud", "Fraud")

    assert [m.name for m in client.search_registered_models()] == ["Fraud"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_look_alikes_created_at_once_leave_exactly_one(tmp_path, request, backend):
    """The unique index, not the look before the write, is what holds under a race."""
    from modelreg import Client

    if backend == "sqlite":
        uri = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        from conftest import reset_postgres

        uri = request.getfixturevalue("pg_url")
        reset_postgres(uri)
    names = [
        "fraud",
        "fr\u0430ud",
        "Fraud",
        "FRAUD",
        "fraud.",
        "\uff46raud",
        "fr\u03b1ud",
        "fraud-",
    ]
    Client(uri).search_registered_models()  # the schema exists before the race
    barrier = threading.Barrier(len(names))
    outcomes: list[str] = []

    def create(name: str) -> None:
        client = Client(uri)
        barrier.wait()
        try:
            client.create_registered_model(name)
            outcomes.append("created")
        except AlreadyExists:
            outcomes.append("refused")

    threads = [threading.Thread(target=create, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["created"] + ["refused"] * (len(names) - 1)
    assert len(Client(uri).search_registered_models()) == 1


# -- with --auth ---------------------------------------------------------------------------


def test_an_editor_cannot_plant_a_look_alike_of_an_alias(auth_server, world):
    editor = auth_server.client("editor")

    with pytest.raises(AlreadyExists, match="'champion'"):
        editor.set_registered_model_alias(world.model, "\u0441hampion", 1)


def test_an_editor_cannot_plant_a_look_alike_of_a_protected_alias(auth_server, world):
    auth_server.admin_lib.set_model_protection(world.model, protected_aliases=["champion"])
    editor = auth_server.client("editor")

    with pytest.raises(PermissionDenied, match="protected"):
        editor.set_registered_model_alias(world.model, "\u0441hampion", 1)


def test_a_look_alike_of_a_protected_alias_not_set_yet_needs_a_manager(auth_server, world):
    auth_server.admin_lib.set_model_protection(world.model, protected_aliases=["prod"])
    editor = auth_server.client("editor")

    with pytest.raises(PermissionDenied, match="protected"):
        editor.set_registered_model_alias(world.model, "Pr\u043ed", 1)


def test_a_stranger_cannot_create_a_model_that_renders_like_another(auth_server, world):
    stranger = auth_server.client("stranger")

    with pytest.raises(AlreadyExists, match="looks like"):
        stranger.create_registered_model(world.model.replace("a", "\u0430"))
    with pytest.raises(InvalidArgument, match="U\\+3164"):
        stranger.create_registered_model(world.model + "\u3164")


# -- names that looked alike before the keys existed ------------------------------------


def test_names_that_looked_alike_before_the_migration_stay_and_no_new_one_joins_them(
    empty_database,
):
    from modelreg import Client
    from modelreg.store.database import Database

    migrate_to(empty_database, "0007")
    db = Database(empty_database)
    with db.write() as conn:
        for model_id, name in enumerate(["fraud", "fr\u0430ud"], start=1):
            conn.execute(
                text(
                    "INSERT INTO registered_models (model_id, name, creation_time, "
                    "last_updated_time, last_version) VALUES (:id, :name, 1, 1, 0)"
                ),
                {"id": model_id, "name": name},
            )
    db.upgrade()
    db.dispose()
    client = Client(empty_database)

    assert sorted(m.name for m in client.search_registered_models()) == ["fraud", "fr\u0430ud"]
    with pytest.raises(AlreadyExists, match="existing registered model 'fraud'"):
        client.create_registered_model("FR\u0410UD")
    client.rename_registered_model("fr\u0430ud", "fraud-detector")
    assert client.get_registered_model("fraud-detector").name == "fraud-detector"
