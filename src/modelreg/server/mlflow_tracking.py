"""MLflow's tracking endpoints: experiments, runs, params, metrics, tags, run artifacts."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

from modelreg.actor import acting_as, current_actor
from modelreg.api.route_permissions import USER, Permission, on_experiment, on_run
from modelreg.entities import Metric, Param, RunTag
from modelreg.errors import NotFound
from modelreg.run_tags import RUN_NAME_TAG
from modelreg.server.mlflow_datasets import datasets_from_mlflow
from modelreg.server.mlflow_endpoints import RUN, endpoint
from modelreg.server.mlflow_logged_models import (
    log_model_metrics,
    model_inputs,
    model_metrics,
)
from modelreg.server.mlflow_names import TAG_FIELDS_FROM_MLFLOW, tag_from_mlflow, uri_to_mlflow
from modelreg.server.mlflow_routes import as_list, sent
from modelreg.server.mlflow_shapes import (
    experiment_json,
    from_kv,
    max_results,
    metric_value,
    page,
    required,
    run_info_json,
    run_json,
)
from modelreg.services.principal import ANONYMOUS, acting_principal, current_principal
from modelreg.timeutil import now_ms
from modelreg.validation import (
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    check_objects,
    check_string,
)

logger = logging.getLogger(__name__)

_SPECIAL_FLOATS = ("NaN", "Infinity", "-Infinity", "inf", "-inf", "nan")
# MLflow's limits on max_results, above which its server answers 400.
RUNS_LIMIT = 50_000
EXPERIMENTS_LIMIT = 50_000
HISTORY_LIMIT = 25_000

# -- experiments -------------------------------------------------------------------


@endpoint("POST", "/experiments/create", USER)
def create_experiment(b: Any, p: dict[str, Any]) -> Any:
    location = p.get("artifact_location") or None
    # MLflow lets anyone choose the location on a server without auth, where nobody is an
    # admin; with auth only an admin may (the service checks it, and the location).
    no_auth = current_principal() == ANONYMOUS
    with acting_principal(None) if location and no_auth else nullcontext():
        experiment_id = b.tracking.create_experiment(
            required(p, "name"), location, from_kv(p.get("tags"))
        )
    return {"experiment_id": experiment_id}


@endpoint("GET", "/experiments/get", on_experiment("read"))
def get_experiment(b: Any, p: dict[str, Any]) -> Any:
    return {"experiment": experiment_json(b.tracking.get_experiment(required(p, "experiment_id")))}


@endpoint(
    "GET", "/experiments/get-by-name", Permission("read", "experiment_name", "experiment_name")
)
def get_experiment_by_name(b: Any, p: dict[str, Any]) -> Any:
    name = required(p, "experiment_name")
    experiment = b.tracking.get_experiment_by_name(name)
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return {"experiment": experiment_json(experiment)}


@endpoint("POST", "/experiments/search", USER)
def search_experiments(b: Any, p: dict[str, Any]) -> Any:
    found = b.tracking.search_experiments(
        p.get("view_type") or "ACTIVE_ONLY",
        max_results(p, EXPERIMENTS_LIMIT),
        p.get("filter"),
        as_list(p.get("order_by")),
        p.get("page_token"),
    )
    return page(found, "experiments", experiment_json)


@endpoint("POST", "/experiments/delete", on_experiment("manage"))
def delete_experiment(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.delete_experiment(required(p, "experiment_id"))


@endpoint("POST", "/experiments/restore", on_experiment("manage"))
def restore_experiment(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.restore_experiment(required(p, "experiment_id"))


@endpoint("POST", "/experiments/update", on_experiment("manage"))
def update_experiment(b: Any, p: dict[str, Any]) -> Any:
    if p.get("new_name"):
        b.tracking.rename_experiment(required(p, "experiment_id"), p["new_name"])


@endpoint("POST", "/experiments/delete-experiment-tag", on_experiment("edit"))
def delete_experiment_tag(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.delete_experiment_tag(required(p, "experiment_id"), required(p, "key"))


@endpoint("POST", "/experiments/set-experiment-tag", on_experiment("edit"))
def set_experiment_tag(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.set_experiment_tag(required(p, "experiment_id"), required(p, "key"), p.get("value"))


# -- runs --------------------------------------------------------------------------


@endpoint("POST", "/runs/create", on_experiment("edit"))
def create_run(b: Any, p: dict[str, Any]) -> Any:
    tags = {key: _cut(value, MAX_TAG_VALUE_LENGTH) for key, value in from_kv(p.get("tags")).items()}
    # Without auth the client's user_id names the run's user, as on MLflow's server;
    # with auth the authenticated user does, whatever the client claims.
    claimed = p.get("user_id") or tags.get("mlflow.user")
    anonymous = current_actor() == ANONYMOUS.username
    user = claimed if anonymous and isinstance(claimed, str) else None
    with acting_as(user) if user else nullcontext():
        run = b.tracking.create_run(
            p.get("experiment_id") or "0",
            p.get("start_time"),
            tags,
            p.get("run_name") or tags.get(RUN_NAME_TAG),
        )
    return {"run": run_json(run)}


@endpoint("GET", "/runs/get", on_run("read", RUN))
def get_run(b: Any, p: dict[str, Any]) -> Any:
    run = b.tracking.get_run(p.get("run_id") or required(p, "run_uuid"))
    positions = b.tracking.latest_metric_positions([run.info.run_id])[run.info.run_id]
    return {"run": run_json(run, positions)}


@endpoint("POST", "/runs/update", on_run("edit", RUN))
def update_run(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or required(p, "run_uuid")
    info = b.tracking.update_run(run_id, p.get("status"), p.get("end_time"), p.get("run_name"))
    return {"run_info": run_info_json(info)}


@endpoint("POST", "/runs/delete", on_run("manage"))
def delete_run(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.delete_run(required(p, "run_id"))


@endpoint("POST", "/runs/restore", on_run("manage"))
def restore_run(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.restore_run(required(p, "run_id"))


def _metric(run_key: dict[str, Any]) -> Metric:
    value = sent(run_key, "value")
    if isinstance(value, str) and value in _SPECIAL_FLOATS:
        value = float(value)  # MLflow sends NaN and infinities as JSON strings
    return Metric(
        sent(run_key, "key"),
        value,
        run_key.get("timestamp") or now_ms(),
        run_key.get("step") or 0,
    )


@endpoint("POST", "/runs/log-metric", on_run("edit", RUN))
def log_metric(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or required(p, "run_uuid")
    measured = model_metrics(b, run_id, [p])
    b.tracking.log_batch(run_id, metrics=[_metric(p)])
    log_model_metrics(b, measured)


@endpoint("POST", "/runs/log-parameter", on_run("edit", RUN))
def log_param(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or required(p, "run_uuid")
    b.tracking.log_batch(run_id, params=[_param(p)])


@endpoint("POST", "/runs/set-tag", on_run("edit", RUN))
def set_tag(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or required(p, "run_uuid")
    b.tracking.log_batch(run_id, tags=[_run_tag(p)])


@endpoint("POST", "/runs/delete-tag", on_run("edit"))
def delete_tag(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.delete_tag(required(p, "run_id"), tag_from_mlflow(required(p, "key")))


@endpoint("POST", "/runs/log-batch", on_run("edit"))
def log_batch(b: Any, p: dict[str, Any]) -> Any:
    measured = model_metrics(b, required(p, "run_id"), check_objects(p.get("metrics"), "metrics"))
    b.tracking.log_batch(
        required(p, "run_id"),
        metrics=[_metric(m) for m in check_objects(p.get("metrics"), "metrics")],
        params=[_param(i) for i in check_objects(sent(p, "params"), "params")],
        tags=[_run_tag(i) for i in check_objects(p.get("tags"), "tags")],
    )
    log_model_metrics(b, measured)


def _param(item: dict[str, Any]) -> Param:
    return Param(sent(item, "key"), _cut(sent(item, "value"), MAX_PARAM_VALUE_LENGTH))


def _run_tag(item: dict[str, Any]) -> RunTag:
    return RunTag(
        tag_from_mlflow(sent(item, "key")), _cut(sent(item, "value"), MAX_TAG_VALUE_LENGTH)
    )


def _cut(value: Any, limit: int) -> Any:
    """A run's param or tag value cut to its limit, as MLflow's server stores one that is
    longer (its clients rely on that: autologging logs long reprs); the log says so."""
    if isinstance(value, str) and len(value) > limit:
        logger.warning(
            "a value of %d characters (%.60r…) was cut to the %d allowed, as MLflow's server does",
            len(value),
            value,
            limit,
        )
        return value[:limit]
    return value


@endpoint("POST", "/runs/log-model", on_run("edit"))
def log_model(b: Any, p: dict[str, Any]) -> Any:
    # MLflow records logged-model metadata as a run tag; the files arrive as artifacts.
    model_json = p.get("model_json")
    if model_json:
        text = check_string(model_json, "model_json", 1 << 20)[:8000]
        b.tracking.log_batch(required(p, "run_id"), tags=[RunTag("mlflow.log-model.history", text)])


@endpoint("POST", "/runs/log-inputs", on_run("edit"))
def log_inputs(b: Any, p: dict[str, Any]) -> Any:
    run_id = required(p, "run_id")
    sent = p.get("datasets")
    logged = b.governance.get_run_inputs(run_id) if sent else []
    inputs, links = datasets_from_mlflow(sent, logged), model_inputs(p.get("models"))
    if inputs or links:
        b.governance.log_inputs(run_id, inputs, links)


@endpoint("POST", "/runs/search", USER)
def search_runs(b: Any, p: dict[str, Any]) -> Any:
    found = b.tracking.search_runs_naming_tags(
        TAG_FIELDS_FROM_MLFLOW,
        as_list(p.get("experiment_ids")),
        p.get("filter") or "",
        p.get("run_view_type") or "ACTIVE_ONLY",
        max_results(p, RUNS_LIMIT),
        as_list(p.get("order_by")),
        p.get("page_token"),
    )
    positions = b.tracking.latest_metric_positions([r.info.run_id for r in found])
    return page(found, "runs", lambda r: run_json(r, positions[r.info.run_id]))


@endpoint("GET", "/metrics/get-history", on_run("read", RUN))
def get_metric_history(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or required(p, "run_uuid")
    limit = max_results(p, HISTORY_LIMIT) or HISTORY_LIMIT
    history = b.tracking.get_metric_history(
        run_id, required(p, "metric_key"), limit, p.get("page_token") or None
    )
    out: dict[str, Any] = {
        "metrics": [{**m.to_dict(), "value": metric_value(m.value)} for m in history]
    }
    if history.token:
        out["next_page_token"] = history.token
    return out


@endpoint("GET", "/artifacts/list", on_run("read", RUN))
def list_run_artifacts(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or required(p, "run_uuid")
    files = b.artifacts.list_artifacts(run_id, p.get("path") or None)
    root = uri_to_mlflow(b.tracking.get_run(run_id).info.artifact_uri)
    return {"root_uri": root, "files": [f.to_dict() for f in files]}
