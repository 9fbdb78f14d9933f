"""A real ``mlflow server`` (MLflow 3 in its own cached virtual environment) holding a history.

The history is written once by ``tests/compat/mlflow_seed_history.py`` with
the real MLflow client, and cached (SQLite database and artifact folder)
under ``~/.cache/modelreg-test/`` keyed by the seed script's content, so test
sessions only start a server on a copy of it. ``tests/compat/
mlflow_dump_history.py`` reads it back with MLflow's client: the expected
values the import tests compare against.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("MODELREG_TEST_CACHE", Path.home() / ".cache/modelreg-test"))
VENV = Path(os.environ.get("MODELREG_TEST_MLFLOW_VENV", CACHE / "mlflow"))
# The MLflow the compatibility and import tests pin their behaviour to.
MLFLOW_SPEC = "mlflow==3.17.2"
SEED = ROOT / "tests/compat/mlflow_seed_history.py"
DUMP = ROOT / "tests/compat/mlflow_dump_history.py"
METRIC_POINTS = 10_000
BIG_MB = int(os.environ.get("MODELREG_TEST_BIG_ARTIFACT_MB", "200"))


def mlflow_python() -> Path:
    """MLflow's interpreter, installing it into the cached venv on first use."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import mlflow_env
    finally:
        sys.path.pop(0)
    with locked(CACHE / "mlflow-venv.lock"):
        try:
            return mlflow_env.ensure(VENV, MLFLOW_SPEC, log=lambda *_: None)
        except (subprocess.CalledProcessError, RuntimeError) as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"cannot install MLflow into {VENV}: {exc}")


# What MLflow needs to log and load PyTorch and ONNX models (torch's CPU build is on this
# machine's wheel folder; a bare "torch" would fetch a CUDA build of several GB).
FRAMEWORKS = ("torch==2.13.0", "onnx", "onnxruntime")
_FRAMEWORKS_PROBE = "import torch, onnx, onnxruntime, mlflow.pytorch, mlflow.onnx"


def mlflow_python_with_frameworks() -> Path:
    """MLflow's interpreter with PyTorch and ONNX installed next to it (on first use)."""
    python = mlflow_python()
    with locked(CACHE / "mlflow-venv.lock"):
        probe = subprocess.run([str(python), "-c", _FRAMEWORKS_PROBE], capture_output=True)
        if probe.returncode == 0:
            return python
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *FRAMEWORKS],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if installed.returncode != 0:
            if os.environ.get("CI"):
                raise RuntimeError(f"cannot install {FRAMEWORKS}:\n{installed.stderr[-3000:]}")
            pytest.skip(f"cannot install {FRAMEWORKS} into {VENV}")
    return python


def start_target(kind: str, folder: Path) -> tuple[str, Any, Any]:
    """An import target: its URI, a client that may read its audit trail, and its server
    process (``None`` for ``embedded``; otherwise a ``modelreg server`` on SQLite)."""
    import modelreg
    from conftest import server_env, start_server
    from modelreg.backend import EmbeddedBackend

    if kind == "embedded":
        client = modelreg.Client(str(folder / "store"))
        return str(folder / "store"), client, None
    db_url = f"sqlite:///{folder / 'server.db'}"
    # Reads of the audit trail need an admin, which a server without --auth has not.
    admin = modelreg.Client.from_backend(EmbeddedBackend(db_url, str(folder / "artifacts")))
    process, url = start_server(db_url, str(folder / "artifacts"), env=server_env())
    return url, admin, process


def mlflow_predicted(ids: dict[str, Any], uri: str) -> tuple[Any, Any]:
    """The rows and what MLflow's pyfunc predicted for them with ``uri``, as the seed
    script that made the history recorded (``pyfunc_predicted``)."""
    import numpy as np

    seen = ids["predictions"][uri]
    return np.array(seen["rows"], dtype=seen["dtype"]), seen["out"]


class locked:
    """An exclusive lock on a file, so parallel test workers build a cache once."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path

    def __enter__(self) -> None:
        self.file = open(self.path, "w")  # noqa: SIM115 - held until __exit__
        fcntl.flock(self.file, fcntl.LOCK_EX)

    def __exit__(self, *exc: Any) -> None:
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def mlflow_process_env() -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import mlflow_env
    finally:
        sys.path.pop(0)
    # Webhooks (seeded in the history): their secrets are encrypted with this key, which
    # every worker and every later server on a copy of the store must share; their URLs
    # are not resolved (this machine has no DNS for them).
    return {
        **mlflow_env.mlflow_env(),
        "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": "bW9kZWxyZWctdGVzdHMtb25seS1ub3QtYS1zZWNyZXQ=",
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    }


def start_mlflow_server(python: Path, folder: Path) -> tuple[subprocess.Popen, str]:
    """``mlflow server`` on ``folder`` (SQLite store, proxied artifacts) on a free port."""
    import httpx

    from conftest import free_port
    from modelreg.tls import tls_context

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(folder / f"mlflow-server-{port}.log", "ab")  # noqa: SIM115 - the server's
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{folder / 'mlflow.db'}",
            "--artifacts-destination",
            str(folder / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",  # each worker is a process that imports MLflow: ~3.5 s of CPU to start
        ],  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
        env=mlflow_process_env(),
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited; see {log.name}")
        try:
            if httpx.get(url + "/health", timeout=2, verify=tls_context()).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_mlflow_server(process)
    raise RuntimeError(f"mlflow server did not answer on {url}; see {log.name}")


def stop_mlflow_server(process: subprocess.Popen, *, graceful: bool = True) -> None:
    """Stops the server and its workers; ``graceful=False`` kills them at once, for a
    server on a throwaway copy (MLflow's took up to 8 s to stop at the end of a session)."""
    import signal

    if graceful:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):  # what is left of its process group
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _run(python: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(python), *args],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env or mlflow_process_env(),
    )
    if result.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{result.stderr[-4000:]}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def cached_results(name: str, script: Path, *inputs: Path) -> Any:
    """What ``script`` printed as ``RESULTS <json>`` when run with MLflow's interpreter,
    parsed: run once per MLflow release and content of ``script`` and ``inputs`` (files
    it imports), and cached with the MLflow venv."""
    digest = hashlib.sha256(MLFLOW_SPEC.encode())
    for path in (script, *inputs):
        digest.update(path.read_bytes())
    cache = CACHE / f"{name}-{digest.hexdigest()[:16]}.json"
    with locked(CACHE / f"{name}.lock"), tempfile.TemporaryDirectory() as scratch:
        if not cache.exists():
            # In a folder of its own: MLflow writes runs' artifacts under ./mlruns.
            out = subprocess.run(
                [str(mlflow_python()), str(script.resolve())],
                capture_output=True, text=True, timeout=600, cwd=scratch,
            )  # fmt: skip
            lines = [line for line in out.stdout.splitlines() if line.startswith("RESULTS ")]
            assert lines, f"{script.name} printed no results: {out.stderr[-3000:]}"
            partial = cache.with_suffix(".partial")
            partial.write_text(lines[-1][len("RESULTS ") :])
            os.replace(partial, cache)
        return json.loads(cache.read_text())


_DELETE_EXPERIMENT = (
    "import mlflow, sys; mlflow.MlflowClient(sys.argv[1]).delete_experiment(sys.argv[2])"
)


def cached_store(python: Path, name: str, key: bytes, build: Callable[[Path, str], None]) -> Path:
    """The cached folder (``mlflow.db``, ``artifacts``) of an MLflow server that
    ``build(folder, url)`` filled, built once per ``key`` under a lock: a later session
    only serves a copy of it (``served_copy``)."""
    folder = CACHE / f"{name}-{hashlib.sha256(key).hexdigest()[:16]}"
    with locked(CACHE / f"{name}.lock"):
        if folder.exists():  # moved into place whole, once complete
            return folder
        building = folder.with_name(folder.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        (building / "artifacts").mkdir(parents=True)
        process, url = start_mlflow_server(python, building)
        try:
            build(building, url)
        finally:
            stop_mlflow_server(process)
        for log in building.glob("mlflow-server-*.log"):
            log.unlink()
        os.replace(building, folder)
        return folder


@contextmanager
def served_copy(python: Path, cached: Path, folder: Path) -> Iterator[str]:
    """An ``mlflow server`` on a copy of a cached store in ``folder``; yields its URL."""
    shutil.copy2(cached / "mlflow.db", folder / "mlflow.db")
    shutil.copytree(cached / "artifacts", folder / "artifacts", copy_function=os.link)
    process, url = start_mlflow_server(python, folder)
    try:
        yield url
    finally:
        stop_mlflow_server(process, graceful=False)


def _seeded(python: Path) -> Path:
    """The cached seeded history, with the dump of it MLflow's client reads back."""

    def build(building: Path, url: str) -> None:
        ids = json.loads(
            _run(
                python, str(SEED), url, str(building / "artifacts"), str(METRIC_POINTS), str(BIG_MB)
            )
        )
        # Purged as `mlflow gc` does: the run and its artifacts are gone for good.
        gc_env = {**mlflow_process_env(), "MLFLOW_TRACKING_URI": url}
        subprocess.run(
            [str(python), "-m", "mlflow", "gc", "--backend-store-uri",
             f"sqlite:///{building / 'mlflow.db'}", "--run-ids", ids["purged_run"]],
            check=True, capture_output=True, env=gc_env, timeout=300,
        )  # fmt: skip
        _run(python, "-c", _DELETE_EXPERIMENT, url, ids["abandoned"])
        (building / "ids.json").write_text(json.dumps(ids))
        (building / "dump.json").write_text(_run(python, str(DUMP), url))

    key = SEED.read_bytes() + DUMP.read_bytes() + f"{METRIC_POINTS}/{BIG_MB}".encode()
    return cached_store(python, "mlflow-history", key, build)


@dataclass
class MlflowHistory:
    """A running MLflow server on a copy of the seeded history, and what it holds."""

    url: str
    folder: Path
    ids: dict[str, Any]
    dump: dict[str, Any]

    def run(self, run_id: str) -> dict[str, Any]:
        return next(r for r in self.dump["runs"] if r["run_id"] == run_id)

    def model(self, name: str) -> dict[str, Any]:
        return next(m for m in self.dump["models"] if m["name"] == name)


@pytest.fixture(scope="session")
def mlflow_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowHistory]:
    python = mlflow_python()
    cached = _seeded(python)
    folder = tmp_path_factory.mktemp("mlflow-source")
    with served_copy(python, cached, folder) as url:
        yield MlflowHistory(
            url,
            folder,
            json.loads((cached / "ids.json").read_text()),
            json.loads((cached / "dump.json").read_text()),
        )
