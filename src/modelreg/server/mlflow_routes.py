"""How the MLflow-compatible routes read a request, shared with the permission checks.

:mod:`modelreg.server.mlflow_compat` serves the routes;
:mod:`modelreg.server.guard` checks
them before they run. Both read a request's parameters and an artifact path
with the functions here, so the check and the route see the same values.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from modelreg.errors import InvalidArgument, NotFound
from modelreg.server.csrf import is_json

__all__ = [
    "ARTIFACTS_PREFIX",
    "PREFIX",
    "REGISTERED_ROOT",
    "artifact_target",
    "as_list",
    "request_params",
]

PREFIX = "/api/2.0/mlflow"
ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts/artifacts"
# The first part of the artifact paths of registered versions' snapshots.
REGISTERED_ROOT = "_registered"


def as_list(value: Any) -> list[Any]:
    """A repeated parameter as a list: ``[]`` for none, ``[value]`` for one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


async def request_params(request: Request) -> dict[str, Any]:
    """The query string and the JSON body merged, as MLflow's server reads them (a key
    repeated in the query string becomes a list; the body wins). Raises ``InvalidArgument``
    for a body that is not a JSON object."""
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        params[key] = [*as_list(params[key]), value] if key in params else value
    body = await request.body()
    if body:
        if not is_json(request.headers.get("content-type")):
            raise InvalidArgument("request body must be JSON (Content-Type: application/json)")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # nested too deep for the decoder
            raise InvalidArgument(f"request body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidArgument("request body must be a JSON object")
        params.update(data)
    return params


def artifact_target(path: str) -> tuple[str, str, str]:
    """``("run", run_id, rel)`` or ``("version", "name/version", rel)`` for an MLflow
    artifact path. Raises ``NotFound`` for a path of neither shape."""
    parts = path.strip("/").split("/")
    if parts[0] == REGISTERED_ROOT and len(parts) >= 3:
        return "version", f"{parts[1]}/{parts[2]}", "/".join(parts[3:])
    if len(parts) >= 3 and parts[2] == "artifacts":
        return "run", parts[1], "/".join(parts[3:])
    raise NotFound(f"artifact path '{path[:200]}' is not <experiment>/<run>/artifacts/<path>")
