"""The fixed workload, written once and run unchanged against either library.

modelreg keeps MLflow's client method names, so both sides drive the same
code through a small :class:`Side` (the client plus that library's entity
classes). Standard library only, like :mod:`harness`.

Every phase starts with a ``setup`` op (open the store, which creates and
migrates the SQLite file, and create one experiment); the runner shows it on
its own row and leaves it out of the phase total.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness import Recorder, SectionFailed

STEPS = 10
N_PARAMS = 10
N_METRICS = 10
N_TAGS = 3
READS_PER_RUN = 5  # get_run, get_model_version, alias lookups: 5 x runs (1000 for 200 runs)
SEARCH_FILTER = "metrics.m0 > 0.5"
SEARCH_MAX_RESULTS = 100
MODEL = "bench_model"
VERSION_SEARCH_MAX_RESULTS = 200
BASE_TIMESTAMP = 1_700_000_000_000


@dataclass
class Side:
    """One library's client, its entity classes and how it creates an experiment."""

    client: Any
    Metric: type
    Param: type
    RunTag: type
    create_experiment: Callable[[str], str]


OpenSide = Callable[[], Side]


def _setup(rec: Recorder, open_side: OpenSide, experiment: str) -> tuple[Side, str]:
    def setup() -> tuple[Side, str]:
        side = open_side()
        return side, side.create_experiment(experiment)

    return rec.call("setup", setup)


def _check(rec: Recorder, op: str, ok: bool, message: str) -> None:
    """Records a wrong answer as that op's error: a fast wrong result must not look good."""
    if not ok and "error" not in rec.results.get(op, {}):
        rec.results[op] = {"error": f"wrong result: {message}"}


def tracking(rec: Recorder, open_side: OpenSide, n_runs: int) -> None:
    """n runs logged in 10 batches each, then 5n get_run and n metric-filtered searches."""
    side, experiment_id = _setup(rec, open_side, "bench_tracking")
    client = side.client
    rng = random.Random(42)
    values = [
        [[rng.random() for _ in range(N_METRICS)] for _ in range(STEPS)] for _ in range(n_runs)
    ]
    run_ids: list[str] = []

    def write() -> None:
        for i in range(n_runs):
            run = rec.api("create_run", client, "create_run", experiment_id, run_name=f"run-{i}")
            run_id = run.info.run_id
            run_ids.append(run_id)
            for step in range(STEPS):
                metrics = [
                    side.Metric(f"m{k}", values[i][step][k], BASE_TIMESTAMP + step, step)
                    for k in range(N_METRICS)
                ]
                first = step == 0
                params = [side.Param(f"p{k}", f"value-{i}-{k}") for k in range(N_PARAMS)]
                tags = [side.RunTag(f"t{k}", f"tag-{i}-{k}") for k in range(N_TAGS)]
                rec.api(
                    "log_batch",
                    client,
                    "log_batch",
                    run_id,
                    metrics=metrics,
                    params=params if first else [],
                    tags=tags if first else [],
                )
            rec.api("set_terminated", client, "set_terminated", run_id, "FINISHED")

    def read() -> None:
        if not run_ids:
            return
        for j in range(READS_PER_RUN * n_runs):
            last = j % len(run_ids)
            run = rec.api("get_run", client, "get_run", run_ids[last])
        data = run.data
        _check(
            rec,
            "get_run",
            len(data.params) == N_PARAMS and len(data.tags) >= N_TAGS,
            f"{len(data.params)} params, {len(data.tags)} tags",
        )
        _check(
            rec,
            "get_run",
            data.metrics.get("m0") == values[last][STEPS - 1][0],
            "latest m0 is not the last step's value",
        )

    def search() -> None:
        if not run_ids:
            return
        for _ in range(n_runs):
            found = rec.api(
                "search_runs",
                client,
                "search_runs",
                [experiment_id],
                SEARCH_FILTER,
                max_results=SEARCH_MAX_RESULTS,
            )
        matching = sum(1 for i in range(len(run_ids)) if values[i][STEPS - 1][0] > 0.5)
        expected = min(matching, SEARCH_MAX_RESULTS)
        _check(rec, "search_runs", len(found) == expected, f"{len(found)} runs, want {expected}")

    for part in (write, read, search):
        rec.section(part)


def registry(rec: Recorder, open_side: OpenSide, n_versions: int) -> None:
    """One model with n versions: transitions, reads by number and alias, latest, search."""
    side, experiment_id = _setup(rec, open_side, "bench_registry")
    client = side.client
    run_ids: list[str] = []
    versions: list[Any] = []

    def source_runs() -> None:
        # Not what this phase measures: recorded under a name the runner leaves out.
        for _ in range(n_versions):
            run = rec.api("untimed_source_runs", client, "create_run", experiment_id)
            run_ids.append(run.info.run_id)
        del rec.results["untimed_source_runs"]

    def create() -> None:
        rec.api("create_registered_model", client, "create_registered_model", MODEL)
        for run_id in run_ids:
            version = rec.api(
                "create_model_version",
                client,
                "create_model_version",
                MODEL,
                f"runs:/{run_id}/model",
                run_id=run_id,
            )
            versions.append(version.version)
        _check(
            rec,
            "create_model_version",
            [str(v) for v in versions] == [str(i + 1) for i in range(n_versions)],
            "versions are not 1..n",
        )

    def transition() -> None:
        for i, version in enumerate(versions):
            stage = "Staging" if i % 2 == 0 else "Production"
            rec.api(
                "transition_stage", client, "transition_model_version_stage", MODEL, version, stage
            )

    def get_version() -> None:
        for j in range(READS_PER_RUN * len(versions)):
            version = versions[j % len(versions)]
            got = rec.api("get_model_version", client, "get_model_version", MODEL, version)
        if versions:
            _check(rec, "get_model_version", str(got.version) == str(version), "wrong version")

    def alias() -> None:
        if not versions:
            return
        champion = versions[-1]
        rec.api("set_alias", client, "set_registered_model_alias", MODEL, "champion", champion)
        for _ in range(READS_PER_RUN * len(versions)):
            got = rec.api(
                "get_version_by_alias", client, "get_model_version_by_alias", MODEL, "champion"
            )
        _check(rec, "get_version_by_alias", str(got.version) == str(champion), "wrong version")

    def latest() -> None:
        if not versions:
            return
        for _ in range(n_versions):
            got = rec.api("get_latest_versions", client, "get_latest_versions", MODEL, stages=None)
        _check(rec, "get_latest_versions", len(got) > 0, "no versions returned")

    def search() -> None:
        if not versions:
            return
        for _ in range(n_versions):
            found = rec.api(
                "search_model_versions",
                client,
                "search_model_versions",
                f"name='{MODEL}'",
                max_results=VERSION_SEARCH_MAX_RESULTS,
            )
        expected = min(len(versions), VERSION_SEARCH_MAX_RESULTS)
        _check(
            rec, "search_model_versions", len(found) == expected, f"{len(found)}, want {expected}"
        )

    for part in (source_runs, create, transition, get_version, alias, latest, search):
        rec.section(part)


WORKLOADS = {"tracking": tracking, "registry": registry}


def main(open_side: Callable[[str], Side]) -> None:
    """Command line of a side script: ``--phase NAME --runs N --out FILE [--profile FILE]``.

    ``open_side(workdir)`` connects that library to a SQLite store inside
    ``workdir``, a fresh temporary folder that is also the working directory,
    so nothing lands in the repository. Results go to ``--out`` as JSON.
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the phase here")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    # Both libraries warn about deprecated calls (stages); the warnings are not under test.
    warnings.simplefilter("ignore")
    rec = Recorder()
    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix=f"bench-{args.phase}-") as workdir:
        os.chdir(workdir)
        profiler = cProfile.Profile() if args.profile else None
        try:
            if profiler:
                profiler.enable()
            WORKLOADS[args.phase](rec, lambda: open_side(workdir), args.runs)
        except SectionFailed:
            pass  # setup failed; its error is in the results
        finally:
            if profiler:
                profiler.disable()
                profiler.dump_stats(os.path.join(home, args.profile))
            os.chdir(home)
    with open(out, "w") as f:
        json.dump(rec.results, f)
