"""The serve phase's virtual environment for modelreg: the repository and what a
scikit-learn model needs, nothing more.

``mlflow models serve`` runs in MLflow's venv, which holds MLflow and its
dependencies only. The interpreter that runs the benchmark usually holds
much more (torch, Keras, Transformers for the tests), and that changes what
a scikit-learn model costs to load: skops imports every scikit-learn module
to list the estimators it trusts, and one of those imports torch when torch
is installed (about 2.5 s and 300 MB per worker). So ``modelreg serve`` gets
a venv of its own, ``benchmarks/.venv-serve`` (git-ignored): this
repository installed editable with its ``server``, ``sklearn`` and
``pandas`` extras, scikit-learn, skops, numpy and pandas pinned to the
versions of the interpreter running the benchmark (the versions the model
is trained with).
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from mlflow_env import venv_python

DEFAULT_VENV = Path(__file__).resolve().parent / ".venv-serve"
REPO = Path(__file__).resolve().parent.parent
PINNED = ("scikit-learn", "skops", "numpy", "pandas")
PROBE = "import modelreg.serving.app, modelreg.flavors.sklearn, sklearn, skops.io, pandas, httpx"


def requirements() -> list[str]:
    """pip's arguments: the repository (editable) and the pinned model packages."""
    return ["-e", f"{REPO}[server,sklearn,pandas]", *(f"{p}=={version(p)}" for p in PINNED)]


def ensure(venv: Path = DEFAULT_VENV, log=print) -> Path:
    """Creates the venv unless modelreg's serving already imports there; returns its python.

    Raises ``subprocess.CalledProcessError`` when venv creation or pip fails.
    """
    python = venv_python(venv)
    if (
        python.exists()
        and subprocess.run([python, "-c", PROBE], capture_output=True).returncode == 0
    ):
        return python
    if not python.exists():
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log(f"installing modelreg (editable) and {', '.join(PINNED)} into {venv} (about a minute)")
    subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", *requirements()],
        check=True,
    )
    return python
