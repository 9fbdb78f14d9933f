"""Benchmark of ``modelreg import-mlflow``: runs/s and MB/s from a local ``mlflow server``.

The workload of issue #19: RUNS runs, each with POINTS values of one metric
and MB megabytes of artifacts, written into a fresh local MLflow server
(SQLite store, proxied artifacts) with MLflow's client, then imported into an
embedded modelreg store. It prints runs/s, MB/s (the import's wall time,
its closing count of both sides included), and the CPU seconds the MLflow
server and the importer (with the embedded store it writes) each spent,
which says which side is the bottleneck.

    python benchmarks/import_mlflow.py                      # 1,000 runs x 100 points x 10 MB
    python benchmarks/import_mlflow.py --runs 100 --mb 1    # a quick look
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

import mlflow_env  # noqa: E402

SEED = """
import os, sys, time
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric
from concurrent.futures import ThreadPoolExecutor
url, runs, points, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
client = MlflowClient(url)
experiment = client.create_experiment("bench")
payload = os.path.join(sys.argv[5], "payload.bin")
with open(payload, "wb") as f:
    f.write(os.urandom(mb << 20))
def one(i):
    run = client.create_run(experiment, run_name=f"run-{i}")
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id, metrics=[Metric("loss", 1 / (s + 1), now + s, s)
                                                for s in range(points)])
    client.log_param(run.info.run_id, "i", i)
    if mb:
        client.log_artifact(run.info.run_id, payload, f"data/{i}")
    client.set_terminated(run.info.run_id)
with ThreadPoolExecutor(8) as pool:
    list(pool.map(one, range(runs)))
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that have been waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    total = _cpu_seconds(pid)
    for child in Path(f"/proc/{pid}/task").iterdir():
        children = child / "children"
        if children.exists():
            for c in children.read_text().split():
                try:
                    total += _tree_cpu(int(c))
                except FileNotFoundError:
                    pass
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--mb", type=int, default=10, help="artifact megabytes per run")
    parser.add_argument("--workers", type=int, default=4, help="runs imported at once")
    args = parser.parse_args(argv)

    from mlflow_source_fixtures import VENV, start_mlflow_server, stop_mlflow_server

    python = mlflow_env.ensure(VENV)
    folder = Path(tempfile.mkdtemp(prefix="modelreg-import-bench-"))
    (folder / "artifacts").mkdir()
    process, url = start_mlflow_server(python, folder)
    try:
        started = time.perf_counter()
        subprocess.run(
            [str(python), "-c", SEED, url, str(args.runs), str(args.points), str(args.mb),
             str(folder)],
            check=True, env=mlflow_env.mlflow_env(), stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"seeded {args.runs} runs in {time.perf_counter() - started:.1f} s", flush=True)

        from modelreg.mlflow_import import Options, import_mlflow
        from modelreg.mlflow_import.progress import Progress

        server_cpu = _tree_cpu(process.pid)
        own = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = import_mlflow(
            url,
            str(folder / "target"),
            options=Options(experiments=("bench",), workers=args.workers),
            mapping_file=None,
            progress=Progress(enabled=False),
        )
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = _tree_cpu(process.pid) - server_cpu
        importer_cpu = (after.ru_utime - own.ru_utime) + (after.ru_stime - own.ru_stime)
        copied_mb = result.counts["artifact bytes"][1] / 1e6
        print(f"imported {result.counts['runs'][1]} runs, {copied_mb:.0f} MB in {elapsed:.1f} s")
        print(f"  {result.counts['runs'][1] / elapsed:.1f} runs/s, {copied_mb / elapsed:.1f} MB/s")
        print(f"  CPU: mlflow server {server_cpu:.1f} s, importer {importer_cpu:.1f} s")
        print(f"  counts match: {all(s == t for s, t in result.counts.values())}")
    finally:
        stop_mlflow_server(process)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
