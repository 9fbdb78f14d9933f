"""Starting, measuring and stopping the servers under test, and their PostgreSQL databases.

Each server runs in its own process group on a free loopback port, so
stopping it reaches every worker it spawned. Memory is read from ``/proc``
(Linux): the sum over the server's whole process tree.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent / "workloads"))
from harness import process_tree  # noqa: E402 (the workloads folder is not a package)

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT_S = 120
# Server set-ups under test: key -> (side, label).
TARGETS = {
    "modelreg-pg": ("modelreg", "modelreg server, PostgreSQL"),
    "mlflow-sqlite": ("mlflow", "mlflow server, SQLite"),
    "mlflow-pg": ("mlflow", "mlflow server, PostgreSQL"),
}
STOP_GRACE_S = 15
POLL_INTERVAL_S = 0.02


class ServerFailed(Exception):
    """The server exited or never answered ``/health``; the message holds its last log line."""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A fresh, empty database on the local PostgreSQL; dropped afterwards. Yields its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Memory:
    """The process tree's memory: RSS summed (counts shared pages twice) and PSS summed."""

    processes: int
    rss_mb: float
    pss_mb: float


def _kb_field(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(pid: int) -> Memory:
    """Memory of ``pid`` and all its descendants, read from /proc."""
    pids = process_tree(pid)
    rss = sum(_kb_field(Path("/proc", str(p), "status"), "VmRSS") for p in pids)
    pss = sum(_kb_field(Path("/proc", str(p), "smaps_rollup"), "Pss") for p in pids)
    alive = sum(1 for p in pids if Path("/proc", str(p)).exists())
    return Memory(alive, rss / 1024, pss / 1024)


@dataclass
class Server:
    """One running server: its URL, start-up time and process, with a log file in ``workdir``."""

    label: str
    url: str
    process: subprocess.Popen
    startup_s: float
    log_path: Path
    upgrade_s: float | None = None  # `modelreg db upgrade` before the start, if run
    peak_rss_mb: float = 0.0

    def memory(self) -> Memory:
        return tree_memory(self.process.pid)

    @contextmanager
    def peak_memory(self, interval_s: float = 0.1) -> Iterator[None]:
        """Samples the tree's RSS while the block runs; the highest lands in ``peak_rss_mb``."""
        self.peak_rss_mb = 0.0
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                self.peak_rss_mb = max(self.peak_rss_mb, self.memory().rss_mb)
                stop.wait(interval_s)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def last_log_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "(no log)"
    return lines[-1].strip() if lines else "(no log)"


@contextmanager
def running(
    label: str, cmd: list[str], env: dict[str, str], workdir: Path, health_path: str = "/health"
) -> Iterator[Server]:
    """Starts ``cmd`` (which must listen on the port inside ``url``), waits for ``/health``.

    Start-up time runs from just before the process starts until ``/health``
    first answers 200. Raises ``ServerFailed`` when the process exits or does
    not answer within START_TIMEOUT_S. The whole process group is stopped on exit.
    """
    port = cmd[cmd.index("--port") + 1]
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / f"{label}.log"
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        startup = _wait_healthy(process, url + health_path, started, log_path)
        yield Server(label, url, process, startup, log_path)
    finally:
        _stop(process)


def _wait_healthy(process: subprocess.Popen, url: str, started: float, log: Path) -> float:
    deadline = started + START_TIMEOUT_S
    with httpx.Client(timeout=2.0) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise ServerFailed(f"exited with {process.returncode}: {last_log_line(log)}")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(POLL_INTERVAL_S)
    raise ServerFailed(f"no 200 from {url} within {START_TIMEOUT_S} s: {last_log_line(log)}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after STOP_GRACE_S."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group, if any
    except ProcessLookupError:
        pass
    process.wait()


def modelreg_cmd(db_url: str, artifacts: Path, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "modelreg", "server",
        "--backend-store-uri", db_url, "--artifacts-uri", str(artifacts),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip


def modelreg_upgrade(db_url: str, env: dict[str, str]) -> float:
    """Runs ``modelreg db upgrade``; returns its wall time. Raises ServerFailed on failure."""
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "modelreg", "db", "upgrade", "--backend-store-uri", db_url]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or ["(no output)"]
        raise ServerFailed(f"db upgrade failed: {lines[-1]}")
    return time.perf_counter() - started


def mlflow_cmd(python: Path, db_url: str, artifacts: Path, port: int, workers: int) -> list[str]:
    return [
        str(python), "-m", "mlflow", "server",
        "--backend-store-uri", db_url, "--artifacts-destination", str(artifacts),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip


@contextmanager
def start_target(
    target: str, workers: int, workdir: Path, mlflow_python: Path, env: dict[str, str]
) -> Iterator[Server]:
    """Starts one of TARGETS on a fresh database, with artifacts in ``workdir/artifacts``.

    modelreg's PostgreSQL database is migrated first (``modelreg db
    upgrade``, timed apart); MLflow migrates a fresh database while it starts,
    so its start-up time includes that. Raises ``ServerFailed``.
    """
    with ExitStack() as stack:
        artifacts = workdir / "artifacts"
        artifacts.mkdir(exist_ok=True)
        port = free_port()
        upgrade_s = None
        if target == "modelreg-pg":
            db_url = stack.enter_context(postgres_database("bench_modelreg"))
            upgrade_s = modelreg_upgrade(db_url, env)
            cmd = modelreg_cmd(db_url, artifacts, port, workers)
        elif target == "mlflow-pg":
            db_url = stack.enter_context(postgres_database("bench_mlflow"))
            cmd = mlflow_cmd(mlflow_python, db_url, artifacts, port, workers)
        elif target == "mlflow-sqlite":
            db_url = f"sqlite:///{workdir / 'mlflow.db'}"
            cmd = mlflow_cmd(mlflow_python, db_url, artifacts, port, workers)
        else:
            raise ValueError(f"unknown target {target!r}")
        server = stack.enter_context(running(target, cmd, env, workdir))
        server.upgrade_s = upgrade_s
        yield server
