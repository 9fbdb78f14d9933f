"""A server worker's request threads: few, so requests do not queue behind Python's lock,
and never taken by uploads, which have a lane of their own."""

from __future__ import annotations

import hashlib
import socket
from urllib.parse import urlparse

import httpx
import pytest
from click.testing import CliRunner

from conftest import server_env, start_server, stop_server

BODY = b"x" * 1_000_000


@pytest.fixture
def one_thread_server(tmp_path):
    from modelreg.store.database import Database

    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    Database(db_url).ensure_schema(upgrade=True)
    process, url = start_server(
        db_url, str(tmp_path / "artifacts"), env=server_env(), extra_args=["--threads", "1"]
    )
    yield url
    stop_server(process)


def _start_upload(url: str, digest: str) -> socket.socket:
    """An upload whose headers and first bytes arrived; the rest is still to come."""
    address = urlparse(url)
    conn = socket.create_connection((address.hostname, address.port), timeout=10)
    head = (
        f"PUT /api/v1/blobs/{digest} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {len(BODY)}\r\n\r\n"
    )
    conn.sendall(head.encode() + BODY[:1000])
    return conn


def test_a_worker_with_one_thread_answers_while_an_upload_holds_its_lane(one_thread_server):
    digest = hashlib.sha256(BODY).hexdigest()
    upload = _start_upload(one_thread_server, digest)
    try:
        health = httpx.get(f"{one_thread_server}/health", timeout=10)
        model = httpx.post(
            f"{one_thread_server}/api/v1/registered-models", json={"name": "busy"}, timeout=10
        )
        upload.sendall(BODY[1000:])
        answer = upload.recv(4096).decode()
    finally:
        upload.close()

    assert health.status_code == 200
    assert model.status_code == 200
    assert answer.startswith("HTTP/1.1 201")


def test_threads_below_one_are_refused_naming_the_option():
    from modelreg.cli import cli

    result = CliRunner().invoke(cli, ["server", "--threads", "0"])

    assert result.exit_code == 2
    assert "--threads" in result.output
