"""MLflow's own virtual environment, kept apart from modelreg's interpreter.

The benchmark never installs MLflow next to modelreg: it lives in
``benchmarks/.venv-mlflow`` (git-ignored), created on first use.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEFAULT_VENV = Path(__file__).resolve().parent / ".venv-mlflow"
# The full package: mlflow-skinny lacks SQLAlchemy and Alembic, which the SQLite store needs.
DEFAULT_SPEC = "mlflow>=3,<4"
# Installed next to MLflow: its PostgreSQL store needs a driver (SQLAlchemy 2.1 maps
# postgresql:// to psycopg 3, older versions to psycopg2, so both); the model phases need
# scikit-learn (a dependency of the full package today, named so it stays).
EXTRAS = ("psycopg[binary]", "psycopg2-binary", "scikit-learn")
# The modules the workloads need; importing them is how "installed" is decided.
PROBE = (
    "import mlflow, mlflow.store.tracking.sqlalchemy_store, sqlalchemy, alembic, psycopg, psycopg2,"
    " sklearn"
)


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def is_ready(venv: Path) -> bool:
    python = venv_python(venv)
    if not python.exists():
        return False
    probe = subprocess.run([python, "-c", PROBE], capture_output=True, env=mlflow_env())
    return probe.returncode == 0


def ensure(venv: Path = DEFAULT_VENV, spec: str = DEFAULT_SPEC, log=print) -> Path:
    """Creates the venv and installs ``spec`` unless MLflow already imports there.

    Returns the venv's python. Raises ``subprocess.CalledProcessError`` when
    venv creation or pip fails (pip's output is shown as it runs).
    """
    python = venv_python(venv)
    if is_ready(venv):
        return python
    if not python.exists():
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log(f"installing {spec!r} and {', '.join(EXTRAS)} into {venv} (takes a minute)")
    subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", spec, *EXTRAS],
        check=True,
    )
    if not is_ready(venv):
        raise RuntimeError(f"MLflow still does not import in {venv}: {PROBE}")
    return python


def version(python: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('mlflow'))"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=mlflow_env())
    return out.stdout.strip() or "unknown"


def mlflow_env() -> dict[str, str]:
    """The environment for MLflow processes: no telemetry, so no network calls in the timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    env.pop("PYTHONPATH", None)
    return env
