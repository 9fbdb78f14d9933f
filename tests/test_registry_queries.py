"""Reads stay a fixed number of SQL statements however many rows they return (no N+1).

The statements are counted by a listener on the engine, which sees every
statement the store runs: there is one way to run SQL, listened to or not.
"""

import pytest
from sqlalchemy import event

from conftest import reset_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def embedded(request, sqlite_uri, monkeypatch, tmp_path):
    """A Client on an embedded store and a list that records each SQL statement it runs."""
    from modelreg import Client
    from modelreg.backend import clear_backend_cache

    clear_backend_cache()
    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    uri = sqlite_uri
    if request.param == "postgres":
        uri = request.getfixturevalue("pg_url")
        reset_postgres(uri)
    client = Client(uri)
    statements: list[str] = []
    engine = client._backend.db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield client, statements
    event.remove(engine, "before_cursor_execute", record)
    clear_backend_cache()


def selects(statements):
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


@pytest.fixture
def many(embedded):
    """Two models with 30 versions each, every version tagged, some aliased."""
    client, statements = embedded
    source = f"runs:/{client.create_run('0').info.run_id}/model"
    for name in ("fraud", "churn"):
        client.create_registered_model(name, tags={"team": "x"})
        for i in range(30):
            client.create_model_version(name, source, tags={"i": str(i)})
        client.set_registered_model_alias(name, "champion", 3)
        client.transition_model_version_stage(name, 2, "Production")
    statements.clear()
    return client, statements


@pytest.mark.parametrize("page", [5, 1000])
def test_searching_versions_is_one_query_whatever_the_page_size(many, page):
    client, statements = many

    found = client.search_model_versions(max_results=page)

    assert len(found) == min(page, 60)
    assert all(v.tags for v in found)
    assert len(selects(statements)) == 1  # tags and aliases come with the versions


def test_searching_models_is_two_queries_whatever_the_page_size(many):
    client, statements = many

    found = client.search_registered_models()

    assert [m.aliases for m in found] == [{"champion": 3}, {"champion": 3}]
    assert [v.tags for v in found[0].latest_versions] == [{"i": "29"}, {"i": "1"}]
    assert len(selects(statements)) == 2  # the models, then their latest versions


def test_getting_a_version_is_one_query(many):
    client, statements = many

    version = client.get_model_version("fraud", 3)

    assert version.aliases == ("champion",) and version.tags == {"i": "2"}
    assert len(selects(statements)) == 1


def test_resolving_an_alias_is_one_query(many):
    client, statements = many

    assert client.get_model_version_by_alias("fraud", "champion").version == 3
    assert len(selects(statements)) == 1


def test_latest_versions_are_two_queries(many):
    client, statements = many

    latest = client.get_latest_versions("fraud")

    assert [(v.current_stage, v.version) for v in latest] == [("None", 30), ("Production", 2)]
    assert len(selects(statements)) == 2  # the model's id, then its latest versions


@pytest.fixture
def from_hidden_models(embedded):
    """Model 'derived' with 10 versions, each registered from and fine-tuned from version 1
    of its own base model, and the principal of a user who may read 'derived' only."""
    from modelreg.services.principal import acting_principal

    client, statements = embedded
    source = f"runs:/{client.create_run('0').info.run_id}/model"
    client.create_registered_model("derived")
    for i in range(10):
        client.create_registered_model(f"base-{i}")
        client.create_model_version(f"base-{i}", source)
        client.create_model_version("derived", f"models:/base-{i}/1", parent=(f"base-{i}", 1))
    access = client._backend.access
    token = access.create_user("reader").token
    access.set_model_permission("derived", "reader", "read")
    reader = access.authenticate(token)
    statements.clear()
    return client, statements, acting_principal(reader)


def test_a_restricted_version_search_looks_up_the_models_of_a_page_at_once(from_hidden_models):
    client, statements, as_reader = from_hidden_models

    with as_reader:
        found = client.search_model_versions("name = 'derived'")

    assert {v.source for v in found} == {"models:/(hidden)/1"} and len(found) == 10
    assert len(selects(statements)) == 2  # the versions, then the names readable


def test_a_restricted_history_looks_up_the_models_it_names_at_once(from_hidden_models):
    client, statements, as_reader = from_hidden_models

    with as_reader:
        events = client.get_history("derived")

    parents = [e.after["parent"]["name"] for e in events if e.action == "create_model_version"]
    assert parents == ["(hidden)"] * 10
    assert len(selects(statements)) == 3  # the model's id, its events, the readable names
