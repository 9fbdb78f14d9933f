"""Helpers for the serving tests: models whose prediction names their version, a real
``modelreg serve`` process, and steady load from client threads that records every answer.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from conftest import free_port, server_env
from modelreg.serving.app import VERSION_HEADER
from modelreg.tls import tls_context

COLUMNS = ["a", "b"]
ROW = {"dataframe_split": {"columns": COLUMNS, "data": [[0.5, 1.5]]}}


def log_constant(client: Any, name: str, value: float) -> Any:
    """Registers a version of ``name`` that predicts ``value`` for every row (a DummyRegressor)."""
    from sklearn.dummy import DummyRegressor

    import modelreg

    X = pd.DataFrame([[0.0, 1.0], [1.0, 0.0]], columns=COLUMNS)
    model = DummyRegressor(strategy="constant", constant=value).fit(X, [value, value])
    run_id = client.create_run("0").info.run_id
    logged = modelreg.log_model(
        model, "model", input_example=X, registered_model_name=name, run_id=run_id, client=client
    )
    return logged.registered_model_version


def log_broken(client: Any, name: str) -> Any:
    """Registers a version that loads but fails its smoke prediction (fitted on other columns)."""
    from sklearn.linear_model import LinearRegression

    import modelreg
    from modelreg.errors import ModelregWarning

    fitted_on = pd.DataFrame([[0.0, 1.0], [1.0, 0.0]], columns=["x", "y"])
    model = LinearRegression().fit(fitted_on, [9.0, 9.0])
    run_id = client.create_run("0").info.run_id
    with pytest.warns(ModelregWarning, match="failed to predict its input_example"):
        logged = modelreg.log_model(
            model,
            "model",
            input_example=pd.DataFrame([[0.0, 1.0]], columns=COLUMNS),
            registered_model_name=name,
            run_id=run_id,
            client=client,
        )
    return logged.registered_model_version


@dataclass
class Serve:
    process: subprocess.Popen
    url: str
    log: Path

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, verify=tls_context())

    def invoke(self) -> httpx.Response:
        return httpx.post(self.url + "/invocations", json=ROW, timeout=10, verify=tls_context())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_serve(
    uri: str, tracking_uri: str, tmp: Path, *args: str, env: dict | None = None
) -> Serve:
    """A real ``modelreg serve`` process on a free loopback port, once /ping answers 200."""
    port = free_port()
    log = tmp / f"serve-{port}.log"
    command = [sys.executable, "-m", "modelreg", "serve", uri, "--port", str(port)]
    command += ["--tracking-uri", tracking_uri, *args]
    environment = {**server_env(), "MODELREG_CACHE_DIR": str(tmp / f"serve-cache-{port}")}
    environment.update(env or {})
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment)
    serve = Serve(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"modelreg serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(serve.url + "/ping", timeout=1, verify=tls_context()).status_code == 200:
                return serve
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    serve.stop()
    raise RuntimeError(f"modelreg serve did not answer /ping: {log.read_text()[-3000:]}")


@dataclass
class Answer:
    at: float
    version: int
    prediction: float


@dataclass
class Load:
    """``threads`` clients POSTing /invocations back to back until stopped."""

    url: str
    threads: int = 8
    answers: list[list[Answer]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self.answers = [[] for _ in range(self.threads)]
        self._workers = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)
        ]

    def __enter__(self) -> Load:
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(30)

    def _run(self, index: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30, verify=tls_context()) as client:
            while not self._stop.is_set():
                try:
                    response = client.post("/invocations", json=ROW)
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200:
                    self.failures.append(f"HTTP {response.status_code}: {response.text[:200]}")
                    continue
                version = int(response.headers[VERSION_HEADER])
                prediction = response.json()["predictions"][0]
                self.answers[index].append(Answer(time.monotonic(), version, prediction))

    def wait_for(self, version: int, timeout: float) -> float:
        """The time of the first answer from ``version``; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = [a.at for answers in self.answers for a in answers if a.version == version]
            if seen:
                return min(seen)
            time.sleep(0.02)
        pytest.fail(f"no answer from version {version} within {timeout} s")

    def count(self) -> int:
        return sum(len(a) for a in self.answers)


class RowSum:
    """A python-flavor model: each row's sum times ``factor``."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def predict(self, rows: Any) -> Any:
        import numpy as np

        return np.asarray(rows, dtype="float64").sum(axis=1) * self.factor
