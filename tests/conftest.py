"""Shared fixtures: real SQLite files, a real PostgreSQL database per session.

``client`` is the one parametrized fixture behaviour tests use; it yields a
``modelreg.Client`` on a fresh, empty store of each backend.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["s3_fixtures", "artifact_fixtures", "cli_fixtures", "auth_fixtures"]

PG_ADMIN_URL = os.environ.get(
    "MODELREG_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LOOPBACK = "127.0.0.0/8,::1/128"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No developer setting leaks in; the working directory is a fresh folder."""
    for name in list(os.environ):
        if name.startswith("MODELREG_") and name != "MODELREG_TEST_PG_ADMIN_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("MODELREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    from modelreg import fluent

    fluent._reset_state()
    yield
    fluent._reset_state()


def _pg_available() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc)


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (per xdist worker), dropped after."""
    import psycopg

    problem = _pg_available()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required in CI: {problem}")
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {problem}")
    name = f"modelreg_test_{uuid.uuid4().hex[:12]}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from modelreg.backend import clear_backend_cache
        from modelreg.store import engine

        clear_backend_cache()
        for url, shared in list(engine._shared.items()):
            if name in url:
                shared.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_postgres(url: str, *, truncate: bool = False) -> None:
    """Empties every table but the migration marker, restarts every sequence and puts back
    the Default experiment, in one round trip.

    ``DELETE`` rather than ``TRUNCATE``: a test leaves a few rows, and truncating 35
    tables took ~0.14 s a test (new files for each), deleting them ~0.01 s. But the
    planner then still sizes each table by what earlier tests left in it: tests that
    read query plans ``truncate``, which gives it the empty tables of a new store. The
    statements go as one script (psycopg runs a script given no parameters in one
    round trip): one statement a round trip took ~17 ms a test, most of a PostgreSQL
    test's set-up.
    """
    from modelreg.store.database import Database

    db = Database.shared(url)
    db.ensure_schema(upgrade=True)
    with db.write() as conn:
        conn.connection.driver_connection.execute(_reset_script(truncate))


@functools.cache
def _reset_script(truncate: bool) -> str:
    from modelreg.store.all_tables import metadata

    tables = [f'"{t.name}"' for t in metadata.sorted_tables]
    if truncate:
        emptying = [f"TRUNCATE {', '.join(tables)} CASCADE"]
    else:
        emptying = [f"DELETE FROM {name}" for name in reversed(tables)]
    return ";\n".join(
        [
            *emptying,
            "SELECT setval(c.oid, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace",
            "INSERT INTO experiments (experiment_id, name, artifact_location, "
            "lifecycle_stage, creation_time, last_update_time) "
            "VALUES (0, 'Default', 'modelreg-artifacts:/0', 'active', 0, 0)",
        ]
    )


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store at the newest schema, migrated once per session (and worker).

    The backend fixtures' fresh stores are copies of it: migrating each one took
    ~0.1 s a test. Migrating a new file is tested on its own (test_migrations.py).
    """
    from modelreg.store.database import Database

    path = tmp_path_factory.mktemp("migrated") / "registry.db"
    db = Database(f"sqlite:///{path}")
    db.ensure_schema(upgrade=True)
    db.dispose()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template kept a write-ahead log"
    return path


def fresh_sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URI of a new, empty SQLite store at ``tmp_path/store/registry.db``."""
    store = tmp_path / "store" / "registry.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), store)
    return f"sqlite:///{store}"


@pytest.fixture
def sqlite_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'registry.db'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    backend_store_uri: str | None,
    artifacts_uri: str | None,
    *,
    workers: int = 1,
    env: dict | None = None,
    extra_args: list[str] | tuple[str, ...] = (),
    startup_seconds: float = 30,
    cwd: Path | None = None,
) -> tuple[subprocess.Popen, str]:
    """Starts a real ``modelreg server`` process on a free loopback port; waits for /health.

    A store URI of ``None`` is left to the server's default (then give ``cwd``, where
    the log goes too). ``extra_args`` are more ``modelreg server`` options, e.g.
    ``["--auth"]``."""
    import httpx

    from modelreg.tls import tls_context

    port = free_port()
    log_dir = Path(artifacts_uri).parent if artifacts_uri is not None else cwd
    assert log_dir is not None, "a server on its default store needs a cwd"
    log_path = log_dir / f"server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "modelreg", "server", "--port", str(port)]
    if backend_store_uri is not None:
        command += ["--backend-store-uri", backend_store_uri]
    if artifacts_uri is not None:
        command += ["--artifacts-uri", artifacts_uri]
    command += ["--workers", str(workers), *extra_args]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1, verify=tls_context()).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not become healthy: {log_path.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_env() -> dict[str, str]:
    """The environment for a server process: none of the test's MODELREG_ settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}


@pytest.fixture(scope="session")
def live_server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``modelreg server`` on PostgreSQL and a local artifact folder, for the session.

    Its admin lets webhooks reach loopback, where the tests' receivers listen.
    """
    from modelreg.store.database import Database

    Database.shared(pg_url).ensure_schema(upgrade=True)
    artifacts = tmp_path_factory.mktemp("server") / "artifacts"
    env = {**server_env(), "MODELREG_WEBHOOK_ALLOWED_NETWORKS": LOOPBACK}
    process, url = start_server(pg_url, str(artifacts), env=env)
    yield url
    stop_server(process)


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres"),
    pytest.param("server", id="server"),
]


@pytest.fixture(params=BACKENDS)
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A tracking URI of a fresh, empty store on each backend."""
    from modelreg.backend import clear_backend_cache

    clear_backend_cache()
    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    if request.param == "sqlite":
        uri = fresh_sqlite_store(request, tmp_path)
    elif request.param == "postgres":
        uri = request.getfixturevalue("pg_url")
        reset_postgres(uri)
    else:
        reset_postgres(request.getfixturevalue("pg_url"))
        uri = request.getfixturevalue("live_server")
    yield uri
    clear_backend_cache()


@pytest.fixture
def client(tracking_uri: str):
    """A ``modelreg.Client`` on a fresh store; parametrized over every backend."""
    import modelreg

    modelreg.set_tracking_uri(tracking_uri)
    return modelreg.Client(tracking_uri)
