"""`modelreg server --workers 2` on PostgreSQL: workers start, serve, keep Nagle off and stop.

uvicorn hands the listening socket to worker processes without TCP_NODELAY
(uvicorn issue #3149); on the asyncio event loop every keep-alive request then
waited about 40 ms for the client's delayed ACK. uvloop turns Nagle off by
itself, so each test also runs with uvloop hidden, as where it is not
installed (Windows): the server then runs uvicorn's asyncio loop.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import server_env, start_server, stop_server
from fresh_databases import new_postgres_database
from modelreg import Client
from modelreg.store.database import Database

DELAYED_ACK_SECONDS = 0.040


@pytest.fixture(scope="module", params=["uvloop", "asyncio"])
def event_loop(request: pytest.FixtureRequest) -> str:
    """The event loop the server's workers run."""
    return request.param


@pytest.fixture(scope="module")
def fresh_pg_url() -> Iterator[str]:
    with new_postgres_database("modelreg_workers") as url:
        Database(url).upgrade()
        yield url


def _start(url: str, event_loop: str, folder: Path) -> tuple[subprocess.Popen, str]:
    env = server_env()
    if event_loop == "asyncio":
        hidden = folder / "no-uvloop"
        hidden.mkdir()
        (hidden / "uvloop.py").write_text('raise ImportError("hidden to test asyncio")\n')
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hidden), env.get("PYTHONPATH")]))
    return start_server(url, str(folder / "artifacts"), workers=2, env=env)


@pytest.fixture(scope="module")
def two_workers(
    fresh_pg_url, event_loop, tmp_path_factory
) -> Iterator[tuple[subprocess.Popen, str]]:
    """A server with two workers for the module: its process and its URL."""
    process, url = _start(fresh_pg_url, event_loop, tmp_path_factory.mktemp("workers"))
    yield process, url
    stop_server(process)


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def _maps(pid: int) -> str:
    """The files mapped into the process: its shared libraries among them."""
    return Path(f"/proc/{pid}/maps").read_text()


def test_two_worker_processes_answer_health_on_the_chosen_loop(two_workers, event_loop):
    process, url = two_workers

    assert httpx.get(f"{url}/health").json()["status"] == "ok"
    workers = _workers_of(process.pid)
    assert len(workers) == 2
    # A worker makes its event loop before loading the app, which brings pydantic's core.
    deadline = time.monotonic() + 30
    while not all("_pydantic_core" in _maps(pid) for pid in workers):
        assert time.monotonic() < deadline, "the workers did not load the app"
        time.sleep(0.05)
    assert ["uvloop" in _maps(pid) for pid in workers] == [event_loop == "uvloop"] * 2


def test_two_workers_serve_runs_metrics_and_artifacts(two_workers, tmp_path):
    client = Client(two_workers[1])
    experiment_id = client.create_experiment(f"workers-{tmp_path.name}")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "loss", 0.25)
    (tmp_path / "weights.bin").write_bytes(os.urandom(3 << 20))
    client.log_artifact(run_id, tmp_path / "weights.bin")

    back = client.download_artifacts(run_id, "weights.bin", tmp_path / "back")

    assert client.get_run(run_id).data.metrics == {"loss": 0.25}
    assert Path(back).read_bytes() == (tmp_path / "weights.bin").read_bytes()


def test_keep_alive_requests_are_not_held_back_by_nagle(two_workers):
    took = []
    with httpx.Client(base_url=two_workers[1]) as http:
        for _ in range(30):
            started = time.perf_counter()
            http.get("/api/v1/experiments/0").raise_for_status()
            took.append(time.perf_counter() - started)

    assert statistics.median(took) < DELAYED_ACK_SECONDS / 4, f"median {statistics.median(took)}s"


def test_sigterm_stops_the_server_and_its_workers(fresh_pg_url, event_loop, tmp_path):
    process, _ = _start(fresh_pg_url, event_loop, tmp_path)
    workers = _workers_of(process.pid)

    process.terminate()

    assert process.wait(15) == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived the server"
        time.sleep(0.05)
