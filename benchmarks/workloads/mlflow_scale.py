"""Run with MLflow's Python: the scale phase's reads against MLflow, as its store grows.

    python mlflow_scale.py --runs 1000,100000 --versions 200,20000 --budget-s 900 --out r.json

One MLflow SQLite store (``MlflowClient`` on ``sqlite:///…``) grows through the
sizes, populated through MLflow's own client API: per run ``create_run`` and
one ``log_batch`` (5 metrics, 5 params, 2 tags, as modelreg's side), per
version ``create_model_version`` (1 in 100 moved to Production, 1 in 50 to
Staging, every 10th tagged ``validated=yes``). Loading stops at the time budget;
the reads are then timed at the size reached, which the output says. Prints
nothing; writes ``{"sizes", "load_s", "ms": {read: [ms per size]}}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

MODEL = "big"
TIME_PER_READ_S = 0.5
MIN_CALLS, MAX_CALLS = 5, 200


def median_ms(read: Callable[[], object]) -> float:
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


def reads(client: MlflowClient, experiment_id: str, run_id: str) -> dict[str, Callable]:
    """The same reads as phase_scale._reads, under the same names."""
    alias_targets = itertools.cycle(("1", "2"))

    def search(filter_string: str, order_by: list[str], max_results: int) -> Callable:
        return lambda: client.search_runs(
            [experiment_id], filter_string, order_by=order_by, max_results=max_results
        )

    return {
        "search_runs metric filter + top 10": search(
            "metrics.m0 > 0.999 and params.p1 = '5'", ["metrics.m0 DESC"], 10
        ),
        "search_runs top 10 by metric": search("", ["metrics.m1 DESC"], 10),
        "search_runs tag = , page of 50": search("tags.team = 't7'", [], 50),
        "get_latest_versions Production": lambda: client.get_latest_versions(
            MODEL, stages=["Production"]
        ),
        # MLflow resolves models:/name/stage by this same lookup.
        "resolve models:/big/Production": lambda: client.get_latest_versions(
            MODEL, stages=["Production"]
        ),
        "search_model_versions tag, 50": lambda: client.search_model_versions(
            f"name='{MODEL}' and tags.validated='yes'", max_results=50
        ),
        "search_registered_models 50": lambda: client.search_registered_models(max_results=50),
        "get_run": lambda: client.get_run(run_id),
        "get_model_version": lambda: client.get_model_version(MODEL, "1"),
        "get_model_version_by_alias": lambda: client.get_model_version_by_alias(MODEL, "champion"),
        "set_registered_model_alias": lambda: client.set_registered_model_alias(
            MODEL, "champion", next(alias_targets)
        ),
    }


def add_run(client: MlflowClient, experiment_id: str, i: int, rng: random.Random) -> str:
    run_id = client.create_run(experiment_id, start_time=1_700_000_000_000 + i).info.run_id
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(f"m{m}", rng.random(), now, 0) for m in range(5)],
        params=[Param(f"p{p}", str(rng.randrange(10))) for p in range(5)],
        tags=[RunTag("team", f"t{rng.randrange(10)}"), RunTag("source", "bench")],
    )
    return run_id


def add_version(client: MlflowClient, v: int) -> None:
    tag = {"validated": "yes" if v % 10 == 0 else "no"}
    client.create_model_version(MODEL, f"s3://bench/models/{v}", tags=tag)
    if v % 100 == 0 or v % 50 == 0:
        stage = "Production" if v % 100 == 0 else "Staging"
        client.transition_model_version_stage(MODEL, str(v), stage)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", required=True)
    parser.add_argument("--versions", required=True)
    parser.add_argument("--budget-s", type=float, default=900)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    run_sizes = [int(n) for n in args.runs.split(",")]
    version_sizes = [int(n) for n in args.versions.split(",")]
    result: dict = {"sizes": [], "load_s": [], "ms": {}, "stopped_by_budget": False}
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-scale-") as folder:
        client = MlflowClient(f"sqlite:///{Path(folder) / 'mlflow.db'}")
        experiment_id = client.create_experiment("scale", artifact_location=f"{folder}/art")
        client.create_registered_model(MODEL)
        rng = random.Random(17)
        first_run = add_run(client, experiment_id, 0, rng)
        runs, versions = 1, 0
        started = time.perf_counter()
        for want_runs, want_versions in zip(run_sizes, version_sizes, strict=True):
            size_started = time.perf_counter()
            while (runs < want_runs or versions < want_versions) and (
                time.perf_counter() - started < args.budget_s
            ):
                if runs < want_runs:
                    add_run(client, experiment_id, runs, rng)
                    runs += 1
                if versions < want_versions and runs * want_versions >= versions * want_runs:
                    versions += 1
                    add_version(client, versions)
                    if versions == 2:
                        client.set_registered_model_alias(MODEL, "champion", "1")
            result["sizes"].append((runs, versions))
            result["load_s"].append(time.perf_counter() - size_started)
            for name, read in reads(client, experiment_id, first_run).items():
                result["ms"].setdefault(name, []).append(median_ms(read))
            if runs < want_runs or versions < want_versions:
                result["stopped_by_budget"] = True
                break
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
