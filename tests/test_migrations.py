"""Schema migrations: head revision, explicit upgrade, refusal of un-migrated stores."""

import subprocess
import sys

import pytest
from sqlalchemy import text

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
