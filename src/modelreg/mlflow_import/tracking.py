"""The experiments and runs phases: every run with its params, tags, full metric
histories, dataset inputs and artifact files, its MLflow id kept.

A run is written in several steps and marked complete last (the import's
audit event); a run that an interrupted import left without that mark is
written again from the start, replacing what the earlier attempt wrote, so
no metric value is ever doubled.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from modelreg.entities import Metric
from modelreg.errors import ModelregError
from modelreg.mlflow_import.context import Context
from modelreg.mlflow_import.datasets import dataset_inputs
from modelreg.mlflow_import.files import copy_tree, run_tree
from modelreg.run_tags import RUN_NAME_TAG

METRIC_CHUNK = 10_000


def _tags(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in items or []}


def selected_experiments(ctx: Context) -> list[dict[str, Any]]:
    """The source's experiments the options select (by name or id), deleted ones included."""
    wanted = set(ctx.options.experiments)
    return [
        e
        for e in ctx.source.experiments()
        if ctx.options.all_experiments or e["name"] in wanted or e["experiment_id"] in wanted
    ]


def import_experiments(ctx: Context, experiments: list[dict[str, Any]]) -> None:
    with ctx.progress.start("experiments", len(experiments)):
        for e in experiments:
            target_id = ctx.backend.imports.import_experiment(
                e["name"],
                e.get("lifecycle_stage", "active"),
                int(e.get("creation_time") or 0),
                int(e.get("last_update_time") or e.get("creation_time") or 0),
                _tags(e.get("tags")),
                ctx.origin_of(experiment_id=e["experiment_id"]),
            )
            ctx.experiment_ids[e["experiment_id"]] = target_id
            ctx.progress.advance()


def source_runs(ctx: Context, experiments: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for e in experiments:
        yield from ctx.source.runs(e["experiment_id"])


def import_runs(ctx: Context, runs: list[dict[str, Any]]) -> None:
    with ctx.progress.start("runs", len(runs)):
        with ThreadPoolExecutor(max(1, ctx.options.workers)) as pool:
            for _ in pool.map(lambda run: _import_run_reporting(ctx, run), runs):
                pass


def _import_run_reporting(ctx: Context, run: dict[str, Any]) -> None:
    run_id = run["info"]["run_id"]
    try:
        skipped = import_run(ctx, run)
    except ModelregError as exc:
        ctx.problem("run", run_id, f"not imported ({exc}); the next import tries again")
        skipped = False
    ctx.progress.advance(skipped=skipped)


def import_run(ctx: Context, run: dict[str, Any]) -> bool:
    """Writes one run; ``True`` when an earlier import had finished it."""
    info, data = run["info"], run.get("data") or {}
    run_id = info["run_id"]
    tags = _tags(data.get("tags"))
    imports = ctx.backend.imports
    done = imports.import_run(
        run_id,
        ctx.experiment_ids[info["experiment_id"]],
        info.get("run_name") or tags.get(RUN_NAME_TAG) or run_id,
        info.get("user_id") or tags.get("mlflow.user") or "",
        int(info.get("start_time") or 0),
        tags,
        {p["key"]: p.get("value", "") for p in data.get("params") or []},
    )
    ctx.imported_runs.add(run_id)
    if done:
        return True
    for key in sorted({m["key"] for m in data.get("metrics") or []}):
        _copy_metric(ctx, run_id, key)
    inputs = dataset_inputs(run)
    if inputs:
        ctx.backend.governance.log_inputs(run_id, inputs)
    files = run_tree(ctx.source, run_id, artifact_uri=info.get("artifact_uri") or "")
    copy_tree(ctx, files, run_id, prefix="")
    imports.finish_run_import(
        run_id,
        info.get("status") or "FINISHED",
        None if info.get("end_time") is None else int(info["end_time"]),
        info.get("lifecycle_stage", "active"),
        ctx.origin_of(experiment_id=info["experiment_id"]),
    )
    return False


def metric_value(value: Any) -> float:
    """MLflow's JSON writes NaN and infinities as strings ("NaN", "Infinity")."""
    return float(value)


def _metric(key: str, m: dict[str, Any]) -> Metric:
    return Metric(
        key, metric_value(m["value"]), int(m.get("timestamp") or 0), int(m.get("step") or 0)
    )


def _copy_metric(ctx: Context, run_id: str, key: str) -> None:
    pending: list[Metric] = []
    first = True
    for page in ctx.source.metric_history(run_id, key):
        pending += [_metric(key, m) for m in page]
        while len(pending) >= METRIC_CHUNK:
            ctx.backend.imports.import_metric_history(run_id, key, pending[:METRIC_CHUNK], first)
            pending, first = pending[METRIC_CHUNK:], False
    if pending or first:
        ctx.backend.imports.import_metric_history(run_id, key, pending, first)
