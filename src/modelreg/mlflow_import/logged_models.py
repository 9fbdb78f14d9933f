"""The logged models phase: MLflow 3's logged models, as modelreg's logged models.

Each keeps its id (``m-<32 hex>``, so ``models:/m-…`` references keep
working), name, status, type, source run (as written, even when MLflow no
longer has that run), times, tags, params and metrics; its files are copied
into the blob store and recorded as its manifest. A version registered from
it (source ``models:/m-…``) takes that manifest, so its files are not
downloaded twice. A logged model is written in one step with its import
event, so a repeated import skips it whole. Then each run's links to the models it
used and made are written, which a repeated import writes again unchanged.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from modelreg.errors import ModelregError, NotFound
from modelreg.logged_models import STATUS_FROM_MLFLOW, RunModelLink
from modelreg.mlflow_import.context import Context
from modelreg.mlflow_import.files import copy_tree, logged_model_tree
from modelreg.mlflow_import.tracking import metric_value


def source_logged_models(ctx: Context, experiment_ids: list[str]) -> list[dict[str, Any]]:
    """The source's logged models of these experiments."""
    return [m for e in experiment_ids for m in ctx.source.logged_models(e)]


def import_logged_models(ctx: Context, models: list[dict[str, Any]]) -> None:
    with ctx.progress.start("logged models", len(models)):
        for model in models:
            model_id = model["info"]["model_id"]
            try:
                skipped = import_logged_model(ctx, model)
            except ModelregError as exc:
                ctx.problem("logged model", model_id, f"not imported ({exc})")
                skipped = False
            ctx.progress.advance(skipped=skipped)


def in_target(ctx: Context, model_id: str) -> bool:
    """Whether the target has the logged model (imported now or before)."""
    if model_id in ctx.logged_models:
        return True
    try:
        ctx.backend.logged_models.get_logged_model(model_id, allow_deleted=True)
    except NotFound:
        return False
    ctx.logged_models.add(model_id)
    return True


def _metrics(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": m["key"],
            "value": metric_value(m["value"]),
            "timestamp": int(m.get("timestamp") or 0),
            "step": int(m.get("step") or 0),
            **{k: m.get(k) for k in ("run_id", "dataset_name", "dataset_digest")},
        }
        for m in data.get("metrics") or []
    ]


def import_logged_model(ctx: Context, model: dict[str, Any]) -> bool:
    """Writes one logged model with its files; ``True`` when the target had it already."""
    info, data = model["info"], model.get("data") or {}
    model_id = info["model_id"]
    if in_target(ctx, model_id):
        return True
    files = copy_tree(ctx, logged_model_tree(ctx.source, model_id), None, prefix="")
    created = int(info.get("creation_timestamp_ms") or 0)
    ctx.backend.imports.import_logged_model(
        model_id,
        ctx.experiment_ids[info["experiment_id"]],
        info.get("name") or model_id,
        STATUS_FROM_MLFLOW.get(info.get("status") or "", "READY"),
        created,
        int(info.get("last_updated_timestamp_ms") or created),
        files,
        info.get("source_run_id") or None,
        info.get("model_type") or None,
        "",
        {t["key"]: t.get("value", "") for t in info.get("tags") or []},
        {p["key"]: p.get("value", "") for p in data.get("params") or []},
        _metrics(data),
        ctx.origin_of(experiment_id=info["experiment_id"]),
    )
    ctx.logged_models.add(model_id)
    return False


def _model_links(run: dict[str, Any]) -> list[RunModelLink]:
    used = (run.get("inputs") or {}).get("model_inputs") or []
    made = (run.get("outputs") or {}).get("model_outputs") or []
    return [RunModelLink(m["model_id"], "input") for m in used] + [
        RunModelLink(m["model_id"], "output", int(m.get("step") or 0)) for m in made
    ]


def import_run_model_links(
    ctx: Context, runs: list[dict[str, Any]], logged: list[dict[str, Any]]
) -> None:
    """Each imported run's links to the logged models it used and made (MLflow 3's
    ``run.inputs.model_inputs`` and ``run.outputs.model_outputs``, with their steps), to
    the models the target has; written after the logged models, which the links need.

    MLflow's run search leaves out the models a run used, so each run is read again,
    unless the import brought no logged model (histories from before MLflow 3)."""
    if not logged:
        return
    with ThreadPoolExecutor(max(1, ctx.options.workers)) as pool:
        for _ in pool.map(lambda run: _link_run(ctx, run), runs):
            pass


def _link_run(ctx: Context, run: dict[str, Any]) -> None:
    run_id = run["info"]["run_id"]
    if run_id not in ctx.imported_runs:
        return
    try:
        full = ctx.source.run(run_id) or run
        links = [x for x in _model_links(full) if in_target(ctx, x.model_id)]
        if links:
            ctx.backend.imports.import_run_model_links(run_id, links)
    except ModelregError as exc:
        ctx.problem("run", run_id, f"links to logged models not imported ({exc})")
