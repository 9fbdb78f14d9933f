"""What a client learns when something fails: a generic message and an error id, never the
database's own words (#14 point 11, #13 point 4). The detail goes to the server log, under
the same id."""

from __future__ import annotations

import socket
import sqlite3

import anyio
import httpx
import pytest

from loopback_proxy import LoopbackProxy

TOKEN = "Bearer mrg_" + "a" * 43


def _get(app, path, headers=None):
    async def call():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.get(path, headers=headers or {})

    return anyio.run(call)


@pytest.fixture
def postgres_down(pg_url, tmp_path):
    """A server app on PostgreSQL reached through a proxy, after the proxy went away."""
    from fresh_databases import new_postgres_database
    from modelreg.backend import EmbeddedBackend

    with new_postgres_database("modelreg_down") as db_url:
        proxy = LoopbackProxy("http://127.0.0.1:5432")
        port = proxy.url.rsplit(":", 1)[1]
        backend = EmbeddedBackend(
            db_url.replace("127.0.0.1:5432", f"127.0.0.1:{port}"), str(tmp_path / "a")
        )
        proxy.listener.shutdown(socket.SHUT_RDWR)  # wakes its accepting thread
        proxy.close()
        backend.db.dispose()
        yield backend, db_url.rsplit("/", 1)[1], port


def _app(backend, auth=False):
    from modelreg.server.app import create_app
    from modelreg.server.auth import AuthConfig

    return create_app(backend, AuthConfig(enabled=auth))


def _leaks(text: str, database: str, port: str) -> list[str]:
    return [word for word in (database, port, "127.0.0.1", "postgres", "psycopg") if word in text]


def test_health_says_database_unavailable_and_logs_the_detail(postgres_down, caplog):
    backend, database, port = postgres_down

    response = _get(_app(backend), "/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unavailable"}
    assert port in caplog.text


@pytest.mark.parametrize("auth", [False, True], ids=["no auth", "auth"])
@pytest.mark.parametrize("path", ["/api/v1/registered-models/m", "/api/v1/experiments"])
def test_a_request_with_the_database_down_gets_a_generic_message_and_an_error_id(
    postgres_down, caplog, auth, path
):
    backend, database, port = postgres_down

    response = _get(_app(backend, auth), path, {"Authorization": TOKEN})

    assert response.status_code == 503
    assert _leaks(response.text, database, port) == []
    error_id = response.json()["details"]["error_id"]
    assert error_id in response.json()["message"]
    assert error_id in caplog.text and port in caplog.text


def test_an_outage_is_one_warning_line_a_request_without_a_traceback(postgres_down, caplog):
    backend, _, port = postgres_down

    response = _get(_app(backend), "/api/v1/experiments")

    error_id = response.json()["details"]["error_id"]
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert port in record.getMessage()


def test_a_query_the_database_refuses_gets_a_generic_message_and_an_error_id(
    tmp_path, monkeypatch, caplog
):
    from sqlalchemy.exc import OperationalError

    from modelreg.backend import EmbeddedBackend

    backend = EmbeddedBackend(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "a"))
    driver = sqlite3.OperationalError("Expression tree is too large (maximum depth 1000)")

    def refused(*args, **kwargs):
        raise OperationalError("SELECT …", {}, driver)

    monkeypatch.setattr(backend.tracking, "search_experiments", refused)

    response = _get(_app(backend), "/api/v1/experiments")

    assert response.status_code == 500
    assert "Expression tree" not in response.text
    error_id = response.json()["details"]["error_id"]
    assert error_id in caplog.text and "Expression tree" in caplog.text


def test_a_huge_or_chain_is_refused_at_the_edge(tmp_path):
    from modelreg.backend import EmbeddedBackend

    backend = EmbeddedBackend(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "a"))
    chain = " OR ".join(f"name = 'm{i}'" for i in range(300))
    values = ", ".join(f"'m{i}'" for i in range(1500))

    for search in (chain, f"name IN ({values})"):
        response = _get(_app(backend), f"/api/v1/registered-models?filter_string={search}")
        assert response.status_code == 400, response.text


def test_a_wait_for_a_database_connection_is_bounded_and_answered_503(tmp_path, monkeypatch):
    """With every connection busy, a request waits at most the pool timeout, then gets 503."""
    from sqlalchemy import create_engine

    from modelreg.backend import EmbeddedBackend
    from modelreg.store import engine

    url = f"sqlite:///{tmp_path / 'r.db'}"
    backend = EmbeddedBackend(url, str(tmp_path / "a"))
    backend.tracking.create_experiment("e")
    small = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    monkeypatch.setattr(backend.db, "engine", small)

    with small.connect():  # the only connection, held
        response = _get(_app(backend), "/api/v1/experiments")

    assert response.status_code == 503
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    for made in (f"sqlite:///{tmp_path / 'x.db'}", "postgresql+psycopg://u@127.0.0.1:1/x"):
        assert engine.new_engine(made).pool.timeout() == engine.POOL_TIMEOUT_SECONDS
