"""MLflow 3's logged models, held the way modelreg can hold them today.

modelreg has no logged-model entity yet, so :func:`hold_logged_models` (the
one place to change when it has) keeps each logged model of a run inside
that run: its files in the run's artifacts under the model's name (so
``runs:/<run_id>/<name>`` reaches them, as in MLflow), and its own fields
(id, name, status, type, tags, params, metrics, times) as JSON in the run
tag ``modelreg.mlflow.logged_model.<model id>``. A registered version made
from a logged model (source ``models:/m-…``) points at that place.

A logged model without a source run has no place: it is reported, and a
version made from it still gets its files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from modelreg.entities import RunTag
from modelreg.mlflow_import.context import Context, Placement
from modelreg.mlflow_import.files import copy_tree, logged_model_tree
from modelreg.validation import MAX_TAG_VALUE_LENGTH

TAG_PREFIX = "modelreg.mlflow.logged_model."


def logged_models_by_run(
    ctx: Context, experiment_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """The source's logged models of these experiments, by source run; reports those
    without a run."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for experiment_id in experiment_ids:
        for model in ctx.source.logged_models(experiment_id):
            info = model["info"]
            if info.get("source_run_id"):
                found[info["source_run_id"]].append(model)
            else:
                ctx.problem(
                    "logged model",
                    info["model_id"],
                    "has no source run to hold it; only versions registered from it are copied",
                )
    return dict(found)


def _fields(model: dict[str, Any], path: str) -> dict[str, Any]:
    info, data = model["info"], model.get("data") or {}
    return {
        "model_id": info["model_id"],
        "name": info.get("name"),
        "artifact_path": path,
        "status": info.get("status"),
        "model_type": info.get("model_type"),
        "creation_timestamp_ms": info.get("creation_timestamp_ms"),
        "last_updated_timestamp_ms": info.get("last_updated_timestamp_ms"),
        "tags": {t["key"]: t.get("value") for t in info.get("tags") or []},
        "params": {p["key"]: p.get("value") for p in data.get("params") or []},
        "metrics": [
            {k: m.get(k) for k in ("key", "value", "step", "timestamp", "dataset_name")}
            for m in data.get("metrics") or []
        ],
    }


def _tag_value(ctx: Context, fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        # The metrics are the run's own metric histories too; they go first.
        fields = {**fields, "metrics": "see the run's metrics"}
        text = json.dumps(fields, sort_keys=True)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        ctx.problem(
            "logged model", fields["model_id"], "fields too long for a tag; params left out"
        )
        text = json.dumps({**fields, "params": "too long to keep"}, sort_keys=True)
    return text


def hold_logged_models(ctx: Context, run_id: str, models: list[dict[str, Any]]) -> None:
    """Copies the run's logged models into it (files and fields); see the module doc."""
    taken = {p.split("/", 1)[0] for p in ctx.backend.artifacts.manifest(run_id)}
    tags = []
    for model in models:
        info = model["info"]
        name = info.get("name") or info["model_id"]
        path = name if name not in taken else f"{name}-{info['model_id']}"
        taken.add(path)
        copy_tree(ctx, logged_model_tree(ctx.source, info["model_id"]), run_id, prefix=path)
        tags.append(RunTag(TAG_PREFIX + info["model_id"], _tag_value(ctx, _fields(model, path))))
        ctx.logged_models[info["model_id"]] = Placement(run_id, path)
    ctx.backend.tracking.log_batch(run_id, tags=tags)


def placements_in_target(ctx: Context, run_id: str) -> None:
    """Where an earlier import put the run's logged models (from the run's tags)."""
    for key, value in ctx.backend.tracking.get_run(run_id).data.tags.items():
        if key.startswith(TAG_PREFIX):
            ctx.logged_models[key[len(TAG_PREFIX) :]] = Placement(
                run_id, json.loads(value)["artifact_path"]
            )
