"""The fixed workload, written once and run unchanged against either library.

modelreg keeps MLflow's client method names, so both sides drive the same
code through a small :class:`Side` (the client plus that library's entity
classes). Standard library only, like :mod:`harness`.

Every phase starts with a ``setup`` op (open the store, which creates and
migrates the SQLite file, and create one experiment); the runner shows it on
its own row and leaves it out of the phase total. With ``--tracking-uri`` the
same workload runs against a server instead of the embedded store.

The artifact and model phases use the same client methods on both sides
(``log_artifact``, ``log_artifacts``, ``download_artifacts``) or, for models,
each library's own ``log_model`` / ``load_model`` wrapped by its side script.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import shutil
import tempfile
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from harness import Recorder, SectionFailed, settle_disk

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
LARGE_FILE = "large.bin"  # artifacts phase: the runner writes both into --data
SMALL_DIR = "small"
N_MODELS = 10  # log_model / load_model: calls after the first, for the median
LOGGED_MODELS = "logged_models.json"


@dataclass
class Side:
    """One library's client, its entity classes and how it creates an experiment."""

    client: Any
    Metric: type
    Param: type
    RunTag: type
    create_experiment: Callable[[str], str]
    # Model phases only: a run as a context manager yielding its id, the library's
    # log_model(model, run_id, input_example) -> model URI, and its load_model(uri).
    run: Callable[[str], AbstractContextManager[str]] | None = None
    log_model: Callable[[Any, str, Any], str] | None = None
    load_model: Callable[[str], Any] | None = None
    # Turns the library's autolog() on, its runs going to the experiment given.
    autolog: Callable[[str], None] | None = None


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
        # n models, as a team registers them; only the first gets versions.
        rec.api("create_registered_model", client, "create_registered_model", MODEL)
        for i in range(1, n_versions):
            rec.api("create_registered_model", client, "create_registered_model", f"{MODEL}_{i}")
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
        # n moves of the alias across the versions, ending on the last one.
        for version in versions:
            rec.api("set_alias", client, "set_registered_model_alias", MODEL, "champion", version)
        champion = versions[-1]
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


def _same_bytes(a: str, b: str) -> bool:
    """Same size and the same first, middle and last MiB: cheap, and catches truncation."""
    size = os.path.getsize(a)
    if os.path.getsize(b) != size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        for offset in (0, size // 2, max(0, size - 2**20)):
            fa.seek(offset)
            fb.seek(offset)
            if fa.read(2**20) != fb.read(2**20):
                return False
    return True


def artifacts(rec: Recorder, open_side: OpenSide, data_dir: str, workdir: str) -> None:
    """Uploads one large file and a folder of small files, then downloads each twice."""
    side, experiment_id = _setup(rec, open_side, "bench_artifacts")
    client = side.client
    run_id = client.create_run(experiment_id).info.run_id
    large = os.path.join(data_dir, LARGE_FILE)
    small = os.path.join(data_dir, SMALL_DIR)
    n_small = len(os.listdir(small))
    # Each timed transfer writes at most two copies (store or cache, and destination).
    settle = {
        LARGE_FILE: 2 * os.path.getsize(large),
        SMALL_DIR: 2 * sum(e.stat().st_size for e in os.scandir(small)),
    }
    uploaded: list[str] = []

    def upload() -> None:
        settle_disk(workdir, settle[LARGE_FILE])
        rec.api("upload large file", client, "log_artifact", run_id, large)
        uploaded.append(LARGE_FILE)
        settle_disk(workdir, settle[SMALL_DIR])
        rec.api("upload small files", client, "log_artifacts", run_id, small, SMALL_DIR)
        uploaded.append(SMALL_DIR)

    def download() -> None:
        # A new client on an empty modelreg blob cache (MLflow ignores the variable):
        # the first download must read the store, the second may come from the cache.
        os.environ["MODELREG_CACHE_DIR"] = os.path.join(workdir, "download-cache")
        reader = open_side().client
        for kind in ("cold", "cached"):
            dst = os.path.join(workdir, f"download-{kind}")
            os.mkdir(dst)
            if LARGE_FILE in uploaded:
                settle_disk(workdir, settle[LARGE_FILE])
                op = f"download large file ({kind})"
                got = rec.api(op, reader, "download_artifacts", run_id, LARGE_FILE, dst)
                _check(rec, op, _same_bytes(got, large), "downloaded bytes differ")
            if SMALL_DIR in uploaded:
                settle_disk(workdir, settle[SMALL_DIR])
                op = f"download small files ({kind})"
                got = rec.api(op, reader, "download_artifacts", run_id, SMALL_DIR, dst)
                count = len(os.listdir(got))
                _check(rec, op, count == n_small, f"{count} files, want {n_small}")
            shutil.rmtree(dst)  # frees the disk before the next copy

    for part in (upload, download):
        rec.section(part)


def _iris_models() -> tuple[Any, list[Any]]:
    """Iris and N_MODELS + 1 logistic regressions that differ in C, so their bytes differ."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    models = [
        LogisticRegression(C=0.5 + 0.1 * i, max_iter=1000).fit(x, y) for i in range(N_MODELS + 1)
    ]
    return x, models


def _labels(predictions: Any) -> list[str]:
    values = predictions.tolist() if hasattr(predictions, "tolist") else list(predictions)
    return [str(v) for v in values]


def log_model(rec: Recorder, open_side: OpenSide, workdir: str) -> None:
    """The first log_model of a fresh process, then N_MODELS more (one run each).

    Training happens before the clock starts; sklearn is already imported, as
    it is in any process that has a model to log. Writes the model URIs and
    expected predictions to ``workdir`` for the load_model phase.
    """
    x, models = _iris_models()
    side, experiment_id = _setup(rec, open_side, "bench_log_model")
    assert side.run and side.log_model
    logged = []
    for i, model in enumerate(models):
        op = "log_model (first call)" if i == 0 else "log_model"
        with side.run(experiment_id) as run_id:
            uri = rec.call(op, side.log_model, model, run_id, x[:5])
        logged.append({"uri": uri, "labels": _labels(model.predict(x))})
    with open(os.path.join(workdir, LOGGED_MODELS), "w") as f:
        json.dump(logged, f)


def load_model(rec: Recorder, open_side: OpenSide, workdir: str) -> None:
    """In a fresh process: load every model the log_model phase logged, then the last again."""
    from sklearn.datasets import load_iris

    x, _ = load_iris(return_X_y=True)
    with open(os.path.join(workdir, LOGGED_MODELS)) as f:
        logged = json.load(f)
    side = rec.call("setup", open_side)
    assert side.load_model
    for i, entry in enumerate(logged):
        op = "load_model (first call)" if i == 0 else "load_model"
        model = rec.call(op, side.load_model, entry["uri"])
        _check(rec, op, _labels(model.predict(x)) == entry["labels"], "predictions differ")
    # A library may keep loaded model files in a local cache; this shows whether it does.
    for _ in range(N_MODELS):
        model = rec.call("load_model (same URI again)", side.load_model, logged[-1]["uri"])


def autolog(rec: Recorder, open_side: OpenSide) -> None:
    """In a fresh process: the library's ``autolog()`` on, then N_MODELS + 1 logistic
    regressions fitted on iris, each a run of its own with what the library logs (params,
    training metrics and plots, the model)."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    side, experiment_id = _setup(rec, open_side, "bench_autolog")
    assert side.autolog
    side.autolog(experiment_id)
    for i in range(N_MODELS + 1):
        op = "autologged fit (first call)" if i == 0 else "autologged fit"
        rec.call(op, LogisticRegression(C=0.5 + 0.1 * i, max_iter=1000).fit, x, y)
    runs = side.client.search_runs([experiment_id], max_results=100)
    _check(rec, "autologged fit", len(runs) == N_MODELS + 1, f"{len(runs)} runs logged")


WORKLOADS: dict[str, Callable[[Recorder, OpenSide, argparse.Namespace], None]] = {
    "tracking": lambda rec, open_side, args: tracking(rec, open_side, args.runs),
    "registry": lambda rec, open_side, args: registry(rec, open_side, args.runs),
    "artifacts": lambda rec, open_side, args: artifacts(rec, open_side, args.data, args.workdir),
    "log_model": lambda rec, open_side, args: log_model(rec, open_side, args.workdir),
    "load_model": lambda rec, open_side, args: load_model(rec, open_side, args.workdir),
    "autolog": lambda rec, open_side, args: autolog(rec, open_side),
}
# Phases reported as medians, so every call is kept.
SAMPLED = {"log_model", "load_model", "autolog"}
# Phases of few, long ops whose CPU per op is counted (a /proc read around each op).
CPU_COUNTED = {"artifacts"}


def main(open_side: Callable[[str, str | None], Side]) -> None:
    """Command line of a side script; results go to ``--out`` as JSON.

    ``--phase NAME --runs N --out FILE [--tracking-uri URL] [--data DIR]
    [--workdir DIR] [--profile FILE]``. ``open_side(workdir, tracking_uri)``
    connects that library to ``tracking_uri`` (a server) or, when it is
    None, to a SQLite store inside ``workdir``. ``workdir`` is a fresh
    temporary folder unless ``--workdir`` names one to keep (the load_model
    phase reads what the log_model phase left there); it is also the working
    directory, so nothing lands in the repository.
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--out", required=True)
    parser.add_argument("--tracking-uri", help="a server's URL (default: embedded SQLite)")
    parser.add_argument("--data", help="artifacts phase: the folder holding the files to upload")
    parser.add_argument("--workdir", help="use and keep this folder instead of a temporary one")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the phase here")
    parser.add_argument(
        "--server-pid", type=int, help="artifacts phase: also count this server's CPU per op"
    )
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    # Both libraries warn about deprecated calls (stages); the warnings are not under test.
    warnings.simplefilter("ignore")
    cpu_of = {}
    if args.phase in CPU_COUNTED:
        cpu_of["client"] = os.getpid()
        if args.server_pid:
            cpu_of["server"] = args.server_pid
    rec = Recorder(keep_samples=args.phase in SAMPLED, cpu_of=cpu_of)
    home = os.getcwd()
    folder = (
        nullcontext(os.path.abspath(args.workdir))
        if args.workdir
        else tempfile.TemporaryDirectory(prefix=f"bench-{args.phase}-")
    )
    with folder as workdir:
        args.workdir = workdir
        os.chdir(workdir)
        profiler = cProfile.Profile() if args.profile else None
        try:
            if profiler:
                profiler.enable()
            WORKLOADS[args.phase](rec, lambda: open_side(workdir, args.tracking_uri), args)
        except SectionFailed:
            pass  # setup failed; its error is in the results
        finally:
            if profiler:
                profiler.disable()
                profiler.dump_stats(os.path.join(home, args.profile))
            os.chdir(home)
    # Not an op: the runner and report skip names starting with "_".
    rec.results["_process"] = {"peak_rss_mb": _peak_rss_mb()}
    with open(out, "w") as f:
        json.dump(rec.results, f)


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
