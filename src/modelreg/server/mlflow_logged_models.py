"""MLflow 3's logged-model endpoints, and the run outputs and inputs that name them.

``mlflow.<flavor>.log_model`` creates a logged model (``POST /logged-models``),
uploads its files to ``<experiment>/models/<model_id>/artifacts/…`` through
the artifacts API, finalizes it (``PATCH``) and links it to the run
(``POST /runs/outputs``). The shapes follow MLflow's protobuf JSON.
"""

from __future__ import annotations

from typing import Any

from modelreg.api.route_permissions import USER, Permission, on_experiment, on_run
from modelreg.entities import Metric
from modelreg.errors import InvalidArgument
from modelreg.logged_models import (
    STATUS_FROM_MLFLOW,
    STATUS_TO_MLFLOW,
    LoggedModel,
    LoggedModelMetric,
    RunModelLink,
    dataset_filter,
)
from modelreg.server.mlflow_endpoints import endpoint
from modelreg.server.mlflow_names import uri_to_mlflow
from modelreg.server.mlflow_routes import as_list, sent
from modelreg.server.mlflow_shapes import kv, metric_value, required
from modelreg.services.logged_models import check_model_metric
from modelreg.timeutil import now_ms
from modelreg.validation import check_objects


def logged_model_json(m: LoggedModel) -> dict[str, Any]:
    """MLflow's ``LoggedModel`` message: ``info`` and ``data``."""
    info: dict[str, Any] = {
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.creation_timestamp,
        "last_updated_timestamp_ms": m.last_updated_timestamp,
        "artifact_uri": uri_to_mlflow(m.artifact_location),
        "status": STATUS_TO_MLFLOW[m.status],
        "model_type": m.model_type or "",
        "source_run_id": m.source_run_id or "",
        "status_message": m.status_message or "",
        "tags": kv(m.tags),
    }
    metrics = [
        {
            **item.metric.to_dict(),
            "value": metric_value(item.metric.value),
            "model_id": m.model_id,
            **({"run_id": item.run_id} if item.run_id else {}),
            **({"dataset_name": item.dataset_name} if item.dataset_name else {}),
            **({"dataset_digest": item.dataset_digest} if item.dataset_digest else {}),
        }
        for item in m.metrics
    ]
    data: dict[str, Any] = {"params": kv(m.params)}
    if metrics:
        data["metrics"] = metrics
    return {"info": info, "data": data}


def _pairs(items: Any, field: str) -> dict[str, str]:
    return {sent(i, "key"): sent(i, "value") for i in check_objects(items, field)}


@endpoint("POST", "/logged-models", on_experiment("edit"))
def create_logged_model(b: Any, p: dict[str, Any]) -> Any:
    model = b.logged_models.create_logged_model(
        required(p, "experiment_id"),
        p.get("name") or None,
        p.get("source_run_id") or None,
        _pairs(p.get("tags"), "tags"),
        _pairs(p.get("params"), "params"),
        p.get("model_type") or None,
    )
    return {"model": logged_model_json(model)}


@endpoint("GET", "/logged-models/{model_id}", Permission("read", "logged_model"))
def get_logged_model(b: Any, p: dict[str, Any]) -> Any:
    allow_deleted = str(p.get("allow_deleted", "false")).lower() == "true"
    return {
        "model": logged_model_json(b.logged_models.get_logged_model(p["model_id"], allow_deleted))
    }


@endpoint("PATCH", "/logged-models/{model_id}", Permission("edit", "logged_model"))
def finalize_logged_model(b: Any, p: dict[str, Any]) -> Any:
    status = STATUS_FROM_MLFLOW.get(required(p, "status"))
    if status is None:
        raise InvalidArgument(f"Invalid value {p['status']!r:.60} for parameter 'status'")
    return {
        "model": logged_model_json(b.logged_models.finalize_logged_model(p["model_id"], status))
    }


@endpoint("DELETE", "/logged-models/{model_id}", Permission("edit", "logged_model"))
def delete_logged_model(b: Any, p: dict[str, Any]) -> Any:
    b.logged_models.delete_logged_model(p["model_id"])


@endpoint("PATCH", "/logged-models/{model_id}/tags", Permission("edit", "logged_model"))
def set_logged_model_tags(b: Any, p: dict[str, Any]) -> Any:
    b.logged_models.set_logged_model_tags(p["model_id"], _pairs(p.get("tags"), "tags"))


@endpoint("DELETE", "/logged-models/{model_id}/tags/{tag_key}", Permission("edit", "logged_model"))
def delete_logged_model_tag(b: Any, p: dict[str, Any]) -> Any:
    b.logged_models.delete_logged_model_tag(p["model_id"], p["tag_key"])


@endpoint("POST", "/logged-models/{model_id}/params", Permission("edit", "logged_model"))
def log_logged_model_params(b: Any, p: dict[str, Any]) -> Any:
    b.logged_models.log_logged_model_params(p["model_id"], _pairs(p.get("params"), "params"))


@endpoint("POST", "/logged-models/search", USER)
def search_logged_models(b: Any, p: dict[str, Any]) -> Any:
    order_by = [
        (
            o.get("field_name"),
            o.get("ascending", True) is not False,
            o.get("dataset_name"),
            o.get("dataset_digest"),
        )
        for o in check_objects(p.get("order_by"), "order_by")
    ]
    found = b.logged_models.search_logged_models(
        [str(e) for e in as_list(required(p, "experiment_ids"))],
        p.get("filter") or None,
        p.get("max_results") or None,
        order_by,
        p.get("page_token") or None,
        [dataset_filter(d) for d in check_objects(p.get("datasets"), "datasets")],
    )
    out: dict[str, Any] = {"models": [logged_model_json(m) for m in found]}
    if found.token:
        out["next_page_token"] = found.token
    return out


@endpoint(
    "GET", "/logged-models/{model_id}/artifacts/directories", Permission("read", "logged_model")
)
def list_logged_model_artifacts(b: Any, p: dict[str, Any]) -> Any:
    model = b.logged_models.get_logged_model(p["model_id"])
    prefix = (p.get("artifact_directory_path") or "").strip("/")
    files = directory_listing(b.logged_models.manifest(model.model_id, prefix), prefix)
    return {"root_uri": uri_to_mlflow(model.artifact_location), "files": files}


def directory_listing(entries: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The files and folders directly inside ``prefix``, as MLflow's ``FileInfo``s (paths
    relative to the listed root, as MLflow's artifacts API gives them)."""
    base = f"{prefix}/" if prefix else ""
    files: dict[str, dict[str, Any]] = {}
    for full, ref in entries.items():
        if full == prefix:
            return []  # a file, not a folder
        name, _, rest = full[len(base) :].partition("/")
        path = base + name
        files[name] = (
            {"path": path, "is_dir": True}
            if rest
            else {"path": path, "is_dir": False, "file_size": ref.size}
        )
    return [files[n] for n in sorted(files)]


@endpoint("POST", "/runs/outputs", on_run("edit"))
def log_outputs(b: Any, p: dict[str, Any]) -> Any:
    links = [
        RunModelLink(sent(m, "model_id"), "output", int(sent(m, "step") or 0))
        for m in check_objects(p.get("models"), "models")
    ]
    b.logged_models.link_run(required(p, "run_id"), links)


def model_metrics(b: Any, run_id: str, metrics: list[Any]) -> dict[str, list[LoggedModelMetric]]:
    """The metrics of a run's log request that name a logged model (``model_id`` set), by
    model: checked, and each model known, before the run's own are written."""
    by_model: dict[str, list[LoggedModelMetric]] = {}
    for m in metrics:
        if isinstance(m, dict) and m.get("model_id"):
            metric = Metric(
                sent(m, "key"),
                sent(m, "value"),
                sent(m, "timestamp") or now_ms(),
                sent(m, "step") or 0,
            )
            item = LoggedModelMetric(metric, run_id, m.get("dataset_name"), m.get("dataset_digest"))
            by_model.setdefault(m["model_id"], []).append(check_model_metric(item))
    for model_id in by_model:
        b.logged_models.require_editable(model_id)
    return by_model


def log_model_metrics(b: Any, by_model: dict[str, list[LoggedModelMetric]]) -> None:
    """Records what :func:`model_metrics` gave as the models' metrics."""
    for model_id, items in by_model.items():
        b.logged_models.log_logged_model_metrics(model_id, items)


def model_inputs(models: Any) -> list[RunModelLink]:
    """The ``models`` of ``runs/log-inputs``: links to the logged models the run used."""
    return [RunModelLink(sent(m, "model_id"), "input") for m in check_objects(models, "models")]
