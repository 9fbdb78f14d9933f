"""The ui phase: is every web UI page fast on a large registry? (issue #18, point 12)

    python benchmarks/phase_ui.py                      # 100k runs, 20k versions, SQLite
    python benchmarks/phase_ui.py --runs 10000 --versions 2000 --databases sqlite,postgresql
    python benchmarks/run.py --phases ui --ui-runs 100000 --ui-versions 20000

One store per database holds one experiment of ``runs`` runs (5 metrics, 5
params, 2 tags each) and one model, ``big``, of ``versions`` versions, each
with the audit event of its creation, version i made from run i, scored by
``m0 - 0.5 × m1``, bulk-loaded as in the scale phase
(phase_scale.py). A ``modelreg server --auth`` (one worker) serves it to an admin; each page is
fetched over a keep-alive connection, after one untimed fetch, and the median
of the timed fetches is its time: the server's time plus a loopback round
trip. Target: every page at most 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

import phase_scale
import servers

RUNS = 100_000
VERSIONS = 20_000
DATABASES = ("sqlite",)
TARGET_MS = 100.0
FETCHES = 7
CHILDREN = 500  # child runs of the newest run (a hyperparameter search's candidates)
CHROMIUM = "/usr/bin/chromium"  # Debian's package, as in the browser tests


def _link_versions_to_runs(conn: Any, model_id: int, count: int) -> None:
    """Version i comes from run i, so pages show its metrics, score and rank."""
    from sqlalchemy import bindparam

    from modelreg.store import schema as s

    mv = s.model_versions
    conn.execute(
        mv.update()
        .where(mv.c.model_id == model_id, mv.c.version == bindparam("number"))
        .values(run_id=bindparam("run")),
        [{"number": v, "run": f"{v:032x}"} for v in range(1, count + 1)],
    )


def _nest_runs(conn: Any, runs: int) -> None:
    """The newest run is a search whose ``CHILDREN`` candidates are the runs just before
    it, so the first page of the runs table shows a parent and children."""
    from modelreg.run_tags import PARENT_RUN_TAG
    from modelreg.store import schema as s

    parent = f"{runs - 1:032x}"
    children = range(max(0, runs - 1 - CHILDREN), runs - 1)
    rows = [{"run_id": f"{i:032x}", "key": PARENT_RUN_TAG, "value": parent} for i in children]
    conn.execute(s.run_tags.insert(), rows)


@contextmanager
def _loaded_store(database: str, runs: int, versions: int, log: Callable) -> Iterator[tuple]:
    """A store of that size, migrated by modelreg and bulk-loaded.

    Yields (uri, folder, experiment id, (depth, a page token that many runs deep), load s,
    admin token)."""
    from sqlalchemy import select

    from modelreg import Client
    from modelreg.backend import clear_backend_cache
    from modelreg.store import schema as s
    from modelreg.store.database import Database

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ui-")))
        if database == "sqlite":
            uri = f"sqlite:///{folder}/registry.db"
        else:
            uri = stack.enter_context(servers.postgres_database("bench_ui"))
        os.environ["MODELREG_ARTIFACTS_URI"] = str(folder / "artifacts")
        clear_backend_cache()
        client = Client(uri)
        experiment_id = client.create_experiment("ui")
        client.create_registered_model(phase_scale.MODEL, description="The **big** model.")
        started = time.perf_counter()
        engine = Database.shared(uri).engine
        with engine.begin() as conn:
            model_id = conn.execute(
                select(s.registered_models.c.model_id).where(
                    s.registered_models.c.name == phase_scale.MODEL
                )
            ).scalar_one()
            phase_scale.load_runs(conn, int(experiment_id), 0, runs, random.Random(18))
            _nest_runs(conn, runs)
            phase_scale.load_versions(conn, model_id, 0, versions)
            _link_versions_to_runs(conn, model_id, min(versions, runs))
        if database != "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        loaded = time.perf_counter() - started
        log(f"  ui {database}: {runs:,} runs, {versions:,} versions loaded in {loaded:.1f} s")
        client.set_registered_model_alias(phase_scale.MODEL, "champion", versions // 2)
        client.set_scoring_weights(phase_scale.MODEL, {"m0": 1.0, "m1": -0.5})
        # The server runs with --auth as teams run it, so the admin-only audit page is timed too.
        admin = client.create_user("bench-admin", is_admin=True).token
        depth = min(50_000, max(1, runs // 2))
        deep = client.search_runs(
            [experiment_id], max_results=depth, order_by=["attributes.start_time DESC"]
        ).token
        clear_backend_cache()
        yield uri, folder, experiment_id, (depth, deep), loaded, admin


def _pages(
    experiment_id: str, deep: tuple[int, str | None], runs: int, versions: int
) -> dict[str, str]:
    """Page name -> path, for the pages a person opens on a large registry."""
    model = f"/ui/models/{phase_scale.MODEL}"
    run_a, run_b = f"{7:032x}", f"{8:032x}"
    middle = versions // 2
    pages = {
        "models list": "/ui/models",
        "models search 'big'": "/ui/models?q=big",
        "model page (versions, trend, history)": model,
        "version page": f"{model}/versions/{middle}",
        "compare 3 versions": f"{model}/compare?v={middle}&v={middle - 1}&v={middle - 2}",
        "experiments": "/ui/experiments",
        "runs table, first page": f"/ui/experiments/{experiment_id}",
        "runs table, sorted by a metric": (
            f"/ui/experiments/{experiment_id}?sort=metrics.m1&order=desc"
        ),
        "runs table, sorted by name": f"/ui/experiments/{experiment_id}?sort=attributes.run_name",
        "runs table, sorted by a param": (
            f"/ui/experiments/{experiment_id}?sort=params.p0&order=asc"
        ),
        "runs table, filtered": (
            f"/ui/experiments/{experiment_id}?filter={quote('metrics.m0 > 0.999')}"
        ),
        "runs table, child runs hidden": f"/ui/experiments/{experiment_id}?top_level=true",
        "run page": f"/ui/runs/{run_a}",
        "run page of a search (its candidates)": f"/ui/runs/{runs - 1:032x}",
        "compare 2 runs": f"/ui/experiments/{experiment_id}/compare?run={run_a}&run={run_b}",
        "audit page": "/ui/audit",
    }
    depth, token = deep
    if token:
        pages[f"runs table, a page {depth:,} runs deep"] = (
            f"/ui/experiments/{experiment_id}?page_token={quote(token)}"
        )
    return pages


def _time_page(http: httpx.Client, path: str) -> float:
    """Median ms of FETCHES fetches after one untimed; raises on a non-200 answer."""
    first = http.get(path)
    if first.status_code != 200:
        raise RuntimeError(f"GET {path} answered {first.status_code}: {first.text[:200]}")
    samples = []
    for _ in range(FETCHES):
        started = time.perf_counter()
        http.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _screenshots(url: str, headers: dict[str, str], pages: dict[str, str], folder: Path) -> None:
    """Saves a full-page screenshot of each page, as Debian's Chromium renders it."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(
            extra_http_headers=headers, viewport={"width": 1280, "height": 900}
        )
        view = context.new_page()
        for number, (name, path) in enumerate(pages.items(), 1):
            view.goto(url + path)
            slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
            view.screenshot(path=str(folder / f"{number:02d}-{slug}.png"), full_page=True)
        browser.close()


def run_database(
    database: str, runs: int, versions: int, log: Callable, screenshots: Path | None = None
) -> dict[str, Any]:
    """Loads one store, serves it, times every page: ``{"load_s", "ms": {page: ms}}``.

    With ``screenshots``, also saves a screenshot of each page there (needs Playwright)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELREG_", "MLFLOW_"))}
    with _loaded_store(database, runs, versions, log) as (uri, folder, exp, deep, loaded, admin):
        cmd = servers.modelreg_cmd(uri, folder / "artifacts", servers.free_port(), 1)
        headers = {"Authorization": f"Bearer {admin}"}
        with (
            servers.running("modelreg-ui", [*cmd, "--auth"], env, folder) as server,
            httpx.Client(base_url=server.url, timeout=60, headers=headers) as http,
        ):
            ms = {}
            pages = _pages(exp, deep, runs, versions)
            for name, path in pages.items():
                try:
                    ms[name] = _time_page(http, path)
                except RuntimeError as exc:
                    ms[name] = str(exc)
            if screenshots is not None:
                _screenshots(server.url, headers, pages, screenshots / database)
                log(f"  ui {database}: screenshots in {screenshots / database}")
    return {"runs": runs, "versions": versions, "load_s": loaded, "ms": ms}


def run(
    runs: int,
    versions: int,
    databases: list[str],
    log: Callable,
    screenshots: Path | None = None,
) -> dict[str, Any]:
    return {db: run_database(db, runs, versions, log, screenshots) for db in databases}


def render(console: Any, data: dict[str, Any]) -> None:
    from rich.table import Table

    for database, result in data.items():
        if not isinstance(result, dict) or "ms" not in result:
            if isinstance(result, dict) and "error" in result:
                console.print(f"[red]ui {database}: {result['error']}[/]")
            continue
        table = Table(
            title=(
                f"ui: page times on {database}, {result['runs']:,} runs and "
                f"{result['versions']:,} versions (median ms per GET, one worker)"
            )
        )
        table.add_column("page")
        table.add_column("ms", justify="right")
        table.add_column(f"≤ {TARGET_MS:.0f} ms", justify="center")
        for name, ms in result["ms"].items():
            if isinstance(ms, str):
                table.add_row(name, "[red]error[/]", ms)
                continue
            ok = ms <= TARGET_MS
            table.add_row(name, f"{ms:.1f}", "[green]yes[/]" if ok else "[red]no[/]")
        console.print(table)
        console.print(f"[dim]bulk load: {result['load_s']:.1f} s[/]")


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--versions", type=int, default=VERSIONS)
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite,postgresql")
    parser.add_argument(
        "--screenshots", type=Path, metavar="DIR", help="save a screenshot of each page here"
    )
    args = parser.parse_args(argv)
    if args.versions < 3:
        parser.error("--versions must be at least 3 (the compare page picks three)")
    console = Console()
    data = run(args.runs, args.versions, args.databases.split(","), console.print, args.screenshots)
    render(console, data)
    slow = [
        n for r in data.values() for n, ms in r["ms"].items() if isinstance(ms, str) or ms > 100
    ]
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
