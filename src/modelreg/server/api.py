"""Routes of the REST API v1, built from the operation table in ``modelreg.operations``.

Each route parses its input with a pydantic model derived from the service
method's signature (so bad input is refused at the edge with a 400 naming
the field), calls the method as the request's actor, and returns its result
as JSON.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Sequence
from typing import Any

import pydantic
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from modelreg.entities import Metric, Param, RunTag
from modelreg.operations import API_PREFIX, OPERATIONS, Operation, encode, signature_of
from modelreg.route_permissions import declare
from modelreg.server.identity import actor_for
from modelreg.services.context import acting_as

_KW = inspect.Parameter.KEYWORD_ONLY


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":")), status_code=status, media_type="application/json"
    )


class _MetricIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    key: Any
    value: Any
    timestamp: Any
    step: Any = 0


class _KeyValueIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    key: Any
    value: Any


# Entities in request bodies are checked for shape here and for content by
# the service, so a bad value gets the same message as in embedded use.
_WIRE = {Metric: (_MetricIn, Metric), Param: (_KeyValueIn, Param), RunTag: (_KeyValueIn, RunTag)}


def _body_annotation(annotation: Any) -> tuple[Any, Any]:
    """The request-model type for a parameter, and the entity class to build from it."""
    for arg in (annotation, *typing.get_args(annotation)):
        if arg in _WIRE:
            wire, entity = _WIRE[arg]
            return list[wire], entity
    return annotation, None


def _query_annotation(annotation: Any) -> Any:
    """FastAPI reads repeated query parameters into lists, not Sequences."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Sequence or Sequence in map(typing.get_origin, args):
        return list[str] | None
    return annotation


def _endpoint(op: Operation, backend: Any) -> Any:
    sig, hints = signature_of(op)
    params = [p for p in sig.parameters.values() if p.name != "self"]
    path_names = set(op.path_params)
    endpoint_params = [inspect.Parameter("request", _KW, annotation=Request)]
    body_fields: dict[str, Any] = {}
    entities: dict[str, Any] = {}
    for p in params:
        annotation = hints.get(p.name, Any)
        default = ... if p.default is inspect.Parameter.empty else p.default
        if isinstance(default, tuple):
            default = list(default)
        if p.name in path_names:
            endpoint_params.append(
                inspect.Parameter(p.name, _KW, annotation=str, default=Path(...))
            )
        elif op.in_body:
            wire_type, entity = _body_annotation(annotation)
            body_fields[p.name] = (wire_type, default)
            if entity is not None:
                entities[p.name] = entity
        else:
            endpoint_params.append(
                inspect.Parameter(
                    p.name, _KW, annotation=_query_annotation(annotation), default=Query(default)
                )
            )
    if body_fields:
        model = pydantic.create_model(
            "".join(w.title() for w in op.name.split("_")) + "Request",
            __config__=pydantic.ConfigDict(extra="forbid"),
            **body_fields,
        )
        endpoint_params.append(inspect.Parameter("body", _KW, annotation=model, default=Body(...)))
    method = getattr(getattr(backend, op.service), op.name)

    def endpoint(request: Request, **kwargs: Any) -> Response:
        body = kwargs.pop("body", None)
        if body is not None:
            kwargs.update({name: getattr(body, name) for name in body_fields})
            for name, entity in entities.items():
                kwargs[name] = [entity(**item.model_dump()) for item in kwargs[name]]
        with acting_as(actor_for(request)):
            result = method(**kwargs)
        return json_response(encode(result))

    endpoint.__signature__ = inspect.Signature(endpoint_params)  # type: ignore[attr-defined]
    endpoint.__name__ = op.name
    endpoint.__doc__ = inspect.getdoc(method)
    return endpoint


def build_router(backend: Any) -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for op in OPERATIONS:
        router.add_api_route(
            op.path,
            _endpoint(op, backend),
            methods=[op.http_method],
            name=op.name,
            tags=[op.service],
            summary=op.name.replace("_", " "),
            openapi_extra=None if op.permission is None else declare(op.permission),
        )
    return router
