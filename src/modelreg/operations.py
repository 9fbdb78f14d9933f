"""The REST API v1, declared once: one row per operation.

Each :class:`Operation` names a service method and the HTTP route that
exposes it. The server builds its routes from this table (request models
come from the method's signature, so input is validated at the edge) and the
remote client builds its proxies from the very same rows, so the two cannot
drift apart. Parameters named in the path go in the path; the others go in
the query string for GET and DELETE, and in the JSON body otherwise.

Artifact transfers (streams of bytes) are not in this table: they have
hand-written routes in ``modelreg.server.artifacts``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from modelreg.entities import PagedList

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    http_method: str
    path: str
    summary: str = ""

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))

    @property
    def in_body(self) -> bool:
        return self.http_method in ("POST", "PUT", "PATCH")


def _op(service: str, name: str, method: str, path: str) -> Operation:
    return Operation(service, name, method, path)


OPERATIONS: tuple[Operation, ...] = (
    # experiments
    _op("tracking", "create_experiment", "POST", "/experiments"),
    _op("tracking", "search_experiments", "GET", "/experiments"),
    _op("tracking", "get_experiment_by_name", "GET", "/experiments/by-name/{name}"),
    _op("tracking", "get_experiment", "GET", "/experiments/{experiment_id}"),
    _op("tracking", "rename_experiment", "PATCH", "/experiments/{experiment_id}"),
    _op("tracking", "delete_experiment", "DELETE", "/experiments/{experiment_id}"),
    _op("tracking", "restore_experiment", "POST", "/experiments/{experiment_id}/restore"),
    _op("tracking", "set_experiment_tag", "PUT", "/experiments/{experiment_id}/tags/{key}"),
    # runs
    _op("tracking", "create_run", "POST", "/runs"),
    _op("tracking", "search_runs", "POST", "/runs/search"),
    _op("tracking", "get_run", "GET", "/runs/{run_id}"),
    _op("tracking", "update_run", "PATCH", "/runs/{run_id}"),
    _op("tracking", "set_terminated", "POST", "/runs/{run_id}/terminate"),
    _op("tracking", "delete_run", "DELETE", "/runs/{run_id}"),
    _op("tracking", "restore_run", "POST", "/runs/{run_id}/restore"),
    _op("tracking", "log_batch", "POST", "/runs/{run_id}/batch"),
    _op("tracking", "delete_tag", "DELETE", "/runs/{run_id}/tags/{key}"),
    _op("tracking", "get_metric_history", "GET", "/runs/{run_id}/metrics/{key}/history"),
    # registered models
    _op("registry", "create_registered_model", "POST", "/registered-models"),
    _op("registry", "search_registered_models", "GET", "/registered-models"),
    _op("registry", "get_or_create_registered_model", "PUT", "/registered-models/{name}"),
    _op("registry", "get_registered_model", "GET", "/registered-models/{name}"),
    _op("registry", "update_registered_model", "PATCH", "/registered-models/{name}"),
    _op("registry", "delete_registered_model", "DELETE", "/registered-models/{name}"),
    _op("registry", "rename_registered_model", "POST", "/registered-models/{name}/rename"),
    _op("registry", "set_registered_model_tag", "PUT", "/registered-models/{name}/tags/{key}"),
    _op(
        "registry", "delete_registered_model_tag", "DELETE", "/registered-models/{name}/tags/{key}"
    ),
    _op("registry", "get_history", "GET", "/registered-models/{name}/history"),
    _op("registry", "rollback", "POST", "/registered-models/{name}/rollback"),
    _op("registry", "get_latest_versions", "GET", "/registered-models/{name}/latest-versions"),
    _op(
        "registry", "set_registered_model_alias", "PUT", "/registered-models/{name}/aliases/{alias}"
    ),
    _op(
        "registry", "get_model_version_by_alias", "GET", "/registered-models/{name}/aliases/{alias}"
    ),
    _op(
        "registry",
        "delete_registered_model_alias",
        "DELETE",
        "/registered-models/{name}/aliases/{alias}",
    ),
    # model versions
    _op("registry", "create_model_version", "POST", "/registered-models/{name}/versions"),
    _op("registry", "search_model_versions", "GET", "/model-versions"),
    _op("registry", "resolve_model_uri", "GET", "/model-versions/resolve"),
    _op("registry", "get_model_version", "GET", "/registered-models/{name}/versions/{version}"),
    _op(
        "registry", "update_model_version", "PATCH", "/registered-models/{name}/versions/{version}"
    ),
    _op(
        "registry", "delete_model_version", "DELETE", "/registered-models/{name}/versions/{version}"
    ),
    _op(
        "registry",
        "transition_model_version_stage",
        "POST",
        "/registered-models/{name}/versions/{version}/stage",
    ),
    _op(
        "registry",
        "set_model_version_tag",
        "PUT",
        "/registered-models/{name}/versions/{version}/tags/{key}",
    ),
    _op(
        "registry",
        "delete_model_version_tag",
        "DELETE",
        "/registered-models/{name}/versions/{version}/tags/{key}",
    ),
    # artifacts (metadata only; bytes move through the blob routes)
    _op("artifacts", "list_artifacts", "GET", "/runs/{run_id}/artifacts"),
)


def service_class(service: str) -> type:
    """The service class whose methods the operations of ``service`` call."""
    if service == "tracking":
        from modelreg.services.tracking import TrackingService

        return TrackingService
    if service == "registry":
        from modelreg.services.registry import RegistryService

        return RegistryService
    from modelreg.services.artifacts import ArtifactService

    return ArtifactService


@cache
def signature_of(op: Operation) -> tuple[inspect.Signature, dict[str, Any]]:
    """The service method's signature and its resolved type hints."""
    method = getattr(service_class(op.service), op.name)
    return inspect.signature(method), typing.get_type_hints(method)


# -- JSON encoding of results ----------------------------------------------------


def encode(value: Any) -> Any:
    """A service result as JSON-ready data (entities through their ``to_dict``)."""
    if isinstance(value, PagedList):
        return {"items": [encode(v) for v in value], "next_page_token": value.token}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def decode(data: Any, annotation: Any) -> Any:
    """The inverse of ``encode`` for a value of type ``annotation``."""
    if data is None or annotation is Any or annotation is type(None):
        return data
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return decode(data, options[0]) if len(options) == 1 else data
    if origin is PagedList:
        return PagedList([decode(v, args[0]) for v in data["items"]], data["next_page_token"])
    if origin in (list, Sequence, tuple):
        return [decode(v, args[0]) for v in data]
    if origin is dict:
        return {k: decode(v, args[1]) for k, v in data.items()}
    if isinstance(annotation, type):
        if hasattr(annotation, "from_dict"):
            return annotation.from_dict(data)
        if dataclasses.is_dataclass(annotation):
            return annotation(**data)
    return data
