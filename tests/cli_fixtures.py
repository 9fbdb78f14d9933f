"""Fixtures for the CLI tests: a fresh embedded store, the library on it, and the CLI.

``invoke("models", "list")`` runs ``modelreg models list`` in-process with click's
CliRunner against the store (through ``MODELREG_TRACKING_URI``) and returns the
result, whose ``stdout`` and ``stderr`` are kept apart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import modelreg
from conftest import fresh_sqlite_store
from modelreg.cli import cli

Invoke = Callable[..., Result]


@pytest.fixture
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A folder store, its database a copy of the session's migrated one."""
    fresh_sqlite_store(request, tmp_path)
    return str(tmp_path / "store")


@pytest.fixture
def lib(store_uri: str) -> modelreg.Client:
    """The Python API on the store the CLI uses, to arrange and to check."""
    return modelreg.Client(store_uri)


@pytest.fixture
def invoke(store_uri: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("MODELREG_TRACKING_URI", store_uri)
    # Tables fit COLUMNS when it is set (pytest-xdist sets it); tests set it themselves.
    monkeypatch.delenv("COLUMNS", raising=False)
    runner = CliRunner()

    def run(*args: str) -> Result:
        # A crash must fail the test, not pass for a refused operation's exit code 1.
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def run_id(lib: modelreg.Client) -> str:
    """A run named 'baseline' with param lr, metric auc and a model/MLmodel artifact."""
    run_id = lib.create_run("0", run_name="baseline").info.run_id
    lib.log_param(run_id, "lr", "0.01")
    lib.log_metric(run_id, "auc", 0.91)
    lib.log_text(run_id, "flavor: python", "model/MLmodel")
    return run_id


@pytest.fixture
def fraud(lib: modelreg.Client, run_id: str) -> modelreg.Client:
    """Model 'fraud' (team=risk) with versions 1..3 of the run's model, all in stage None."""
    lib.create_registered_model("fraud", "catches card fraud", {"team": "risk"})
    for _ in range(3):
        lib.create_model_version("fraud", f"runs:/{run_id}/model")
    return lib
