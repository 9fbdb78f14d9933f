"""Permissions of the endpoints behind the MLflow API's one dispatching route.

MLflow names a run ``run_id`` or (older clients) ``run_uuid``; ``a|b`` reads
the first one given, as the handlers do.
"""

from __future__ import annotations

from modelreg.api.route_permissions import (
    ADMIN,
    USER,
    Permission,
    on_experiment,
    on_model,
    on_run,
)

RUN = "run_id|run_uuid"

_VERSION_SOURCE = (("source", "source"), ("run", "run_id"))

MLFLOW_ENDPOINTS: dict[tuple[str, str], Permission] = {
    ("POST", "/experiments/create"): USER,
    ("GET", "/experiments/get"): on_experiment("read"),
    ("GET", "/experiments/get-by-name"): Permission("read", "experiment_name", "experiment_name"),
    ("POST", "/experiments/search"): USER,
    ("POST", "/experiments/delete"): on_experiment("manage"),
    ("POST", "/experiments/restore"): on_experiment("manage"),
    ("POST", "/experiments/update"): on_experiment("manage"),
    ("POST", "/experiments/set-experiment-tag"): on_experiment("edit"),
    ("POST", "/runs/create"): on_experiment("edit"),
    ("GET", "/runs/get"): on_run("read", RUN),
    ("POST", "/runs/update"): on_run("edit", RUN),
    ("POST", "/runs/delete"): on_run("manage"),
    ("POST", "/runs/restore"): on_run("manage"),
    ("POST", "/runs/log-metric"): on_run("edit", RUN),
    ("POST", "/runs/log-parameter"): on_run("edit", RUN),
    ("POST", "/runs/set-tag"): on_run("edit", RUN),
    ("POST", "/runs/delete-tag"): on_run("edit"),
    ("POST", "/runs/log-batch"): on_run("edit"),
    ("POST", "/runs/log-model"): on_run("edit"),
    ("POST", "/runs/log-inputs"): on_run("edit"),
    ("POST", "/logged-models/search"): USER,
    ("POST", "/runs/search"): USER,
    ("GET", "/metrics/get-history"): on_run("read", RUN),
    ("GET", "/artifacts/list"): on_run("read", RUN),
    ("POST", "/registered-models/create"): USER,
    ("GET", "/registered-models/get"): on_model("read"),
    ("POST", "/registered-models/rename"): on_model("manage"),
    ("PATCH", "/registered-models/update"): on_model("edit"),
    ("DELETE", "/registered-models/delete"): on_model("manage"),
    ("GET", "/registered-models/search"): USER,
    ("POST", "/registered-models/get-latest-versions"): on_model("read"),
    ("POST", "/registered-models/set-tag"): on_model("edit"),
    ("DELETE", "/registered-models/delete-tag"): on_model("edit"),
    ("POST", "/registered-models/alias"): on_model("edit"),
    ("DELETE", "/registered-models/alias"): on_model("edit"),
    ("GET", "/registered-models/alias"): on_model("read"),
    ("POST", "/model-versions/create"): on_model("edit", also_read=_VERSION_SOURCE),
    ("GET", "/model-versions/get"): on_model("read"),
    ("PATCH", "/model-versions/update"): on_model("edit"),
    ("DELETE", "/model-versions/delete"): on_model("manage"),
    ("POST", "/model-versions/transition-stage"): on_model("edit"),
    ("GET", "/model-versions/search"): USER,
    ("GET", "/model-versions/get-download-uri"): on_model("read"),
    ("POST", "/model-versions/set-tag"): on_model("edit"),
    ("DELETE", "/model-versions/delete-tag"): on_model("edit"),
}


def mlflow_endpoint_permission(method: str, path: str) -> Permission:
    """The permission of one MLflow endpoint the server handles (unknown ones answer 404
    before any check); one added without a declaration is for admins only until declared
    (a test fails)."""
    return MLFLOW_ENDPOINTS.get((method, "/" + path), ADMIN)
