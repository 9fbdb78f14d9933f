"""The log_model phase: log and load a small scikit-learn model, and autolog its
fitting, embedded SQLite on both sides.

Per side, two fresh processes share one store folder: the first logs
N_MODELS + 1 logistic regressions on iris (``modelreg.log_model`` vs
``mlflow.sklearn.log_model``, input example given), the second loads each
(``modelreg.load_model`` vs ``mlflow.pyfunc.load_model``) and checks its
predictions, then loads the last one again N_MODELS times; a third turns the
library's ``autolog()`` on and fits N_MODELS + 1 of them (each fit a run with
what the library logs: params, training metrics and plots, the model). The
first call of each process is reported alone, since it pays for whatever the
library imports lazily; the other calls as a median.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import report
import sides

TARGET_LOG_MODEL_MS = 150.0
# (op, shown as a median of its calls rather than the one call)
ROWS = (
    ("log_model (first call)", False),
    ("log_model", True),
    ("load_model (first call)", False),
    ("load_model", True),
    ("load_model (same URI again)", True),
    ("autologged fit (first call)", False),
    ("autologged fit", True),
)


def run(mlflow_python: Path, log) -> dict[str, Any]:
    """``{"results": {side: {op: entry}}}``, entries with per-call ``samples``."""
    results: dict[str, Any] = {}
    for name in ("modelreg", "mlflow"):
        python, script, env = sides.side(name, mlflow_python)
        merged: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix=f"bench-log-model-{name}-") as workdir:
            # Loaded models are cached under MODELREG_CACHE_DIR: keep them in the work folder.
            env = {**env, "MODELREG_CACHE_DIR": str(Path(workdir, "cache"))}
            for phase in ("log_model", "load_model", "autolog"):
                if phase == "load_model" and "error" in merged.get("log_model process", {}):
                    continue  # nothing was logged to load
                got = sides.run_workload(python, script, phase, 1, env, ["--workdir", workdir])
                got.pop("_process", None)
                if "process" in got:
                    got[f"{phase} process"] = got.pop("process")
                merged.update({op: e for op, e in got.items() if op != "setup"})
        results[name] = merged
        log(f"  log_model: {name} done")
    return {"results": results}


def median_ms(entry: dict[str, Any] | None) -> float | None:
    if not entry or "samples" not in entry:
        return None
    return statistics.median(entry["samples"]) * 1000


def _cell(entry: dict[str, Any] | None, median: bool) -> tuple[str, float | None]:
    if entry is None:
        return "[dim]not run[/]", None
    if "error" in entry:
        return "[red]error[/]", None
    value = median_ms(entry) if median else entry["seconds"] / entry["ops"] * 1000
    if value is None:
        return "", None
    return f"{value:.1f}", value


def render(console: Console, data: dict[str, Any]) -> None:
    results = data["results"]
    t = Table(
        title="log_model, load_model and autolog of a small scikit-learn model (embedded SQLite)"
    )
    t.add_column("op")
    t.add_column("calls", justify="right")
    t.add_column("modelreg ms", justify="right")
    t.add_column("MLflow ms", justify="right")
    t.add_column("MLflow/modelreg", justify="right")
    values: dict[str, dict[str, float | None]] = {"modelreg": {}, "mlflow": {}}
    for label, median in ROWS:
        cells = []
        calls = ""
        for name in ("modelreg", "mlflow"):
            entry = results.get(name, {}).get(label)
            text, value = _cell(entry, median)
            cells.append(text)
            values[name][label] = value
            if entry and entry.get("ops"):
                calls = f"median of {entry['ops']}" if median else "1"
        r = report.ratio(values["modelreg"][label], values["mlflow"][label])
        t.add_row(label, calls, *cells, report.ratio_cell(r))
    console.print(t)
    for name in ("modelreg", "mlflow"):
        for op, entry in results.get(name, {}).items():
            if "error" in entry:
                console.print(f"[red]log_model/{name}/{op}: {entry['error']}[/]")
    steady = values["modelreg"].get("log_model")
    if steady is not None:
        mark = "[green]meets[/]" if steady <= TARGET_LOG_MODEL_MS else "[red]misses[/]"
        console.print(
            f"modelreg log_model: {steady:.0f} ms (median) {mark} the "
            f"{TARGET_LOG_MODEL_MS:.0f} ms target"
        )
