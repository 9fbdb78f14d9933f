"""Runs fixed workloads against modelreg and MLflow and prints the ratios.

    python benchmarks/run.py [--phases import,tracking,registry,...] [--runs 200] [--json out.json]
    python benchmarks/run.py --setup-only     # only create benchmarks/.venv-mlflow, install wrk

Phases: import, tracking, registry (embedded SQLite on both sides); server,
throughput (through `modelreg server` and `mlflow server`); artifacts (large
and small files against `cp`); log_model (a scikit-learn model); serve
(`modelreg serve` against `mlflow models serve`); scale (modelreg's reads as
one experiment and one model grow, see phase_scale.py); ui (web UI page times
on a large registry, see phase_ui.py). Each side
runs in its own subprocess: modelreg in this interpreter, MLflow in its own
virtual environment. Compare the ratios from one run; absolute times from
different runs or machines do not compare.
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

import loadgen
import mlflow_env
import phase_artifacts
import phase_log_model
import phase_scale
import phase_serve
import phase_server
import phase_ui
import report
from sides import last_line, modelreg_env, run_workload

EMBEDDED_PHASES = ("import", "tracking", "registry")
SERVER_PHASES = ("server", "throughput", "artifacts", "log_model", "serve", "scale", "ui")
PHASES = (*EMBEDDED_PHASES, *SERVER_PHASES)
IMPORT_REPEATS = 3
# op name -> (modelreg statement, MLflow statement), each timed in a fresh interpreter.
IMPORTS = {
    "import package": ("import modelreg", "import mlflow"),
    "import client class": ("from modelreg import Client", "from mlflow import MlflowClient"),
}
TIME_STATEMENT = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"

# Rich assumes 80 columns when piped; the table needs about 115.
console = Console(width=None if sys.stdout.isatty() else 120)


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
                return {"error": last_line(proc.stderr)}
            samples.append(float(proc.stdout.strip().splitlines()[-1]))
    return {"ops": 1, "seconds": min(samples), "samples": samples}


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


def _int_list(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("give positive integers separated by commas")
    return values


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
    parser.add_argument(
        "--server-runs",
        type=int,
        default=10,
        help="runs / versions of the workloads in the server phase (default: 10; MLflow's "
        "server takes 50-300 ms per call with several workers)",
    )
    parser.add_argument(
        "--server-workers",
        type=_int_list,
        default=[2, 4],
        help="worker counts, comma-separated (default: 2,4; MLflow's default is 4). The "
        "throughput phase runs each; the server, artifacts and serve phases the first",
    )
    parser.add_argument(
        "--artifact-mb", type=int, default=1024, help="size of the large file (default: 1024)"
    )
    parser.add_argument(
        "--artifact-4gib",
        action="store_true",
        help="artifacts phase: run again with a 4 GiB file (needs about 18 GiB of free disk)",
    )
    parser.add_argument(
        "--small-files", type=int, default=1000, help="number of 4 KiB files (default: 1000)"
    )
    parser.add_argument(
        "--scale-runs",
        type=_int_list,
        default=list(phase_scale.RUNS),
        help="scale phase: run counts the experiment grows through (default: 1000,100000)",
    )
    parser.add_argument(
        "--scale-versions",
        type=_int_list,
        default=list(phase_scale.VERSIONS),
        help="scale phase: version counts, one per run count (default: 200,20000)",
    )
    parser.add_argument(
        "--scale-databases",
        type=lambda text: [d.strip() for d in text.split(",") if d.strip()],
        default=list(phase_scale.DATABASES),
        help="scale phase: sqlite, postgresql or both (default: both)",
    )
    parser.add_argument(
        "--ui-runs", type=int, default=phase_ui.RUNS, help="ui phase: runs in the experiment"
    )
    parser.add_argument(
        "--ui-versions", type=int, default=phase_ui.VERSIONS, help="ui phase: versions of the model"
    )
    parser.add_argument(
        "--ui-databases",
        type=lambda text: [d.strip() for d in text.split(",") if d.strip()],
        default=list(phase_ui.DATABASES),
        help="ui phase: sqlite, postgresql or both (default: sqlite)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write timings and ratios here")
    parser.add_argument(
        "--setup-only", action="store_true", help="create the MLflow venv, install wrk, exit"
    )
    parser.add_argument(
        "--venv", type=Path, default=mlflow_env.DEFAULT_VENV, help="MLflow's virtual environment"
    )
    parser.add_argument("--mlflow-spec", default=mlflow_env.DEFAULT_SPEC, help="pip requirement")
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(args.phases) - set(PHASES))
    if unknown:
        parser.error(f"--phases: unknown {', '.join(unknown)}; choose from {', '.join(PHASES)}")
    for name in ("runs", "server_runs", "artifact_mb", "small_files"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def run_server_phase(phase: str, args: argparse.Namespace, mlflow_python: Path) -> dict[str, Any]:
    """Runs one of the phases that are not a plain two-sided table; returns its JSON data."""
    log = console.print
    workers = args.server_workers[0]
    if phase == "server":
        return phase_server.run_server(args.server_runs, workers, mlflow_python, log)
    if phase == "throughput":
        return phase_server.run_throughput(args.server_workers, mlflow_python, log)
    if phase == "artifacts":
        sizes = [args.artifact_mb, *([4096] if args.artifact_4gib else [])]
        return phase_artifacts.run_sizes(sizes, args.small_files, workers, mlflow_python, log)
    if phase == "log_model":
        return phase_log_model.run(mlflow_python, log)
    if phase == "serve":
        return phase_serve.run(workers, mlflow_python, log)
    if phase == "scale":
        return phase_scale.run(
            args.scale_runs, args.scale_versions, args.scale_databases, log, mlflow_python
        )
    if phase == "ui":
        return phase_ui.run(args.ui_runs, args.ui_versions, args.ui_databases, log)
    raise ValueError(phase)


RENDERERS = {
    "server": phase_server.render_server,
    "throughput": phase_server.render_throughput,
    "artifacts": phase_artifacts.render,
    "log_model": phase_log_model.render,
    "serve": phase_serve.render,
    "scale": phase_scale.render,
    "ui": phase_ui.render,
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mlflow_python = mlflow_env.ensure(args.venv, args.mlflow_spec, log=console.print)
    if args.setup_only:
        console.print(f"MLflow {mlflow_env.version(mlflow_python)} ready in {args.venv}")
        wrk = loadgen.ensure_wrk(console.print)
        console.print(
            f"wrk ready: {wrk}"
            if wrk
            else "no wrk: the throughput phase will use Python threads for its concurrent load"
        )
        return 0
    from importlib.metadata import version

    meta = {
        "modelreg": version("modelreg"),
        "mlflow": mlflow_env.version(mlflow_python),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "runs": args.runs,
        "server_runs": args.server_runs,
        "server_workers": args.server_workers,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    console.print(f"modelreg {meta['modelreg']} vs MLflow {meta['mlflow']}")
    loads: list[float] = []
    results: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for phase in args.phases:
        started = time.perf_counter()
        if phase in EMBEDDED_PHASES:
            results[phase] = run_phase(phase, args.runs, mlflow_python, loads)
        else:
            # These phases load every CPU themselves (server, client, database), so the
            # load average is only shown before they start, not used for the warning.
            before = load_average()
            extra[phase] = run_server_phase(phase, args, mlflow_python)
            extra[phase]["load_average_before"] = before
        took = time.perf_counter() - started
        console.print(f"{phase}: {took:.0f} s")
        meta.setdefault("phase_seconds", {})[phase] = took
    meta["max_load_average"] = max(loads, default=None)

    if results:
        title = f"modelreg {meta['modelreg']} vs MLflow {meta['mlflow']} (SQLite, {args.runs} runs)"
        console.print(report.table(results, title))
        for line in report.problems(results) + report.verdicts(results):
            console.print(line)
    for phase, data in extra.items():
        if "error" in data:
            console.print(f"[red]{phase}: {data['error']}[/]")
        else:
            RENDERERS[phase](console, data)
        before = data.get("load_average_before")
        if before is not None:
            console.print(f"[dim]{phase}: load average {before:.1f} before it started[/]")
    # The embedded phases keep about one CPU busy; more than that is other work,
    # which may have slowed one side more than the other.
    busiest = meta["max_load_average"]
    if busiest is not None and busiest > max(1.5, 0.75 * (os.cpu_count() or 1) + 1):
        console.print(
            f"[yellow]load average reached {busiest:.1f} on {os.cpu_count()} CPUs: other work "
            "was running, so these ratios are unreliable; rerun on a quiet machine.[/]"
        )
    console.print("[dim]Compare ratios within one run, never absolute times across runs.[/]")
    if args.json:
        payload = {"meta": meta, "results": results, "ratios": report.ratios(results), **extra}
        Path(args.json).write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
