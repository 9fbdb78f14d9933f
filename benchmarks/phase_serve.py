"""The serve phase: ``modelreg serve`` against ``mlflow models serve`` for one scikit-learn model.

The model (``workloads/serve_model.py``): a LogisticRegression on iris, a
DataFrame of four float columns. modelreg serves it by alias from an
embedded SQLite registry (``models:/bench_iris@champion``, following it), in
a venv of its own (:mod:`serve_env`: without the test suite's torch, which
would slow loading any scikit-learn model); MLflow serves the folder
``mlflow.sklearn.save_model`` wrote, with ``--env-manager local`` (no
environment is built). Both get the same number
of workers and the same request: ``POST /invocations`` of one row as
``dataframe_split`` JSON.

Per server: **start-up** from starting the command until ``GET /ping``
answers 200 (the model loaded); **memory** of the whole process tree
(RSS and PSS, idle and after the load); **throughput** from CONCURRENT_CLIENTS
keep-alive connections by wrk for THROUGHPUT_SECONDS (a Lua script makes
each request that POST), after a discarded one-second warm-up: requests/s,
p50, p99, errors. Both servers' first answers are compared: a fast wrong
answer is an error, not a speed.

Then, for modelreg only, **swap**: a second version is registered, a
webhook pointed at the server, the alias moved; the time from the move
(the call returning) to the first answer from the new version, with
polling off (``--poll-interval 3600``), so the webhook is what brings it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

import loadgen
import mlflow_env
import report
import serve_env
import servers
import sides
from phase_server import memory_of

WORKLOAD = sides.WORKLOADS / "serve_model.py"
CONCURRENT_CLIENTS = 16
THROUGHPUT_SECONDS = 10.0
SECRET = "bench-webhook-secret"
COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
BODY = json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [[5.1, 3.5, 1.4, 0.2]]}})
LUA = f"""wrk.method = "POST"
wrk.body = '{BODY}'
wrk.headers["Content-Type"] = "application/json"
"""
TARGET_THROUGHPUT = 5.0  # modelreg's requests/s over MLflow's, at least
TARGET_STARTUP = 0.5  # modelreg's start-up over MLflow's, at most (the target)
TARGET_SWAP_S = 2.0
SIDES = ("modelreg", "mlflow")
LABELS = {"modelreg": "modelreg serve", "mlflow": "mlflow models serve"}


def _environment(side: str, workdir: Path, mlflow_python: Path) -> dict[str, str]:
    if side == "modelreg":
        return sides.modelreg_env(
            MODELREG_CACHE_DIR=str(workdir / "cache"),
            MODELREG_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        )
    env = mlflow_env.mlflow_env()
    # `mlflow models serve` runs `uvicorn` from PATH: its own, in the venv.
    env["PATH"] = f"{mlflow_python.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _python(side: str, mlflow_python: Path, serve_python: Path) -> str:
    return str(serve_python) if side == "modelreg" else str(mlflow_python)


def _command(side: str, workdir: Path, port: int, workers: int, python: str) -> list[str]:
    if side == "modelreg":
        return [
            python, "-m", "modelreg", "serve", "models:/bench_iris@champion",
            "--tracking-uri", str(workdir / "store"), "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers),
            "--poll-interval", "3600", "--webhook-secret", SECRET,
        ]  # fmt: skip
    return [
        python, "-m", "mlflow", "models", "serve", "-m", str(workdir / "mlmodel"),
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip


def _script(workdir: Path, python: str, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [python, str(WORKLOAD), *args], capture_output=True, text=True, env=env, cwd=workdir
    )
    if proc.returncode != 0:
        raise servers.ServerFailed(f"{args[0]}: {sides.last_line(proc.stderr)}")
    return proc.stdout


def run(
    workers: int, mlflow_python: Path, log, serve_venv: Path = serve_env.DEFAULT_VENV
) -> dict[str, Any]:
    """Start-up, memory, throughput per side with ``workers`` workers; modelreg's swap time.

    modelreg runs in ``serve_venv`` (see :mod:`serve_env`), created when missing.
    """
    wrk = loadgen.ensure_wrk(log)
    if wrk is None:
        return {"error": "the serve phase needs wrk to POST its request bodies"}
    serve_python = serve_env.ensure(serve_venv, log)
    rows: list[dict[str, Any]] = []
    for side in SIDES:
        row: dict[str, Any] = {"side": side, "workers": workers}
        rows.append(row)
        with tempfile.TemporaryDirectory(prefix=f"bench-serve-{side}-") as tmp:
            workdir = Path(tmp)
            python = _python(side, mlflow_python, serve_python)
            env = _environment(side, workdir, mlflow_python)
            try:
                _script(workdir, python, env, side, str(workdir))
                cmd = _command(side, workdir, servers.free_port(), workers, python)
                with servers.running(side, cmd, env, workdir, health_path="/ping") as srv:
                    row.update(startup_s=srv.startup_s, idle=memory_of(srv))
                    answer = httpx.post(
                        srv.url + "/invocations",
                        content=BODY,
                        headers={"Content-Type": "application/json"},
                    )
                    row["answer"] = answer.json().get("predictions")
                    lua = workdir / "post.lua"
                    lua.write_text(LUA)
                    load = loadgen.wrk(
                        srv.url + "/invocations", CONCURRENT_CLIENTS, THROUGHPUT_SECONDS, wrk,
                        script=str(lua),
                    )  # fmt: skip
                    row["concurrent"] = load.to_dict()
                    row["loaded"] = memory_of(srv)
                    if side == "modelreg":
                        out = _script(workdir, python, env, "swap", str(workdir), srv.url)
                        row["swap_s"] = json.loads(out.strip().splitlines()[-1])["swap_s"]
            except (servers.ServerFailed, loadgen.LoadFailed, httpx.HTTPError) as exc:
                row["error"] = str(exc)
        log(f"  serve: {side} done")
    return {
        "rows": rows,
        "clients": CONCURRENT_CLIENTS,
        "seconds": THROUGHPUT_SECONDS,
        "wrk_threads": loadgen.WRK_THREADS,
    }


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def render(console: Console, data: dict[str, Any]) -> None:
    table = Table(
        title=f"POST /invocations, one iris row as dataframe_split: {data['clients']} keep-alive "
        f"connections from wrk ({data['wrk_threads']} threads) for {data['seconds']:.0f} s",
        caption="memory in MB over each server's process tree; client CPU: wrk's CPU per second",
    )
    columns = ("workers", "start-up s", "processes", "RSS idle", "RSS loaded", "PSS loaded",
               "req/s", "p50 ms", "p99 ms", "errors", "client CPU")  # fmt: skip
    table.add_column("server")
    for col in columns:
        table.add_column(col, justify="right")
    for row in data["rows"]:
        if "startup_s" not in row:
            table.add_row(LABELS[row["side"]], str(row["workers"]), "[red]did not start[/]")
            continue
        idle, loaded, conc = row["idle"], row.get("loaded", {}), row.get("concurrent", {})
        table.add_row(
            LABELS[row["side"]],
            str(row["workers"]),
            _num(row["startup_s"], 2),
            str(loaded.get("processes", idle["processes"])),
            _num(idle["rss_mb"], 0),
            _num(loaded.get("rss_mb"), 0),
            _num(loaded.get("pss_mb"), 0),
            _num(conc.get("per_second"), 0),
            _num(conc.get("p50_ms"), 1),
            _num(conc.get("p99_ms"), 1),
            str(conc.get("errors", "")),
            f"{conc['client_cpu'] * 100:.0f}%" if conc else "",
        )
    console.print(table)
    for line in verdicts(data):
        console.print(line)


def _mark(ok: bool) -> str:
    return "[green]meets[/]" if ok else "[red]misses[/]"


def verdicts(data: dict[str, Any]) -> list[str]:
    """Errors, a wrong answer, and the targets: throughput, start-up, swap time."""
    by_side = {row["side"]: row for row in data["rows"]}
    lines = [f"[red]serve/{s}: {r['error']}[/]" for s, r in by_side.items() if "error" in r]
    ours, theirs = by_side.get("modelreg", {}), by_side.get("mlflow", {})
    if "answer" in ours and "answer" in theirs and ours["answer"] != theirs["answer"]:
        lines.append(f"[red]serve: the answers differ: {ours['answer']} vs {theirs['answer']}[/]")
    if "concurrent" in ours and "concurrent" in theirs:
        speed = report.ratio(theirs["concurrent"]["per_second"], ours["concurrent"]["per_second"])
        if speed is not None:
            lines.append(
                f"throughput: modelreg {speed:.1f}x MLflow's {_mark(speed >= TARGET_THROUGHPUT)} "
                f"the {TARGET_THROUGHPUT:.0f}x target"
            )
    if "startup_s" in ours and "startup_s" in theirs:
        share = ours["startup_s"] / theirs["startup_s"]
        mark = _mark(share <= TARGET_STARTUP)
        lines.append(f"start-up: modelreg takes {share:.2f} of MLflow's time {mark} the target")
    if "swap_s" in ours:
        swap = ours["swap_s"]
        lines.append(
            f"swap: the new version answered {swap:.2f} s after the alias moved (webhook) "
            f"{_mark(swap <= TARGET_SWAP_S)} the {TARGET_SWAP_S:.0f} s target"
        )
    return lines
