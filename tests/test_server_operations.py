"""What an operator sees of a running server (#13 point 19): one line at start saying where
it serves, from which store and artifact location; with ``--access-log`` a line per request
(method, path, status, milliseconds, user)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from conftest import server_env, start_server, stop_server


@pytest.fixture
def logged_server(tmp_path):
    artifacts = tmp_path / "artifacts"
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    from modelreg.store.database import Database

    Database(db_url).ensure_schema(upgrade=True)
    process, url = start_server(
        db_url, str(artifacts), env=server_env(), extra_args=["--access-log"]
    )
    log = Path(tmp_path) / f"server-{url.rsplit(':', 1)[1]}.log"
    yield url, log, db_url, artifacts
    stop_server(process)


def _wait_for(log: Path, pattern: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(), re.MULTILINE)
        if found:
            return found.group(0)
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} not in the server log:\n{log.read_text()[-2000:]}")


def test_the_server_prints_one_line_with_its_url_store_and_artifacts(logged_server):
    url, log, db_url, artifacts = logged_server

    lines = [line for line in log.read_text().splitlines() if line.startswith("modelreg server")]

    assert len(lines) == 1
    assert url in lines[0] and db_url in lines[0] and str(artifacts) in lines[0]


def test_the_access_log_has_method_path_status_time_and_user(logged_server):
    url, log, *_ = logged_server

    httpx.get(
        f"{url}/api/v1/registered-models/nothing/history", headers={"X-Modelreg-User": "alice"}
    )

    line = _wait_for(log, r"GET /api/v1/registered-models/nothing/history .*$")
    assert re.search(r"GET /api/v1/registered-models/nothing/history 404 \d+\.\dms alice$", line), (
        line
    )


def test_point_reads_are_logged_like_every_other_request(logged_server):
    """The point-read lane is a middleware inside the access log, not a pipeline of its own."""
    url, log, *_ = logged_server

    httpx.get(f"{url}/api/v1/registered-models/nothing", headers={"X-Modelreg-User": "bob"})

    _wait_for(log, r"GET /api/v1/registered-models/nothing 404 \d+\.\dms bob$")


def test_refusals_are_logged_too(logged_server):
    url, log, *_ = logged_server

    httpx.post(
        f"{url}/api/v1/registered-models", content=b"x", headers={"Content-Type": "text/plain"}
    )

    _wait_for(log, r"POST /api/v1/registered-models 415 \d+\.\dms anonymous$")


def test_the_start_line_hides_a_database_password():
    from modelreg.server.run import start_line

    line = start_line("0.0.0.0", 5000, "postgresql://u:***@db/r", "s3://b/p", 4, True)

    assert line == (
        "modelreg server on http://0.0.0.0:5000 · store postgresql://u:***@db/r · "
        "artifacts s3://b/p (4 workers, auth on)"
    )
