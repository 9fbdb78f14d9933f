"""The scale phase: do reads stay flat as one experiment and one model grow? (issue #17)

    python benchmarks/phase_scale.py          # 1k -> 100k runs, 200 -> 20k versions
    python benchmarks/phase_scale.py --runs 1000,10000 --versions 200,2000 --databases sqlite
    python benchmarks/run.py --phases scale --scale-runs 1000,100000 --scale-versions 200,20000

One store per database (embedded SQLite, embedded PostgreSQL) grows through
the sizes given: one experiment to ``runs[i]`` runs (5 metrics, 5 params, 2
tags each) and one model, ``big``, to ``versions[i]`` versions. At each size
every read below is timed (median of many calls through ``modelreg.Client``);
the table shows the time at each size and the growth from the first to the
last. MLflow's own SQLite store then grows the same way through its client
API (``workloads/mlflow_scale.py``) for up to 15 minutes, and its reads at the
largest size it reached are compared with modelreg's on SQLite (``--no-mlflow``
skips that side).

Rows are bulk-loaded through the documented bulk path: SQLAlchemy Core
``INSERT`` batches into the tables of :mod:`modelreg.store.schema`, on the
store's own engine, after ``Client`` created and migrated the schema (the
public API would take minutes for 100k runs; what the reads see is the same
rows). The load time of each size is shown under the table.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

RUNS = (1_000, 100_000)
VERSIONS = (200, 20_000)
MLFLOW_RUNS = (1_000, 100_000)
MLFLOW_VERSIONS = (200, 20_000)
DATABASES = ("sqlite", "postgresql")
MODEL = "big"
BASE_TIME = 1_700_000_000_000
BATCH = 5_000
PAGE_ALL = 1_000  # runs per page when paging through every run via the server
MLFLOW_BUDGET_S = 900  # MLflow's store grows until this; the "15 minutes"
# Each read is repeated until this many seconds or MAX_CALLS calls, whichever comes first.
TIME_PER_READ_S = 0.5
MIN_CALLS, MAX_CALLS = 5, 200


def _reads(client: Any, experiment_id: str, run_id: str, source: str) -> dict[str, Callable]:
    """The reads of issue #17's table, and the writes that must stay flat too."""
    from modelreg.entities import Metric

    alias_targets = itertools.cycle((100, 101))
    source_run = source.split("/")[1]  # not run_id: get_run would read its metrics too
    steps = itertools.count()

    def search(filter_string: str, order_by: list[str], max_results: int, want: int) -> Callable:
        def read() -> None:
            found = client.search_runs(
                [experiment_id], filter_string, order_by=order_by, max_results=max_results
            )
            if len(found) < want:
                raise AssertionError(f"search_runs({filter_string!r}) found {len(found)}")

        return read

    return {
        "search_runs metric filter + top 10": search(
            "metrics.m0 > 0.999 and params.p1 = '5'", ["metrics.m0 DESC"], 10, 0
        ),
        "search_runs top 10 by metric": search("", ["metrics.m1 DESC"], 10, 10),
        "search_runs tag = , page of 50": search("tags.team = 't7'", [], 50, 50),
        "search_runs by end time, page of 50": search("", ["attributes.end_time DESC"], 50, 50),
        "search_runs by status, page of 50": search("", ["attributes.status"], 50, 50),
        "get_latest_versions Production": lambda: client.get_latest_versions(
            MODEL, stages=["Production"]
        ),
        "resolve models:/big/Production": lambda: client.resolve_model_uri(
            f"models:/{MODEL}/Production"
        ),
        "search_model_versions tag, 50": lambda: client.search_model_versions(
            f"name='{MODEL}' and tags.validated='yes'", max_results=50
        ),
        "search_registered_models 50": lambda: client.search_registered_models(max_results=50),
        "get_run": lambda: client.get_run(run_id),
        "get_model_version": lambda: client.get_model_version(MODEL, 7),
        "get_model_version_by_alias": lambda: client.get_model_version_by_alias(MODEL, "champion"),
        "create_model_version": lambda: client.create_model_version(MODEL, source),
        "set_registered_model_alias": lambda: client.set_registered_model_alias(
            MODEL, "champion", next(alias_targets)
        ),
        "log_batch of 1,000 metrics": lambda: client.log_batch(
            source_run, metrics=[Metric(f"batch{i}", i, 0, next(steps)) for i in range(1_000)]
        ),
    }


def median_ms(read: Callable[[], Any]) -> float:
    """The median wall time of one call, in ms, after one untimed call."""
    read()
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < MIN_CALLS or (
        len(samples) < MAX_CALLS and time.perf_counter() - started < TIME_PER_READ_S
    ):
        t = time.perf_counter()
        read()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def load_runs(conn: Any, experiment_id: int, start: int, stop: int, rng: random.Random) -> None:
    from modelreg.store import schema as s

    for first in range(start, stop, BATCH):
        ids = range(first, min(stop, first + BATCH))
        run_rows, metric_rows, param_rows, tag_rows = [], [], [], []
        for i in ids:
            run_id = f"{i:032x}"
            run_rows.append(
                {
                    "run_id": run_id,
                    "experiment_id": experiment_id,
                    "run_name": f"run-{i}",
                    "user_id": "bench",
                    "status": "FINISHED",
                    "start_time": BASE_TIME + i,
                    "end_time": BASE_TIME + i + 1,
                    "lifecycle_stage": "active",
                    "artifact_uri": f"modelreg-artifacts:/{experiment_id}/{run_id}/artifacts",
                }
            )
            for m in range(5):
                metric_rows.append(
                    {
                        "run_id": run_id,
                        "key": f"m{m}",
                        "value": rng.random(),
                        "is_nan": False,
                        "step": 0,
                        "timestamp": BASE_TIME + i,
                    }
                )
            for p in range(5):
                param_rows.append(
                    {"run_id": run_id, "key": f"p{p}", "value": str(rng.randrange(10))}
                )
            tag_rows.append({"run_id": run_id, "key": "team", "value": f"t{rng.randrange(10)}"})
            tag_rows.append({"run_id": run_id, "key": "source", "value": "bench"})
        conn.execute(s.runs.insert(), run_rows)
        conn.execute(s.metrics.insert(), metric_rows)
        conn.execute(s.latest_metrics.insert(), metric_rows)
        conn.execute(s.params.insert(), param_rows)
        conn.execute(s.run_tags.insert(), tag_rows)


def load_versions(conn: Any, model_id: int, start: int, stop: int) -> None:
    """Versions start+1..stop (semver 0.0.<version>): 1 in 100 in Production, 1 in 50 in
    Staging, the rest Archived; every 10th tagged validated=yes, the others validated=no;
    each with the audit event of its creation."""
    from sqlalchemy import func, select

    from modelreg.store import schema as s

    def stage(v: int) -> str:
        return "Production" if v % 100 == 0 else "Staging" if v % 50 == 0 else "Archived"

    for first in range(start + 1, stop + 1, BATCH):
        numbers = range(first, min(stop, first + BATCH - 1) + 1)
        rows = [
            {
                "model_id": model_id,
                "version": v,
                "semver": f"0.0.{v}",
                "semver_major": 0,
                "semver_minor": 0,
                "semver_patch": v,
                "semver_release": True,
                "current_stage": stage(v),
                "source": f"s3://bench/models/{v}",
                "run_id": None,
                "description": None,
                "user_id": "bench",
                "status": "READY",
                "creation_time": BASE_TIME + v,
                "last_updated_time": BASE_TIME + v,
            }
            for v in numbers
        ]
        conn.execute(s.model_versions.insert(), rows)
        ids = conn.execute(
            select(s.model_versions.c.version_id, s.model_versions.c.version).where(
                s.model_versions.c.model_id == model_id,
                s.model_versions.c.version.between(numbers[0], numbers[-1]),
            )
        ).all()
        conn.execute(
            s.model_version_tags.insert(),
            [
                {"version_id": vid, "key": "validated", "value": "yes" if v % 10 == 0 else "no"}
                for vid, v in ids
            ],
        )
        conn.execute(s.audit_events.insert(), [_created_event(model_id, v) for v in numbers])
    # Versions created through the API (bumped from 0.0.x) stay the highest semver.
    rm = s.registered_models
    conn.execute(
        rm.update()
        .where(rm.c.model_id == model_id)
        .values(
            last_version=stop,
            top_version=func.coalesce(rm.c.top_version, stop),
            top_semver=func.coalesce(rm.c.top_semver, f"0.0.{stop}"),
        )
    )


def _created_event(model_id: int, version: int) -> dict[str, Any]:
    """The audit event the registry writes when it creates a version (a history to page)."""
    return {
        "timestamp": BASE_TIME + version,
        "actor": "bench",
        "action": "create_model_version",
        "model_id": model_id,
        "model_name": MODEL,
        "version": version,
        "before": None,
        "after": f'{{"semver": "0.0.{version}"}}',
        "reason": None,
        "entity_type": "model",
        "entity_id": None,
    }


@contextmanager
def _store(database: str) -> Iterator[str]:
    with ExitStack() as stack:
        if database == "sqlite":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-scale-"))
            yield f"sqlite:///{folder}/registry.db"
        else:
            from servers import postgres_database

            yield stack.enter_context(postgres_database("bench_scale"))


def page_through_server(uri: str, experiment_id: str, folder: Path, log: Callable) -> dict:
    """Pages through every run of the experiment via ``modelreg server`` (pages of
    PAGE_ALL runs, through ``modelreg.Client``), sampling the server's RSS."""
    import servers
    from modelreg import Client

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELREG_", "MLFLOW_"))}
    cmd = servers.modelreg_cmd(uri, folder / "server-artifacts", servers.free_port(), 1)
    with servers.running("modelreg-scale", cmd, env, folder) as server:
        client = Client(server.url)
        rss = [server.memory().rss_mb]
        seen, pages, token = 0, 0, None
        started = time.perf_counter()
        while True:
            found = client.search_runs([experiment_id], max_results=PAGE_ALL, page_token=token)
            seen, pages, token = seen + len(found), pages + 1, found.token
            if pages % 50 == 0 or token is None:
                rss.append(server.memory().rss_mb)
            if token is None:
                break
        took = time.perf_counter() - started
    log(f"  scale: paged {seen:,} runs in {pages:,} pages in {took:.1f} s through the server")
    return {"runs": seen, "pages": pages, "s": took, "rss_mb": rss}


def run_database(
    database: str, runs: list[int], versions: list[int], log: Callable, page_all: bool = True
) -> dict:
    """Grows one store through the sizes; returns ``{"sizes", "load_s", "ms": {read: [..]}}``."""
    from sqlalchemy import select

    from modelreg import Client
    from modelreg.backend import clear_backend_cache
    from modelreg.store import schema as s
    from modelreg.store.database import Database

    result: dict[str, Any] = {"sizes": [], "load_s": [], "ms": {}}
    with _store(database) as uri, tempfile.TemporaryDirectory(prefix="bench-art-") as art:
        os.environ["MODELREG_ARTIFACTS_URI"] = art
        clear_backend_cache()
        client = Client(uri)
        experiment_id = client.create_experiment("scale")
        client.create_registered_model(MODEL)
        source_run = client.create_run(experiment_id).info.run_id
        source = f"runs:/{source_run}/model"
        engine = Database.shared(uri).engine  # the store's own engine: the bulk path
        with engine.begin() as conn:
            model_id = conn.execute(
                select(s.registered_models.c.model_id).where(s.registered_models.c.name == MODEL)
            ).scalar_one()
        rng = random.Random(17)
        loaded_runs = loaded_versions = 0
        for n_runs, n_versions in zip(runs, versions, strict=True):
            started = time.perf_counter()
            with engine.begin() as conn:
                load_runs(conn, int(experiment_id), loaded_runs, n_runs, rng)
                # create_model_version (timed below) adds versions through the API
                have = conn.execute(
                    select(s.registered_models.c.last_version).where(
                        s.registered_models.c.model_id == model_id
                    )
                ).scalar_one()
                load_versions(conn, model_id, have, max(have, n_versions))
            if database != "sqlite":
                with engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
            if loaded_versions == 0:
                client.set_registered_model_alias(MODEL, "champion", 100)
            loaded_runs, loaded_versions = n_runs, n_versions
            took = time.perf_counter() - started
            log(f"  scale {database}: {n_runs:,} runs, {n_versions:,} versions in {took:.1f} s")
            result["sizes"].append((n_runs, n_versions))
            result["load_s"].append(took)
            for name, read in _reads(client, experiment_id, f"{7:032x}", source).items():
                result["ms"].setdefault(name, []).append(median_ms(read))
        if page_all:
            result["paging"] = page_through_server(uri, experiment_id, Path(art), log)
        clear_backend_cache()
    return result


def run_mlflow(
    mlflow_python: Path, runs: list[int], versions: list[int], budget_s: float, log: Callable
) -> dict:
    """The same reads against MLflow's SQLite store, grown through MLflow's client API
    (workloads/mlflow_scale.py) until ``budget_s``."""
    import json
    import subprocess

    import mlflow_env

    script = Path(__file__).resolve().parent / "workloads" / "mlflow_scale.py"
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-scale-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            str(mlflow_python), str(script), "--runs", ",".join(map(str, runs)),
            "--versions", ",".join(map(str, versions)), "--budget-s", str(budget_s),
            "--out", str(out),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, env=mlflow_env.mlflow_env())
        if proc.returncode != 0 or not out.exists():
            return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
        result = json.loads(out.read_text())
    reached = result["sizes"][-1]
    log(f"  scale mlflow: reached {reached[0]:,} runs / {reached[1]:,} versions")
    return result


def run(
    runs: list[int],
    versions: list[int],
    databases: list[str],
    log: Callable,
    mlflow_python: Path | None = None,
    mlflow_runs: list[int] | None = None,
    mlflow_versions: list[int] | None = None,
) -> dict:
    if len(runs) != len(versions):
        raise ValueError("give as many run counts as version counts")
    data: dict[str, Any] = {db: run_database(db, runs, versions, log) for db in databases}
    if mlflow_python is not None:
        data["mlflow"] = run_mlflow(
            mlflow_python,
            mlflow_runs or list(MLFLOW_RUNS),
            mlflow_versions or list(MLFLOW_VERSIONS),
            MLFLOW_BUDGET_S,
            log,
        )
    return data


# Absolute targets at the largest size on SQLite (issue #17), in ms.
ABSOLUTE_TARGETS = {
    "search_runs metric filter + top 10": 5.0,
    "search_runs top 10 by metric": 5.0,
    "search_runs tag = , page of 50": 5.0,
    "search_runs by end time, page of 50": 5.0,
    "search_runs by status, page of 50": 5.0,
    "resolve models:/big/Production": 0.1,
}


def render(console: Any, data: dict) -> None:
    from rich.table import Table

    for database, result in data.items():
        if database == "mlflow" or not isinstance(result, dict):
            continue  # the MLflow side and the runner's own entries (load average)
        if "error" in result:
            console.print(f"[red]scale {database}: {result['error']}[/]")
            continue
        sizes = result["sizes"]
        table = Table(title=f"scale: modelreg embedded on {database} (median ms per call)")
        table.add_column("read")
        for n_runs, n_versions in sizes:
            table.add_column(f"{n_runs:,} runs / {n_versions:,} versions", justify="right")
        table.add_column("growth", justify="right")
        for name, times in result["ms"].items():
            growth = times[-1] / times[0] if times[0] else float("nan")
            colour = "green" if growth <= 3 else "red"
            table.add_row(name, *(f"{t:.3f}" for t in times), f"[{colour}]x{growth:.1f}[/{colour}]")
        console.print(table)
        loads = ", ".join(
            f"{r:,} runs / {v:,} versions in {s:.1f} s"
            for (r, v), s in zip(sizes, result["load_s"], strict=True)
        )
        console.print(f"[dim]bulk load (cumulative sizes): {loads}[/]")
        _render_paging(console, result.get("paging"))
        if database == "sqlite":
            _render_absolute(console, result)
    _render_mlflow(console, data)
    console.print("[dim]target: every read grows at most x3 from the first size to the last[/]")


def _render_paging(console: Any, paging: dict | None) -> None:
    if not paging:
        return
    rss = paging["rss_mb"]
    flat = max(rss) <= rss[0] * 1.5
    colour = "green" if flat else "red"
    console.print(
        f"paging every run through modelreg server: {paging['runs']:,} runs in "
        f"{paging['pages']:,} pages of {PAGE_ALL:,}, {paging['s']:.1f} s; server RSS "
        f"[{colour}]{rss[0]:.0f} MB at the start, {max(rss):.0f} MB at most, "
        f"{rss[-1]:.0f} MB at the end[/{colour}] ({len(rss)} samples)"
    )


def _render_absolute(console: Any, result: dict) -> None:
    n_runs, n_versions = result["sizes"][-1]
    for name, target in ABSOLUTE_TARGETS.items():
        ms = result["ms"][name][-1]
        verdict = "[green]met[/]" if ms <= target else "[red]missed[/]"
        console.print(
            f"{name} at {n_runs:,} runs / {n_versions:,} versions: {ms:.3f} ms "
            f"(target ≤ {target} ms) {verdict}"
        )


def _render_mlflow(console: Any, data: dict) -> None:
    """MLflow's times at each size it reached, and the ratio at its largest size against
    modelreg on SQLite at the first modelreg size at least as large."""
    from rich.table import Table

    theirs, ours = data.get("mlflow"), data.get("sqlite")
    if not isinstance(theirs, dict):
        return
    if "error" in theirs:
        console.print(f"[red]scale mlflow: {theirs['error']}[/]")
        return
    reached = theirs["sizes"][-1]
    table = Table(title="scale: MLflow embedded on SQLite (median ms per call)")
    table.add_column("read")
    for n_runs, n_versions in theirs["sizes"]:
        table.add_column(f"{n_runs:,} runs / {n_versions:,} versions", justify="right")
    match = None
    if isinstance(ours, dict) and "sizes" in ours:
        match = next(
            (i for i, (r, v) in enumerate(ours["sizes"]) if r >= reached[0] and v >= reached[1]),
            None,
        )
    if match is not None:
        r, v = ours["sizes"][match]
        table.add_column(f"modelreg at {r:,} / {v:,}", justify="right")
        table.add_column("MLflow/modelreg", justify="right")
    for name, times in theirs["ms"].items():
        cells = [f"{t:.3f}" for t in times]
        if match is not None and name in ours["ms"]:
            mine = ours["ms"][name][match]
            ratio = times[-1] / mine if mine else float("nan")
            colour = "green" if ratio >= 20 else "yellow" if ratio > 1 else "red"
            cells += [f"{mine:.3f}", f"[{colour}]{ratio:.0f}x[/{colour}]"]
        elif match is not None:
            cells += ["", ""]
        table.add_row(name, *cells)
    console.print(table)
    loads = ", ".join(
        f"{r:,} runs / {v:,} versions in {s:.0f} s"
        for (r, v), s in zip(theirs["sizes"], theirs["load_s"], strict=True)
    )
    stopped = " (stopped by the time budget)" if theirs.get("stopped_by_budget") else ""
    console.print(f"[dim]MLflow load through its client API: {loads}{stopped}[/]")


def _int_list(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=_int_list, default=list(RUNS), help="e.g. 1000,100000")
    parser.add_argument("--versions", type=_int_list, default=list(VERSIONS), help="e.g. 200,20000")
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite,postgresql")
    parser.add_argument("--mlflow-runs", type=_int_list, default=list(MLFLOW_RUNS))
    parser.add_argument("--mlflow-versions", type=_int_list, default=list(MLFLOW_VERSIONS))
    parser.add_argument(
        "--no-mlflow", action="store_true", help="modelreg only (no MLflow venv needed)"
    )
    args = parser.parse_args(argv)
    console = Console()
    mlflow_python = None
    if not args.no_mlflow:
        import mlflow_env

        mlflow_python = mlflow_env.ensure(mlflow_env.DEFAULT_VENV, mlflow_env.DEFAULT_SPEC)
    data = run(
        args.runs,
        args.versions,
        args.databases.split(","),
        console.print,
        mlflow_python,
        args.mlflow_runs,
        args.mlflow_versions,
    )
    render(console, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
