"""How the MLflow-compatible routes read a request, shared with the permission checks.

:mod:`modelreg.server.mlflow_compat` serves the routes;
:mod:`modelreg.server.guard` checks
them before they run. Both read a request's parameters and an artifact path
with the functions here, so the check and the route see the same values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    "endpoint_key",
    "request_params",
]

PREFIX = "/api/2.0/mlflow"
ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts/artifacts"
# The first part of the artifact paths of registered versions' snapshots.
REGISTERED_ROOT = "_registered"
# MLflow endpoints whose path carries values: ``{name}`` matches one path segment.
TEMPLATES = (
    "/logged-models/{model_id}",
    "/logged-models/{model_id}/tags",
    "/logged-models/{model_id}/tags/{tag_key}",
    "/logged-models/{model_id}/params",
    "/logged-models/{model_id}/artifacts/directories",
    "/webhooks/{webhook_id}",
    "/webhooks/{webhook_id}/test",
)


# Path segments that are endpoints of their own, never a ``{…}`` value.
_LITERALS = ("search",)


def endpoint_key(path: str) -> tuple[str, dict[str, str]]:
    """The endpoint path an MLflow request path names (``/logged-models/m-1/tags`` is
    ``/logged-models/{model_id}/tags``) and the values of its ``{…}`` parts."""
    path = "/" + path.lstrip("/")
    segments = path.split("/")
    for template in TEMPLATES:
        values = _fill(template.split("/"), segments)
        if values is not None:
            return template, values
    return path, {}


def _fill(template: list[str], segments: list[str]) -> dict[str, str] | None:
    """The ``{…}`` values when ``segments`` fit ``template`` segment by segment."""
    if len(template) != len(segments):
        return None
    values = {}
    for expected, segment in zip(template, segments, strict=True):
        if expected.startswith("{") and expected.endswith("}"):
            if not segment or segment in _LITERALS:
                return None
            values[expected[1:-1]] = segment
        elif expected != segment:
            return None
    return values


def sent(obj: Mapping[str, Any], key: str) -> Any:
    """A field of a request object as the client sent it (maybe missing): the service
    that receives it validates it, with a message naming the field."""
    return obj.get(key)


def as_list(value: Any) -> list[Any]:
    """A repeated parameter as a list: ``[]`` for none, ``[value]`` for one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


async def request_params(request: Request) -> dict[str, Any]:
    """The query string, the JSON body and the values in the endpoint's path merged, as
    MLflow's server reads them (a key repeated in the query string becomes a list; the
    body wins over the query, the path over both). Raises ``InvalidArgument`` for a body
    that is not a JSON object."""
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
    params.update(endpoint_key(request.path_params.get("path", ""))[1])
    return params


def artifact_target(path: str) -> tuple[str, str, str]:
    """``("run", run_id, rel)``, ``("logged_model", model_id, rel)`` or ``("version",
    "name/version", rel)`` for an MLflow artifact path. Raises ``NotFound`` for a path of
    none of these shapes. Empty and ``.`` segments are dropped, as MLflow's client sends
    ``<run path>/.`` for a run's whole artifact root."""
    parts = [part for part in path.split("/") if part not in ("", ".")] or [""]
    if parts[0] == REGISTERED_ROOT and len(parts) >= 3:
        return "version", f"{parts[1]}/{parts[2]}", "/".join(parts[3:])
    if len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        return "logged_model", parts[2], "/".join(parts[4:])
    if len(parts) >= 3 and parts[2] == "artifacts":
        return "run", parts[1], "/".join(parts[3:])
    raise NotFound(f"artifact path '{path[:200]}' is not <experiment>/<run>/artifacts/<path>")
