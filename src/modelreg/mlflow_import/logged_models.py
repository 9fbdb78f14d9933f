"""The logged models phase: MLflow 3's logged models, as modelreg's logged models.

Each keeps its id (``m-<32 hex>``, so ``models:/m-…`` references keep
working), name, status, type, source run (as written, even when MLflow no
longer has that run), times, tags, params and metrics; its files are copied
into the blob store and recorded as its manifest. A version registered from
it (source ``models:/m-…``) takes that manifest, so its files are not
downloaded twice. A logged model is written in one step with its import
event, so a repeated import skips it whole.
"""

from __future__ import annotations

from typing import Any

from modelreg.errors import ModelregError, NotFound
from modelreg.logged_models import STATUS_FROM_MLFLOW
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
