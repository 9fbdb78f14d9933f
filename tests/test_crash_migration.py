"""Migrations under crashes and crowds: kill -9 mid-upgrade, four upgraders at once.

The kill is deterministic: the upgrading process runs with a hook that stops
it just before its Nth schema statement, writes a marker file, and waits to
be killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from conftest import free_port, server_env, stop_server
from fresh_databases import migrate_to, new_postgres_database
from modelreg.cli import cli
from modelreg.store.database import HEAD_REVISION, Database

PAUSING_UPGRADE = textwrap.dedent(
    """
    import pathlib, sys, time
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url, marker, pause_at = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
    seen = 0

    @event.listens_for(Engine, "before_cursor_execute")
    def pause(conn, cursor, statement, parameters, context, executemany):
        global seen
        if statement.lstrip().upper().startswith(("CREATE", "ALTER", "DROP", "INSERT")):
            seen += 1
            if seen == pause_at:
                marker.write_text(statement)
                time.sleep(300)

    from modelreg.cli import main
    sys.argv = ["modelreg", "db", "upgrade", "--backend-store-uri", url]
    main()
    """
)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) without PostgreSQL
    with new_postgres_database("modelreg_mig") as url:
        yield url


def _tables(url: str) -> set[str]:
    db = Database(url)
    with db.read() as conn:
        names = set(inspect(conn).get_table_names())
    db.dispose()
    return names


def _revision(url: str) -> str | None:
    db = Database(url)
    revision = db.current_revision()
    db.dispose()
    return revision


@pytest.mark.parametrize(
    ("start", "pause_at"),
    [pytest.param(None, 6, id="from-empty"), pytest.param("0002", 3, id="from-0002")],
)
def test_kill_9_mid_migration_leaves_the_old_revision_and_upgrade_then_completes(
    empty_db, tmp_path, start, pause_at
):
    if start is not None:
        migrate_to(empty_db, start)
    tables_before = _tables(empty_db)
    marker = tmp_path / "paused"
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSING_UPGRADE, empty_db, str(marker), str(pause_at)],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists(), proc.stderr.read() if proc.poll() is not None else "no pause"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assert _revision(empty_db) == start
    assert _tables(empty_db) == tables_before
    result = CliRunner().invoke(cli, ["db", "upgrade", "--backend-store-uri", empty_db])
    assert result.exit_code == 0, result.output
    assert _revision(empty_db) == HEAD_REVISION


def test_four_upgrades_at_once_on_an_empty_database_migrate_it_exactly_once(empty_db):
    command = [sys.executable, "-m", "modelreg", "db", "upgrade", "--backend-store-uri", empty_db]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]

    # A second migration would fail on tables that already exist.
    assert [p.returncode for p in procs] == [0] * 4, outputs
    # Each says what it found under the lock: one migrated, three found it done.
    said = sorted(out.strip() for out, _ in outputs)
    assert said == [f"Database already at revision {HEAD_REVISION}."] * 3 + [
        f"Database upgraded from empty to revision {HEAD_REVISION}."
    ]
    db = Database(empty_db)
    with db.read() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (HEAD_REVISION,)
        ]
        assert conn.execute(text("SELECT name FROM experiments")).scalars().all() == ["Default"]
    db.dispose()


def _spawn_server(url: str, artifacts: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "modelreg", "server", "--upgrade", "--port", str(port)]
    command += ["--backend-store-uri", url, "--artifacts-uri", artifacts]
    with open(log, "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=server_env())
    return proc, f"http://127.0.0.1:{port}"


def _healthy(proc: subprocess.Popen, url: str, log: Path) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("empty_db", ["postgres"], indirect=True)  # where replicas share a database
def test_four_servers_started_at_once_with_upgrade_migrate_once_and_all_serve(empty_db, tmp_path):
    logs = [tmp_path / f"server-{i}.log" for i in range(4)]
    servers = [_spawn_server(empty_db, str(tmp_path / "artifacts"), log) for log in logs]
    try:
        assert all(_healthy(proc, url, log) for (proc, url), log in zip(servers, logs, strict=True))
        urls = [url for _, url in servers]
        created = httpx.post(f"{urls[0]}/api/v1/registered-models", json={"name": "m"})

        assert created.status_code == 200, created.text
        assert all(httpx.get(f"{url}/api/v1/registered-models/m").is_success for url in urls)
    finally:
        for proc, _ in servers:
            stop_server(proc)
    assert _revision(empty_db) == HEAD_REVISION
