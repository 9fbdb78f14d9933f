"""Runs one fixed workload against modelreg and MLflow and prints the ratios.

    python benchmarks/run.py [--phases import,tracking,registry] [--runs 200] [--json out.json]
    python benchmarks/run.py --setup-only     # only create benchmarks/.venv-mlflow

Both sides run the same workload (workloads/workload.py), each in its own
subprocess on a fresh SQLite store in a temporary folder: modelreg in this
interpreter, MLflow in its own virtual environment. Compare the ratios from
one run; absolute times from different runs or machines do not compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

import mlflow_env
import report

HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"
PHASES = ("import", "tracking", "registry")
IMPORT_REPEATS = 3
SIDE_TIMEOUT_S = 3600
# op name -> (modelreg statement, MLflow statement), each timed in a fresh interpreter.
IMPORTS = {
    "import package": ("import modelreg", "import mlflow"),
    "import client class": ("from modelreg import Client", "from mlflow import MlflowClient"),
}
TIME_STATEMENT = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"

# Rich assumes 80 columns when piped; the table needs about 115.
console = Console(width=None if sys.stdout.isatty() else 120)


def modelreg_env() -> dict[str, str]:
    """This interpreter's environment minus MODELREG_* settings, which would redirect the store."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}


def time_import(python: Path | str, statement: str, env: dict[str, str]) -> dict[str, Any]:
    """Best of IMPORT_REPEATS fresh interpreters, run from an empty folder (no local shadowing)."""
    samples = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as cwd:
        for _ in range(IMPORT_REPEATS):
            proc = subprocess.run(
                [str(python), "-c", TIME_STATEMENT.format(statement)],
                capture_output=True,
                text=True,
                cwd=cwd,
                env=env,
            )
            if proc.returncode != 0:
                return {"error": _last_line(proc.stderr)}
            samples.append(float(proc.stdout.strip().splitlines()[-1]))
    return {"ops": 1, "seconds": min(samples), "samples": samples}


def run_workload(
    python: Path | str, script: str, phase: str, runs: int, env: dict[str, str]
) -> dict[str, Any]:
    """Runs one side's phase in a subprocess; a crash becomes one "process" error entry."""
    with tempfile.TemporaryDirectory(prefix="bench-out-") as tmp:
        out = Path(tmp, "result.json")
        cmd = [str(python), str(WORKLOADS / script), "--phase", phase, "--runs", str(runs)]
        try:
            proc = subprocess.run(
                [*cmd, "--out", str(out)],
                capture_output=True,
                text=True,
                env=env,
                timeout=SIDE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return {"process": {"error": f"timed out after {SIDE_TIMEOUT_S} s"}}
        if proc.returncode != 0 or not out.exists():
            return {"process": {"error": f"exit {proc.returncode}: {_last_line(proc.stderr)}"}}
        return json.loads(out.read_text())


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def load_average() -> float | None:
    """The 1-minute load average, or None where the platform has none (Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def run_phase(
    phase: str, runs: int, mlflow_python: Path, loads: list[float]
) -> dict[str, dict[str, Any]]:
    sides = {
        "modelreg": (sys.executable, "modelreg_side.py", modelreg_env()),
        "mlflow": (mlflow_python, "mlflow_side.py", mlflow_env.mlflow_env()),
    }
    results: dict[str, dict[str, Any]] = {}
    for index, (side, (python, script, env)) in enumerate(sides.items()):
        started = time.perf_counter()
        if phase == "import":
            results[side] = {
                op: time_import(python, stmts[index], env) for op, stmts in IMPORTS.items()
            }
        else:
            results[side] = run_workload(python, script, phase, runs, env)
        load = load_average()
        if load is not None:
            loads.append(load)
        console.print(f"  {phase}: {side} done in {time.perf_counter() - started:.1f} s")
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, from {', '.join(PHASES)} (default: all)",
    )
    parser.add_argument(
        "--runs", type=int, default=200, help="runs / versions per phase; reads are 5x this"
    )
    parser.add_argument("--json", metavar="FILE", help="also write timings and ratios here")
    parser.add_argument("--setup-only", action="store_true", help="create the MLflow venv, exit")
    parser.add_argument(
        "--venv", type=Path, default=mlflow_env.DEFAULT_VENV, help="MLflow's virtual environment"
    )
    parser.add_argument("--mlflow-spec", default=mlflow_env.DEFAULT_SPEC, help="pip requirement")
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(args.phases) - set(PHASES))
    if unknown:
        parser.error(f"--phases: unknown {', '.join(unknown)}; choose from {', '.join(PHASES)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mlflow_python = mlflow_env.ensure(args.venv, args.mlflow_spec, log=console.print)
    if args.setup_only:
        console.print(f"MLflow {mlflow_env.version(mlflow_python)} ready in {args.venv}")
        return 0
    from importlib.metadata import version

    meta = {
        "modelreg": version("modelreg"),
        "mlflow": mlflow_env.version(mlflow_python),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "runs": args.runs,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    console.print(f"modelreg {meta['modelreg']} vs MLflow {meta['mlflow']}, {args.runs} runs")
    loads: list[float] = []
    results = {phase: run_phase(phase, args.runs, mlflow_python, loads) for phase in args.phases}
    meta["max_load_average"] = max(loads, default=None)

    title = f"modelreg {meta['modelreg']} vs MLflow {meta['mlflow']} (SQLite, {args.runs} runs)"
    console.print(report.table(results, title))
    for line in report.problems(results) + report.verdicts(results):
        console.print(line)
    # The benchmark itself keeps about one CPU busy; more than that is other work,
    # which may have slowed one side more than the other.
    busiest = meta["max_load_average"]
    if busiest is not None and busiest > max(1.5, 0.75 * (os.cpu_count() or 1) + 1):
        console.print(
            f"[yellow]load average reached {busiest:.1f} on {os.cpu_count()} CPUs: other work "
            "was running, so these ratios are unreliable; rerun on a quiet machine.[/]"
        )
    console.print("[dim]Compare ratios within one run, never absolute times across runs.[/]")
    if args.json:
        payload = {"meta": meta, "results": results, "ratios": report.ratios(results)}
        Path(args.json).write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
