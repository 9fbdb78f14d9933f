"""Permissions of the routes whose modules do not declare them inline.

The REST API v1 declares each permission in its operation row, and the
artifact, health and metrics routes in their decorators. The MLflow-compatible
API and the web UI are declared here: :data:`ROUTES` by method and path
template, and :data:`MLFLOW_ENDPOINTS` for each endpoint behind the MLflow
API's one dispatching route. :func:`declare_routes` attaches them when the app
is built; a test fails when any route or MLflow endpoint has no declaration.

MLflow names a run ``run_id`` or (older clients) ``run_uuid``; ``a|b`` reads
the first one given, as the handlers do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelreg.errors import NotFound
from modelreg.route_permissions import (
    ADMIN,
    OPENAPI_KEY,
    PER_ENDPOINT,
    USER,
    Permission,
    declare,
    on_experiment,
    on_model,
    on_run,
)
from modelreg.server.mlflow_routes import ARTIFACTS_PREFIX as MLFLOW_ARTIFACTS
from modelreg.server.mlflow_routes import PREFIX as MLFLOW
from modelreg.server.mlflow_routes import artifact_target

RUN = "run_id|run_uuid"

ROUTES: dict[tuple[str, str], Permission] = {
    # MLflow-compatible API: one route dispatching to MLFLOW_ENDPOINTS
    ("GET", MLFLOW + "/{path:path}"): PER_ENDPOINT,
    ("POST", MLFLOW + "/{path:path}"): PER_ENDPOINT,
    ("PATCH", MLFLOW + "/{path:path}"): PER_ENDPOINT,
    ("DELETE", MLFLOW + "/{path:path}"): PER_ENDPOINT,
    ("GET", MLFLOW_ARTIFACTS): Permission("read", "mlflow_artifact"),
    ("GET", MLFLOW_ARTIFACTS + "/{path:path}"): Permission("read", "mlflow_artifact"),
    ("PUT", MLFLOW_ARTIFACTS + "/{path:path}"): Permission("edit", "mlflow_artifact"),
    # web UI: lists are filtered to what the caller may read
    ("GET", "/"): USER,
    ("GET", "/ui/models"): USER,
    ("GET", "/ui/models/{name}"): on_model("read"),
    ("GET", "/ui/models/{name}/versions/{version}"): on_model("read"),
    ("GET", "/ui/models/{name}/compare"): on_model("read"),
    ("GET", "/ui/experiments"): USER,
    ("GET", "/ui/experiments/{experiment_id}"): on_experiment("read"),
    ("GET", "/ui/runs/{run_id}"): on_run("read"),
}

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
    ("POST", "/experiments/delete-experiment-tag"): on_experiment("edit"),
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
    ("POST", "/logged-models"): on_experiment("edit"),
    ("GET", "/logged-models/{model_id}"): Permission("read", "logged_model"),
    ("PATCH", "/logged-models/{model_id}"): Permission("edit", "logged_model"),
    ("DELETE", "/logged-models/{model_id}"): Permission("edit", "logged_model"),
    ("PATCH", "/logged-models/{model_id}/tags"): Permission("edit", "logged_model"),
    ("DELETE", "/logged-models/{model_id}/tags/{tag_key}"): Permission("edit", "logged_model"),
    ("POST", "/logged-models/{model_id}/params"): Permission("edit", "logged_model"),
    ("GET", "/logged-models/{model_id}/artifacts/directories"): Permission("read", "logged_model"),
    ("POST", "/logged-models/search"): USER,
    ("POST", "/runs/outputs"): on_run("edit"),
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


def iter_routes(routes: Any) -> Iterator[Any]:
    """Every route an app serves, routers included by ``include_router`` flattened.

    FastAPI 0.165+ keeps an included router as one entry whose routes are
    built lazily (``effective_candidates``); older versions copy its routes.
    """
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            yield from iter_routes(candidates())
        else:
            yield route


def declare_routes(app: Any) -> None:
    """Attaches the declarations above to the app's routes that have none inline."""
    for route in iter_routes(app.routes):
        extra = getattr(route, "openapi_extra", None)
        if extra is not None and OPENAPI_KEY in extra:
            continue
        for method in getattr(route, "methods", None) or ():
            permission = ROUTES.get((method, route.path))
            if permission is None:
                continue
            declared = {**(extra or {}), **declare(permission)}
            route.openapi_extra = declared
            original = getattr(route, "original_route", None)
            if original is not None:  # so a rebuilt route keeps it
                original.openapi_extra = declared


def mlflow_endpoint_permission(method: str, path: str) -> Permission:
    """The permission of one MLflow endpoint; an unknown one only answers 404 to users."""
    from modelreg.server.mlflow_compat import HANDLERS
    from modelreg.server.mlflow_routes import endpoint_key

    key = (method, endpoint_key(path)[0])
    permission = MLFLOW_ENDPOINTS.get(key)
    if permission is not None:
        return permission
    if key in HANDLERS:  # added without a declaration: admins only until declared (a test fails)
        return ADMIN
    return USER


def mlflow_artifact_owner(path: str) -> tuple[str, str]:
    """``("run", run_id)`` or ``("model", name)`` for an MLflow artifact path, parsed as
    the MLflow artifact routes parse it."""
    kind, owner, _ = artifact_target(path)
    if kind == "run":
        return "run", owner
    if kind == "version":
        return "model", owner.rsplit("/", 1)[0]
    if kind == "logged_model":
        return "logged_model", owner
    raise NotFound(f"artifact path '{path[:200]}' names no run or model version")
