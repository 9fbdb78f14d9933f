"""The two sides of every comparison: which interpreter, script and environment run each.

modelreg runs in the interpreter that runs the benchmark; MLflow in its own
virtual environment (see :mod:`mlflow_env`). Each side's phase runs as a
subprocess of ``workloads/<side>_side.py`` and hands its results back as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mlflow_env

HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"
SIDE_TIMEOUT_S = 3600


def modelreg_env(**extra: str) -> dict[str, str]:
    """This interpreter's environment minus MODELREG_* settings, which would redirect the store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    env.update(extra)
    return env


def side(name: str, mlflow_python: Path) -> tuple[str, str, dict[str, str]]:
    """``(python, script, env)`` for ``"modelreg"`` or ``"mlflow"``."""
    if name == "modelreg":
        return sys.executable, "modelreg_side.py", modelreg_env()
    return str(mlflow_python), "mlflow_side.py", mlflow_env.mlflow_env()


def run_workload(
    python: Path | str,
    script: str,
    phase: str,
    runs: int,
    env: dict[str, str],
    extra_args: Sequence[str] = (),
) -> dict[str, Any]:
    """Runs one side's phase in a subprocess; a crash becomes one "process" error entry."""
    with tempfile.TemporaryDirectory(prefix="bench-out-") as tmp:
        out = Path(tmp, "result.json")
        cmd = [str(python), str(WORKLOADS / script), "--phase", phase, "--runs", str(runs)]
        try:
            proc = subprocess.run(
                [*cmd, "--out", str(out), *extra_args],
                capture_output=True,
                text=True,
                env=env,
                timeout=SIDE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return {"process": {"error": f"timed out after {SIDE_TIMEOUT_S} s"}}
        if proc.returncode != 0 or not out.exists():
            return {"process": {"error": f"exit {proc.returncode}: {last_line(proc.stderr)}"}}
        return json.loads(out.read_text())


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"
