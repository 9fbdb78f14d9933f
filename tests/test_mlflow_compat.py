"""An unmodified MLflow client, in its own virtual environment, against a modelreg server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Outside the checkout, so CI on the same machine reuses it instead of reinstalling.
VENV = Path(
    os.environ.get("MODELREG_TEST_MLFLOW_VENV", Path.home() / ".cache/modelreg-test/mlflow")
)


@pytest.fixture(scope="session")
def mlflow_python():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import mlflow_env
    finally:
        sys.path.pop(0)
    try:
        return mlflow_env.ensure(VENV, log=lambda *_: None)
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"cannot install MLflow into {VENV}: {exc}")


def test_mlflow_client_runs_the_seed_workflow_against_modelreg(mlflow_python, live_server, pg_url):
    from conftest import reset_postgres

    reset_postgres(pg_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MODELREG_"))}
    env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"

    result = subprocess.run(
        [str(mlflow_python), str(ROOT / "tests/compat/mlflow_client_workflow.py"), live_server],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")
