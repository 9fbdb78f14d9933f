"""The server phases: the workloads through servers, and HTTP latency and throughput.

``server``: modelreg server on PostgreSQL, mlflow server on SQLite and on
PostgreSQL, each started fresh with the same number of workers; the tracking
and registry workloads (the very code of the embedded phases) run against
each through its own client.

``throughput``: for each worker count, every server is started fresh and
seeded with one model (the registry workload, 3 versions); then one version
is fetched over its REST endpoint: sequentially on one keep-alive connection
(this is where a missing TCP_NODELAY shows as ~40 ms per request), and by
CONCURRENT_CLIENTS keep-alive connections from wrk for THROUGHPUT_SECONDS. Where
wrk cannot be installed, Python threads drive every server of the run instead,
and the table says so: their p99 is mostly GIL waits (see :mod:`loadgen`).
Before the timed requests the disks are synced (``os.sync``): on the shared
machines here, earlier phases leave seconds of writeback whose stalls would
otherwise land in whichever server is measured next.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import loadgen
import report
import servers
import sides

MODELREG = "modelreg-pg"
MLFLOW_TARGETS = ("mlflow-sqlite", "mlflow-pg")
WORKLOAD_PHASES = ("tracking", "registry")
SEED_VERSIONS = 3
SEQUENTIAL_REQUESTS = 100
CONCURRENT_CLIENTS = 16
THROUGHPUT_SECONDS = 10.0
# Issue targets for the server.
TARGET_P99_MS = 20.0
TARGET_STARTUP_S = 2.0
TARGET_RSS_MB = 300.0
TARGET_RSS_WORKERS = 2
# wrk's mean x rate / connections above this: its latency figures break Little's law.
IN_FLIGHT_SUSPECT = 1.5
NAGLE_SUSPECT_MS = 20.0  # sequential keep-alive GETs this slow smell of a missing TCP_NODELAY
MODEL = "bench_model"  # created by the registry workload


def version_url(target: str, base: str) -> str:
    if target.startswith("modelreg"):
        return f"{base}/api/v1/registered-models/{MODEL}/versions/1"
    return f"{base}/api/2.0/mlflow/model-versions/get?name={MODEL}&version=1"


def memory_of(server: servers.Server) -> dict[str, Any]:
    m = server.memory()
    return {"processes": m.processes, "rss_mb": m.rss_mb, "pss_mb": m.pss_mb}


def _through(
    target: str, server: servers.Server, phase: str, runs: int, mlflow_python: Path
) -> dict[str, Any]:
    python, script, env = sides.side(servers.TARGETS[target][0], mlflow_python)
    return sides.run_workload(python, script, phase, runs, env, ["--tracking-uri", server.url])


def run_server(runs: int, workers: int, mlflow_python: Path, log) -> dict[str, Any]:
    """The tracking and registry workloads through each server, ``workers`` workers each."""
    data: dict[str, Any] = {"workers": workers, "runs": runs, "servers": {}, "results": {}}
    for target in (MODELREG, *MLFLOW_TARGETS):
        side = servers.TARGETS[target][0]
        info: dict[str, Any] = {}
        data["servers"][target] = info
        with tempfile.TemporaryDirectory(prefix=f"bench-{target}-") as tmp:
            try:
                env = sides.side(side, mlflow_python)[2]
                with servers.start_target(target, workers, Path(tmp), mlflow_python, env) as srv:
                    info.update(startup_s=srv.startup_s, upgrade_s=srv.upgrade_s)
                    info["idle"] = memory_of(srv)
                    for phase in WORKLOAD_PHASES:
                        result = _through(target, srv, phase, runs, mlflow_python)
                        data["results"].setdefault(phase, {})[target] = result
                    info["after"] = memory_of(srv)
            except servers.ServerFailed as exc:
                info["error"] = str(exc)
                for phase in WORKLOAD_PHASES:
                    data["results"].setdefault(phase, {})[target] = {
                        "process": {"error": f"server did not start: {exc}"}
                    }
        log(f"  server: {target} done")
    return data


def run_throughput(workers_list: list[int], mlflow_python: Path, log) -> dict[str, Any]:
    """Start-up, memory, sequential latency and concurrent throughput per worker count.

    The concurrent load generator is chosen once, so every server of the run gets the same.
    """
    wrk = loadgen.ensure_wrk(log)
    if wrk is None:
        log(
            "[yellow]throughput: no wrk, so Python threads generate the concurrent load; "
            "their p99 is mostly the generator's own GIL waits[/]"
        )
    rows: list[dict[str, Any]] = []
    for workers in workers_list:
        for target in (MODELREG, *MLFLOW_TARGETS):
            row: dict[str, Any] = {"target": target, "workers": workers}
            rows.append(row)
            side = servers.TARGETS[target][0]
            with tempfile.TemporaryDirectory(prefix=f"bench-{target}-") as tmp:
                try:
                    env = sides.side(side, mlflow_python)[2]
                    with servers.start_target(
                        target, workers, Path(tmp), mlflow_python, env
                    ) as srv:
                        row.update(startup_s=srv.startup_s, upgrade_s=srv.upgrade_s)
                        row["idle"] = memory_of(srv)
                        seeded = _through(target, srv, "registry", SEED_VERSIONS, mlflow_python)
                        failed = [e["error"] for e in seeded.values() if "error" in e]
                        if failed:
                            row["error"] = f"seeding failed: {failed[0]}"
                            continue
                        url = version_url(target, srv.url)
                        os.sync()
                        row["sequential"] = loadgen.sequential(url, SEQUENTIAL_REQUESTS).to_dict()
                        if wrk is None:
                            load = loadgen.threaded(url, CONCURRENT_CLIENTS, THROUGHPUT_SECONDS)
                        else:
                            load = loadgen.wrk(url, CONCURRENT_CLIENTS, THROUGHPUT_SECONDS, wrk)
                        row["concurrent"] = load.to_dict()
                        row["loaded"] = memory_of(srv)
                except (servers.ServerFailed, loadgen.LoadFailed) as exc:
                    row["error"] = str(exc)
            log(f"  throughput: {target}, {workers} workers done")
    return {
        "rows": rows,
        "clients": CONCURRENT_CLIENTS,
        "seconds": THROUGHPUT_SECONDS,
        "generator": "python" if wrk is None else "wrk",
        "wrk_threads": loadgen.WRK_THREADS,
    }


# ---- rendering


def _label(target: str) -> str:
    return servers.TARGETS[target][1]


def render_server(console: Console, data: dict[str, Any]) -> None:
    workers, runs, results = data["workers"], data["runs"], data["results"]
    for target in MLFLOW_TARGETS:
        pair = {
            phase: {
                "modelreg": results.get(phase, {}).get(MODELREG, {}),
                "mlflow": results.get(phase, {}).get(target, {}),
            }
            for phase in WORKLOAD_PHASES
        }
        title = (
            f"through servers: {_label(MODELREG)} vs {_label(target)}, "
            f"{workers} workers each, {runs} runs"
        )
        console.print(report.table(pair, title))
        for line in report.problems(pair) + report.verdicts(pair):
            console.print(f"via {_label(target)}: {line}")
    t = Table(title=f"servers of the server phase ({workers} workers each)")
    for col in ("server", "db upgrade s", "start-up s", "processes", "RSS idle MB"):
        t.add_column(col, justify="left" if col == "server" else "right")
    t.add_column("RSS after MB", justify="right")
    t.add_column("PSS after MB", justify="right")
    for target, info in data["servers"].items():
        if "error" in info:
            t.add_row(_label(target), "", "", "", "[red]did not start[/]", "", "")
            continue
        idle, after = info.get("idle", {}), info.get("after", {})
        t.add_row(
            _label(target),
            _num(info.get("upgrade_s"), 2),
            _num(info.get("startup_s"), 2),
            str(after.get("processes", idle.get("processes", ""))),
            _num(idle.get("rss_mb"), 0),
            _num(after.get("rss_mb"), 0),
            _num(after.get("pss_mb"), 0),
        )
    console.print(t)
    for target, info in data["servers"].items():
        if "error" in info:
            console.print(f"[red]{_label(target)} did not start: {info['error']}[/]")


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def render_throughput(console: Console, data: dict[str, Any]) -> None:
    mem = Table(title="servers of the throughput phase: start-up and memory (MB)")
    if data["generator"] == "wrk":
        concurrent = (
            f"{data['clients']} concurrent keep-alive connections from wrk "
            f"({data['wrk_threads']} threads)"
        )
        caption = (
            "client CPU: wrk's CPU time per second (100% = one core); probe p99: one more "
            "connection timing its own sequential GETs during wrk's run; in flight: wrk's "
            "mean x rate / connections (about 1 when wrk's latencies are sound); load: "
            "the machine's 1-minute load average at the start"
        )
    else:
        concurrent = f"{data['clients']} concurrent Python threads (wrk not installed)"
        caption = (
            "client CPU: the Python load generator's CPU time per second (100% = one core); "
            "its p50/p99 include waits for the GIL, so they overstate the server's"
        )
    speed = Table(
        title=f"GET one model version (ms): sequential on one keep-alive connection "
        f"({SEQUENTIAL_REQUESTS} requests), and {concurrent} for {data['seconds']:.0f} s",
        caption=caption,
    )
    for t, cols in (
        (mem, ("workers", "db upgrade s", "start-up s", "processes", "RSS idle", "RSS loaded",
               "PSS loaded")),
        (speed, ("workers", "seq p50", "seq p99", "req/s", "p50", "p99", "probe p99",
                 "in flight", "errors", "client CPU", "load")),
    ):  # fmt: skip
        t.add_column("server")
        for col in cols:
            t.add_column(col, justify="right")
    for row in data["rows"]:
        name, workers = _label(row["target"]), str(row["workers"])
        if "startup_s" not in row:
            mem.add_row(name, workers, "", "[red]did not start[/]")
            continue
        idle, loaded = row.get("idle", {}), row.get("loaded", {})
        mem.add_row(
            name,
            workers,
            _num(row.get("upgrade_s"), 2),
            _num(row["startup_s"], 2),
            str(loaded.get("processes", idle.get("processes", ""))),
            _num(idle.get("rss_mb"), 0),
            _num(loaded.get("rss_mb"), 0),
            _num(loaded.get("pss_mb"), 0),
        )
        if "concurrent" not in row:
            speed.add_row(name, workers, "[red]error[/]")
            continue
        seq, conc = row["sequential"], row["concurrent"]
        speed.add_row(
            name,
            workers,
            _num(seq["p50_ms"], 2),
            _num(seq["p99_ms"], 2),
            _num(conc["per_second"], 0),
            _num(conc["p50_ms"], 1),
            _num(conc["p99_ms"], 1),
            _num(conc.get("probe_p99_ms"), 1),
            _num(conc.get("in_flight"), 2),
            str(conc["errors"] + seq["errors"]),
            f"{conc['client_cpu'] * 100:.0f}%",
            _num(conc.get("load_avg"), 1),
        )
    console.print(mem)
    console.print(speed)
    for line in throughput_verdicts(data):
        console.print(line)


def _mark(ok: bool) -> str:
    return "[green]meets[/]" if ok else "[red]misses[/]"


def throughput_verdicts(data: dict[str, Any]) -> list[str]:
    """Errors, ratios against each MLflow set-up, and the issue's server targets."""
    lines = []
    by_key = {(r["target"], r["workers"]): r for r in data["rows"]}
    for row in data["rows"]:
        label = f"{_label(row['target'])}, {row['workers']} workers"
        if "error" in row:
            lines.append(f"[red]{label}: {row['error']}[/]")
        for kind in ("sequential", "concurrent"):
            first = row.get(kind, {}).get("first_error")
            if first:
                lines.append(f"[red]{label}: {kind}: {row[kind]['errors']} errors, {first}[/]")
    for (target, workers), row in by_key.items():
        if target != MODELREG or "concurrent" not in row:
            continue
        seq, conc = row["sequential"], row["concurrent"]
        for other in MLFLOW_TARGETS:
            ml = by_key.get((other, workers), {})
            if "concurrent" not in ml:
                continue
            rps = report.ratio(ml["concurrent"]["per_second"], conc["per_second"])
            lat = report.ratio(seq["p50_ms"], ml["sequential"]["p50_ms"])
            if rps is not None and lat is not None:
                lines.append(
                    f"{workers} workers vs {_label(other)}: throughput {rps:.1f}x "
                    f"{_mark(rps >= report.TARGET_RATIO)}, sequential latency {lat:.1f}x "
                    f"{_mark(lat >= report.TARGET_RATIO)} the {report.TARGET_RATIO:.0f}x target"
                )
        p99 = conc["p99_ms"]
        latency = (
            "no request succeeded under load, so no p99"
            if p99 is None
            else f"p99 {p99:.1f} ms under load {_mark(p99 <= TARGET_P99_MS)} "
            f"the {TARGET_P99_MS:.0f} ms target"
        )
        probe = conc.get("probe_p99_ms")
        if probe is not None:
            latency += f" (probe connection p99 {probe:.1f} ms {_mark(probe <= TARGET_P99_MS)})"
        in_flight = conc.get("in_flight")
        if in_flight is not None and in_flight > IN_FLIGHT_SUSPECT:
            lines.append(
                f"[yellow]modelreg {workers} workers: wrk's latencies imply {in_flight:.1f}x "
                "more requests in flight than connections (impossible for a closed loop): "
                "its p99 is not sound on this run (wg/wrk #114, #438)[/]"
            )
        lines.append(
            f"modelreg {workers} workers: {latency}; start-up "
            f"{row['startup_s']:.2f} s {_mark(row['startup_s'] <= TARGET_STARTUP_S)} "
            f"the {TARGET_STARTUP_S:.0f} s target"
        )
        if workers == TARGET_RSS_WORKERS:
            rss = row["loaded"]["rss_mb"]
            lines.append(
                f"modelreg {workers} workers: {rss:.0f} MB RSS in {row['loaded']['processes']} "
                f"processes {_mark(rss <= TARGET_RSS_MB)} the {TARGET_RSS_MB:.0f} MB target"
            )
        if workers > 1 and seq["p50_ms"] > NAGLE_SUSPECT_MS:
            lines.append(
                f"[red]modelreg {workers} workers: sequential keep-alive GET takes "
                f"{seq['p50_ms']:.0f} ms: TCP_NODELAY looks off (uvicorn issue #3149)[/]"
            )
    busiest = max((r["concurrent"]["client_cpu"] for r in by_key.values() if "concurrent" in r),
                  default=0.0)  # fmt: skip
    if busiest > 0.8:
        lines.append(
            f"[yellow]the load generator used up to {busiest * 100:.0f}% of a CPU: on a small "
            "machine it competes with the server, so the fastest server's req/s is a floor.[/]"
        )
    return lines
