"""MLflow's JSON shapes of modelreg's entities, and reading MLflow's request fields."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

from modelreg.entities import Experiment, Metric, ModelVersion, RegisteredModel, Run
from modelreg.errors import InvalidArgument
from modelreg.run_tags import RUN_NAME_TAG
from modelreg.server.mlflow_datasets import dataset_inputs_json
from modelreg.server.mlflow_names import tag_from_mlflow, tag_to_mlflow, uri_to_mlflow
from modelreg.server.mlflow_routes import sent
from modelreg.validation import check_objects


def kv(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def from_kv(items: Any, field: str = "tags") -> dict[str, str]:
    return {
        tag_from_mlflow(sent(item, "key")): sent(item, "value")
        for item in check_objects(items, field)
    }


def experiment_json(e: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": uri_to_mlflow(e.artifact_location),
        "lifecycle_stage": e.lifecycle_stage,
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
        "tags": kv(e.tags),
    }


def run_info_json(info: Any) -> dict[str, Any]:
    out = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "artifact_uri": uri_to_mlflow(info.artifact_uri),
        "lifecycle_stage": info.lifecycle_stage,
    }
    if info.end_time is not None:
        out["end_time"] = info.end_time
    return out


def metric_value(value: float) -> Any:
    """A metric value as MLflow's server answers it: NaN as the string ``"NaN"``, and
    ±Infinity as ±the largest float, which is what MLflow's SQL store keeps of them."""
    if math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    return Metric("m", value, 0).to_dict()["value"]


def run_json(run: Run, positions: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """MLflow's ``Run``; ``positions`` are the ``(step, timestamp)`` of its metrics' values."""
    tags = {tag_to_mlflow(k): v for k, v in run.data.tags.items()}
    # The run's name is the truth; a stored copy of it in the tags may be older.
    tags = {"mlflow.user": run.info.user_id, **tags, RUN_NAME_TAG: run.info.run_name}
    positions = positions or {}
    metrics = []
    for key, value in run.data.metrics.items():
        step, timestamp = positions.get(key, (0, 0))
        metrics.append(
            {"key": key, "value": metric_value(value), "timestamp": timestamp, "step": step}
        )
    out = {
        "info": run_info_json(run.info),
        "data": {
            "metrics": metrics,
            "params": kv(run.data.params),
            "tags": kv(tags),
        },
        "inputs": _inputs_json(run),
    }
    if run.outputs.model_outputs:
        made = run.outputs.model_outputs
        out["outputs"] = {"model_outputs": [{"model_id": m.model_id, "step": m.step} for m in made]}
    return out


def _inputs_json(run: Run) -> dict[str, Any]:
    """MLflow's ``RunInputs``, without the fields that are empty (as MLflow sends it)."""
    inputs: dict[str, Any] = {}
    if run.inputs.dataset_inputs:
        inputs["dataset_inputs"] = dataset_inputs_json(run.inputs.dataset_inputs)
    if run.inputs.model_inputs:
        inputs["model_inputs"] = [{"model_id": m.model_id} for m in run.inputs.model_inputs]
    return inputs


def version_json(v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "current_stage": v.current_stage,
        "description": v.description or "",
        "source": uri_to_mlflow(v.source),
        "run_id": v.run_id or "",
        "status": v.status,
        "user_id": v.user_id,
        "tags": kv(v.tags),
        "aliases": list(v.aliases),
        **({"model_id": v.model_id} if v.model_id else {}),
    }


def model_json(m: RegisteredModel) -> dict[str, Any]:
    return {
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description or "",
        "latest_versions": [version_json(v) for v in m.latest_versions],
        "tags": kv(m.tags),
        "aliases": [{"alias": a, "version": str(n)} for a, n in m.aliases.items()],
    }


def page(items: Any, key: str, convert: Callable[[Any], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: [convert(i) for i in items]}
    if items.token:
        out["next_page_token"] = items.token
    return out


def required(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise InvalidArgument(f"missing value for required parameter '{name}'")
    return value


def max_results(params: dict[str, Any], limit: int) -> Any:
    """The ``max_results`` parameter, refused above MLflow's limit for the endpoint, as
    MLflow's server does (modelreg's own API caps it instead)."""
    value = params.get("max_results")
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 < number <= limit:
        raise InvalidArgument(
            f"Invalid value {value!r:.40} for parameter 'max_results' supplied. "
            f"It must be an integer from 1 to {limit}"
        )
    return number
