"""Schema migrations: head revision, explicit upgrade, refusal of un-migrated stores."""

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, inspect, text

from fresh_databases import migrate_to, planner_statistics, someone_waits_for_a_lock
from modelreg.errors import Conflict
from modelreg.store.database import HEAD_REVISION, Database
from modelreg.store.migrate import head_revision


def test_head_revision_constant_matches_the_newest_migration():
    assert HEAD_REVISION == head_revision()


def test_unmigrated_database_is_refused_when_upgrade_is_off(sqlite_uri):
    with pytest.raises(Conflict, match="modelreg db upgrade"):
        Database(sqlite_uri).ensure_schema(upgrade=False)


def test_upgrade_creates_the_schema_and_is_idempotent(sqlite_uri):
    db = Database(sqlite_uri)

    db.upgrade()
    db.upgrade()

    assert db.current_revision() == HEAD_REVISION
    with db.read() as conn:
        assert conn.execute(text("SELECT name FROM experiments")).scalars().all() == ["Default"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_uri):
    db = Database(sqlite_uri)
    db.upgrade()

    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_connections_cache_sixteen_mebibytes_of_pages(sqlite_uri):
    db = Database(sqlite_uri)
    db.upgrade()

    with db.read() as conn:
        # A negative cache_size is a size in KiB rather than a number of pages.
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -16 * 1024


def test_db_upgrade_command_migrates_postgresql(pg_url):
    import psycopg

    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    name = pg_url.rsplit("/", 1)[1] + "_cli"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_url + "_cli"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "modelreg", "db", "upgrade", "--backend-store-uri", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        db = Database(url)
        assert db.current_revision() == HEAD_REVISION
        db.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_four_processes_opening_a_fresh_store_at_once_all_succeed(tmp_path):
    code = "import sys; from modelreg import Client; c = Client(sys.argv[1]); c.create_run('0')"
    uri = str(tmp_path / "fresh")
    procs = [
        subprocess.Popen([sys.executable, "-c", code, uri], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]

    assert [p.returncode for p in procs] == [0] * 4, errors


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, sqlite_uri: str) -> Iterator[str]:
    """The URL of a new, empty database of each kind."""
    if request.param == "sqlite":
        yield sqlite_uri
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) without PostgreSQL
    from fresh_databases import new_postgres_database

    with new_postgres_database("modelreg_0005") as url:
        yield url


_EVENT_0004 = text(
    "INSERT INTO audit_events (timestamp, actor, action, model_id, model_name, version, "
    "before, after, reason) VALUES (1, 'ann', 'transition_stage', 7, 'fraud', 2, "
    """'{"stage": "None"}', '{"stage": "Production"}', 'passed eval')"""
)


def test_upgrade_from_0004_keeps_the_audit_trail_as_model_events(empty_database):
    from modelreg.services.access import AccessService

    migrate_to(empty_database, "0004")
    db = Database(empty_database)
    with db.write() as conn:
        conn.execute(_EVENT_0004)

    db.upgrade()

    [event] = AccessService(db).get_audit_events("model", "fraud")
    db.dispose()
    assert (event.event_id, event.actor, event.action, event.version) == (
        1,
        "ann",
        "transition_stage",
        2,
    )
    assert (event.entity_type, event.entity_id, event.model_name) == ("model", "fraud", "fraud")
    assert (event.before, event.after, event.reason) == (
        {"stage": "None"},
        {"stage": "Production"},
        "passed eval",
    )


def test_after_0005_events_about_users_need_no_model_and_new_ids_follow_old_ones(empty_database):
    from modelreg.services.access import AccessService

    migrate_to(empty_database, "0004")
    db = Database(empty_database)
    with db.write() as conn:
        conn.execute(_EVENT_0004)
    db.upgrade()

    AccessService(db).create_user("alice")

    events = AccessService(db).get_audit_events()
    db.dispose()
    assert [(e.event_id, e.entity_type, e.entity_id, e.model_name) for e in events] == [
        (1, "model", "fraud", "fraud"),
        (2, "user", "alice", None),
        (3, "token", "1", None),
    ]


def _downgrade_to(url: str, revision: str) -> None:
    from alembic import command

    from modelreg.store.migrate import alembic_config

    db = Database(url)
    with db.write() as conn:
        command.downgrade(alembic_config(conn), revision)
    db.dispose()


_MODELS_0005 = [
    # name, then (version, semver) in registration order
    ("lower-hotfix-later", [(1, "1.2.3"), (2, "1.0.9")]),
    ("prerelease-on-top", [(1, "1.4.0"), (2, "2.0.0-rc.1")]),
    ("equal-precedence", [(1, "1.2.0+build.1"), (2, "1.2.0+build.2")]),
    ("no-versions", []),
]


def _insert_models_0005(url: str) -> None:
    db = Database(url)
    with db.write() as conn:
        for model_id, (name, versions) in enumerate(_MODELS_0005, start=1):
            conn.execute(
                text(
                    "INSERT INTO registered_models (model_id, name, creation_time, "
                    "last_updated_time, last_version) VALUES (:id, :name, 1, 1, :last)"
                ),
                {"id": model_id, "name": name, "last": len(versions)},
            )
            for version, semver in versions:
                conn.execute(
                    text(
                        "INSERT INTO model_versions (model_id, version, semver, current_stage, "
                        "source, user_id, status, creation_time, last_updated_time) VALUES "
                        "(:id, :v, :s, 'None', 'models:/x/1', 'ann', 'READY', 1, 1)"
                    ),
                    {"id": model_id, "v": version, "s": semver},
                )
    db.dispose()


def _select(url: str, sql: str) -> list:
    db = Database(url)
    with db.read() as conn:
        rows = conn.execute(text(sql)).all()
    db.dispose()
    return rows


def _tops(url: str) -> dict[str, tuple]:
    rows = _select(url, "SELECT name, top_version, top_semver FROM registered_models")
    return {name: (version, semver) for name, version, semver in rows}


def test_upgrade_to_0006_names_each_models_highest_semver(empty_database):
    migrate_to(empty_database, "0005")
    _insert_models_0005(empty_database)

    Database(empty_database).upgrade()

    assert _tops(empty_database) == {
        "lower-hotfix-later": (1, "1.2.3"),
        "prerelease-on-top": (2, "2.0.0-rc.1"),
        "equal-precedence": (1, "1.2.0+build.1"),
        "no-versions": (None, None),
    }


def test_after_0006_the_next_version_bumps_from_the_migrated_highest(
    empty_database, tmp_path, monkeypatch
):
    from modelreg import Client
    from modelreg.backend import clear_backend_cache

    migrate_to(empty_database, "0005")
    _insert_models_0005(empty_database)
    Database(empty_database).upgrade()
    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    clear_backend_cache()
    client = Client(empty_database)

    bumped = [
        client.create_model_version(name, "models:/lower-hotfix-later/1", bump="minor").semver
        for name in ("lower-hotfix-later", "prerelease-on-top", "no-versions")
    ]
    clear_backend_cache()

    assert bumped == ["1.3.0", "2.0.0", "1.0.0"]


def test_0006_downgrades_to_the_semver_index_and_upgrades_again(empty_database):
    migrate_to(empty_database, "0005")
    _insert_models_0005(empty_database)
    Database(empty_database).upgrade()

    _downgrade_to(empty_database, "0005")
    db = Database(empty_database)
    with db.read() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("registered_models")}
        indexes = {tuple(i["column_names"]) for i in inspect(conn).get_indexes("model_versions")}
    db.dispose()
    assert "top_semver" not in columns
    assert ("model_id", "semver_major", "semver_minor", "semver_patch") in indexes

    Database(empty_database).upgrade()
    assert _tops(empty_database)["lower-hotfix-later"] == (1, "1.2.3")


# Alembic cannot reflect SQLite's expression-based indexes; the next test compares them.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index",
    "ignore:autogenerate skipping metadata-specified expression-based index",
)
def test_the_migrated_schema_is_the_schema_the_code_declares(empty_database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from modelreg.store.all_tables import metadata

    db = Database(empty_database)
    db.upgrade()
    with db.read() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    db.dispose()

    assert differences == []


def test_the_migrated_expression_indexes_are_those_the_code_declares_on_sqlite(sqlite_uri):
    from sqlalchemy import Column
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex

    from modelreg.store.all_tables import metadata

    declared = {
        index.name: str(CreateIndex(index).compile(dialect=sqlite.dialect())).strip()
        for table in metadata.sorted_tables
        for index in table.indexes
        if any(not isinstance(e, Column) for e in index.expressions)
    }
    db = Database(sqlite_uri)
    db.upgrade()
    with db.read() as conn:
        stored = dict(
            conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            ).all()
        )
    db.dispose()

    assert len(declared) >= 4
    assert {name: stored.get(name) for name in declared} == declared


def _insert_tags_and_aliases(url: str) -> None:
    db = Database(url)
    with db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO model_version_tags (version_id, key, value) SELECT version_id, 'k', "
                "semver FROM model_versions WHERE model_id = 1"
            )
        )
        conn.execute(
            text(
                "INSERT INTO model_aliases (model_id, alias, version_id) SELECT model_id, "
                "'champion', version_id FROM model_versions WHERE model_id = 2 AND version = 2"
            )
        )
    db.dispose()


def _version_json(url: str) -> dict[tuple[int, int], tuple]:
    """Schema 0007's JSON copies of each version's tags and aliases."""
    rows = _select(url, "SELECT model_id, version, tags_json, aliases_json FROM model_versions")
    return {
        (m, v): (tags and json.loads(tags), aliases and json.loads(aliases))
        for m, v, tags, aliases in rows
    }


def test_upgrade_to_0007_puts_each_versions_tags_and_aliases_on_its_row(empty_database):
    migrate_to(empty_database, "0006")
    _insert_models_0005(empty_database)
    _insert_tags_and_aliases(empty_database)

    migrate_to(empty_database, "0007")

    assert _version_json(empty_database) == {
        (1, 1): ({"k": "1.2.3"}, None),
        (1, 2): ({"k": "1.0.9"}, None),
        (2, 1): (None, None),
        (2, 2): (None, {"champion": 1}),
        (3, 1): (None, None),
        (3, 2): (None, None),
    }


def _tags_and_aliases(url: str) -> dict[tuple[str, int], tuple]:
    """Each version's tags and aliases as the registry reads them."""
    from modelreg.store import registry

    db = Database(url)
    with db.read() as conn:
        versions = registry.fetch_versions(conn, registry.ALL_VERSIONS)
    db.dispose()
    return {(v.name, v.version): (v.tags, v.aliases) for v in versions}


_READ_BACK = {
    ("lower-hotfix-later", 1): ({"k": "1.2.3"}, ()),
    ("lower-hotfix-later", 2): ({"k": "1.0.9"}, ()),
    ("prerelease-on-top", 1): ({}, ()),
    ("prerelease-on-top", 2): ({}, ("champion",)),
    ("equal-precedence", 1): ({}, ()),
    ("equal-precedence", 2): ({}, ()),
}


def _columns(url: str, table: str) -> set[str]:
    db = Database(url)
    with db.read() as conn:
        found = {c["name"] for c in inspect(conn).get_columns(table)}
    db.dispose()
    return found


def test_upgrade_to_0008_drops_the_json_copies_and_keeps_every_tag_and_alias(empty_database):
    migrate_to(empty_database, "0007")
    _insert_models_0005(empty_database)
    _insert_tags_and_aliases(empty_database)

    Database(empty_database).upgrade()

    assert not {"tags_json", "aliases_json"} & _columns(empty_database, "model_versions")
    assert _tags_and_aliases(empty_database) == _READ_BACK


def test_0008_downgrades_to_the_json_copies_and_upgrades_again(empty_database):
    Database(empty_database).upgrade()
    _insert_models_0005(empty_database)
    _insert_tags_and_aliases(empty_database)

    _downgrade_to(empty_database, "0007")
    json_at_0007 = _version_json(empty_database)
    db = Database(empty_database)
    with db.write() as conn:  # 0007's triggers are back and keep the copies
        conn.execute(text("DELETE FROM model_version_tags WHERE version_id = 2"))
    db.dispose()
    after_delete = _version_json(empty_database)
    Database(empty_database).upgrade()

    assert json_at_0007[(2, 2)] == (None, {"champion": 1})
    assert json_at_0007[(1, 2)] == ({"k": "1.0.9"}, None)
    assert after_delete[(1, 2)] == (None, None)
    assert "tags_json" not in _columns(empty_database, "model_versions")
    assert _tags_and_aliases(empty_database) == {**_READ_BACK, ("lower-hotfix-later", 2): ({}, ())}


def test_concurrent_tag_inserts_on_one_version_lose_no_tag(pg_url):
    """Two transactions tag one version at once (PostgreSQL, READ COMMITTED): both tags show.

    Schema 0007 rewrote a JSON copy of the version's tags from what each
    transaction saw, so the second to commit dropped the first one's tag."""
    import threading

    from fresh_databases import new_postgres_database
    from modelreg.store import registry

    with new_postgres_database("modelreg_tags") as url:
        db = Database(url)
        db.upgrade()
        _insert_models_0005(url)
        first_tagged = threading.Event()
        waited: list[bool] = []

        def first() -> None:
            with db.write() as conn:
                registry.insert_version_tags(conn, 1, {"reviewed": "yes"})
                first_tagged.set()
                # Commits only once the second transaction waits for this one.
                waited.append(someone_waits_for_a_lock(url))

        def second() -> None:
            first_tagged.wait(10)
            with db.write() as conn:
                registry.insert_version_tags(conn, 1, {"approved": "yes"})

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        found = _tags_and_aliases(url)[("lower-hotfix-later", 1)]
        db.dispose()

    assert waited == [True]
    assert found == ({"reviewed": "yes", "approved": "yes"}, ())


def test_upgrade_to_0014_keeps_each_metric_point_once(empty_database):
    migrate_to(empty_database, "0013")
    db = Database(empty_database)
    with db.write() as conn:
        _insert_a_run(conn)
        point = "INSERT INTO metrics (run_id, key, value, is_nan, step, timestamp) VALUES "
        for values in ["('r1', 'm', 0.5, false, 1, 10)"] * 3 + [
            "('r1', 'm', 0.6, false, 1, 10)",
            "('r1', 'm', 0.5, false, 2, 10)",
            "('r1', 'm', NULL, true, 3, 10)",
            "('r1', 'm', NULL, true, 3, 10)",
        ]:
            conn.execute(text(point + values))
    db.dispose()

    migrate_to(empty_database, "0014")

    rows = _select(empty_database, "SELECT step, value FROM metrics ORDER BY step, value")
    assert [tuple(r) for r in rows] == [(1, 0.5), (1, 0.6), (2, 0.5), (3, None), (3, None)]


def _insert_a_run(conn: Connection) -> None:
    """Run 'r1' of experiment 7, in the columns every revision since 0013 has."""
    conn.execute(
        text(
            "INSERT INTO experiments (experiment_id, name, artifact_location, "
            "lifecycle_stage, creation_time, last_update_time) "
            "VALUES (7, 'e', 'x', 'active', 0, 0)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO runs (run_id, experiment_id, run_name, user_id, status, start_time, "
            "lifecycle_stage, artifact_uri) VALUES ('r1', 7, 'r', 'u', 'RUNNING', 0, "
            "'active', 'x')"
        )
    )


def test_upgrading_a_postgresql_database_that_holds_rows_refreshes_the_planner_statistics(
    pg_url,
):
    # Autovacuum analyzes a table only after 50 changed rows: one run stays unanalyzed.
    from fresh_databases import new_postgres_database

    with new_postgres_database("modelreg_stats") as url:
        migrate_to(url, "0019")
        db = Database(url)
        with db.write() as conn:
            _insert_a_run(conn)
        assert not planner_statistics(db, "runs")

        db.upgrade()

        assert planner_statistics(db, "runs")
        db.dispose()


def test_upgrade_to_0021_names_the_logged_model_of_each_version_made_from_one(empty_database):
    logged = "m-" + "a" * 32
    migrate_to(empty_database, "0020")
    db = Database(empty_database)
    with db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO registered_models (model_id, name, creation_time, "
                "last_updated_time, last_version) VALUES (1, 'clf', 1, 1, 3), "
                "(2, 'clf-prod', 1, 1, 1)"
            )
        )
        for model_id, version, source in [
            (1, 1, f"models:/{logged}"),
            (1, 2, "runs:/r1/model"),
            (1, 3, f"models:/{logged}/sub/folder"),
            (2, 1, "models:/clf/1"),  # a copy of a version made from the logged model
        ]:
            conn.execute(
                text(
                    "INSERT INTO model_versions (model_id, version, semver, current_stage, "
                    "source, user_id, status, creation_time, last_updated_time) VALUES "
                    "(:id, :v, :s, 'None', :source, 'ann', 'READY', 1, 1)"
                ),
                {"id": model_id, "v": version, "s": f"1.0.{version}", "source": source},
            )
    db.dispose()

    migrate_to(empty_database, "0021")

    rows = _select(empty_database, "SELECT model_id, version, logged_model_id FROM model_versions")
    assert sorted(tuple(r) for r in rows) == [
        (1, 1, logged),
        (1, 2, None),
        (1, 3, logged),
        (2, 1, logged),
    ]


_MLFLOW_DESCRIPTION = {"name": "train", "digest": "abc", "source_type": "local"}


def _insert_inputs_0021(url: str) -> None:
    """Run 'r1' with an input an MLflow client logged (its tags in its source, as before
    0022) in context 'training', one logged without a context and two of modelreg's."""
    db = Database(url)
    with db.write() as conn:
        _insert_a_run(conn)
        for dataset_id, name in [(1, "train"), (2, "bare"), (3, "own"), (4, "braced")]:
            conn.execute(
                text(
                    "INSERT INTO datasets (dataset_id, name, digest, creation_time) "
                    "VALUES (:id, :name, :digest, 0)"
                ),
                {"id": dataset_id, "name": name, "digest": str(dataset_id) * 64},
            )
        tags = {"mlflow.data.context": "training", "split": "q4"}
        for dataset_id, context, source in [
            (1, "training", {"mlflow_dataset": _MLFLOW_DESCRIPTION, "tags": tags}),
            (2, "unspecified", {"mlflow_dataset": _MLFLOW_DESCRIPTION, "tags": {}}),
            (3, "training", None),
            (4, "training", "{not json"),
        ]:
            conn.execute(
                text(
                    "INSERT INTO run_inputs (run_id, dataset_id, context, timestamp, source) "
                    "VALUES ('r1', :id, :context, 0, :source)"
                ),
                {
                    "id": dataset_id,
                    "context": context,
                    "source": source
                    if not isinstance(source, dict)
                    else json.dumps(source, sort_keys=True),
                },
            )
    db.dispose()


def _inputs(url: str) -> list[tuple]:
    rows = _select(url, "SELECT dataset_id, source, tags FROM run_inputs ORDER BY dataset_id")
    return [(i, source, tags and json.loads(tags)) for i, source, tags in rows]


def test_upgrade_to_0022_moves_the_tags_of_mlflow_inputs_out_of_their_source(empty_database):
    migrate_to(empty_database, "0021")
    _insert_inputs_0021(empty_database)

    migrate_to(empty_database, "0022")

    assert _inputs(empty_database) == [
        (1, json.dumps({"mlflow_dataset": _MLFLOW_DESCRIPTION}, sort_keys=True), {"split": "q4"}),
        (2, json.dumps({"mlflow_dataset": _MLFLOW_DESCRIPTION}, sort_keys=True), None),
        (3, None, None),
        (4, "{not json", None),
    ]


def test_0022_downgrades_to_the_tags_in_the_source(empty_database):
    migrate_to(empty_database, "0021")
    _insert_inputs_0021(empty_database)
    before = _select(empty_database, "SELECT source FROM run_inputs ORDER BY dataset_id")
    migrate_to(empty_database, "0022")

    _downgrade_to(empty_database, "0021")

    assert _select(empty_database, "SELECT source FROM run_inputs ORDER BY dataset_id") == before
