"""Routes of the REST API v1, built from the operation table in ``modelreg.api.operations``.

Each route parses its input with a pydantic model derived from the service
method's signature (so bad input is refused at the edge with a 400 naming
the field), calls the method as the request's actor, and returns its result
as JSON.
"""

from __future__ import annotations

import inspect
import json
import types
import typing
from collections.abc import MutableMapping, Sequence
from types import GenericAlias
from typing import Any

import pydantic
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from starlette.routing import Match

from modelreg.actor import acting_as
from modelreg.api.operations import API_PREFIX, OPERATIONS, Operation, encode, signature_of
from modelreg.entities import Metric, Param, RunTag
from modelreg.server.guard import Guard, declare
from modelreg.server.identity import actor_for

_KW = inspect.Parameter.KEYWORD_ONLY


def json_bytes(data: Any) -> bytes:
    """``data`` as the compact JSON every route answers with."""
    return json.dumps(data, separators=(",", ":")).encode()


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json_bytes(data), status_code=status, media_type="application/json")


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
            return GenericAlias(list, (wire,)), entity
    return _strict_numbers(annotation), None


_STRICT_INT = typing.Annotated[int, pydantic.Strict()]
# Strict floats still take JSON integers (2 for 2.0), but no longer booleans.
_STRICT_FLOAT = typing.Annotated[float, pydantic.Strict()]


def _strict_numbers(annotation: Any) -> Any:
    """``annotation`` with every ``int`` and ``float`` in it made strict.

    In its default (lax) mode pydantic reads JSON ``true`` as 1 and 1.0, so a
    body could set a weight or a lease to ``true`` where the embedded API
    refuses a bool. JSON bodies carry typed values, so nothing else is lost.
    """
    if annotation is int:
        return _STRICT_INT
    if annotation is float:
        return _STRICT_FLOAT
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if not args or origin in (typing.Annotated, typing.Literal):
        return annotation
    strict = tuple(_strict_numbers(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[strict]  # noqa: UP007 - built from a tuple
    return origin[strict if len(strict) > 1 else strict[0]]


def _query_annotation(annotation: Any) -> Any:
    """FastAPI reads repeated query parameters into lists, not Sequences."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Sequence or any(
        typing.get_origin(arg) is Sequence for arg in args
    ):
        return list[str] | None
    return annotation


def _endpoint(op: Operation, backend: Any, guard: Guard) -> Any:
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
    permission = op.permission

    def call(request: Request, kwargs: dict[str, Any]) -> Response:
        with acting_as(actor_for(request)):
            result = method(**kwargs)
        return json_response(encode(result))

    def endpoint(request: Request, **kwargs: Any) -> Response:
        body = kwargs.pop("body", None)
        if body is not None:
            kwargs.update({name: getattr(body, name) for name in body_fields})
            for name, entity in entities.items():
                kwargs[name] = [entity(**item.model_dump()) for item in kwargs[name]]
        # On the values just parsed, which are the ones the method gets.
        if permission is not None:
            guard.check(permission, kwargs)
        return call(request, kwargs)

    if permission is not None:
        declare(endpoint, permission)
    endpoint.__signature__ = inspect.Signature(endpoint_params)  # type: ignore[attr-defined]
    endpoint.__name__ = op.name
    endpoint.__doc__ = inspect.getdoc(method)
    return endpoint


class _ResourceRouter(APIRouter):
    """The routes under one resource (``/api/v1/runs``…): ruled out by prefix at once.

    FastAPI tries routes one by one, each with a regular expression, twice per
    request; for a table of 80 operations that was half of a request's time.
    Grouping them by resource makes a request try only its own group's routes.
    """

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._own_prefix = prefix

    def matches(self, scope: Any) -> tuple[Match, MutableMapping[str, Any]]:
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path != self._own_prefix and not path.startswith(self._own_prefix + "/"):
            return Match.NONE, {}
        return super().matches(scope)


def build_routers(backend: Any, guard: Guard) -> list[APIRouter]:
    """The REST API v1, one router per resource, each route a row of the operation table.

    The app includes each router itself: one level of nesting fewer is one
    scan of the routes fewer per request.
    """
    groups: dict[str, APIRouter] = {}
    for op in OPERATIONS:
        resource = API_PREFIX + "/" + op.path.split("/")[1]
        group = groups.setdefault(resource, _ResourceRouter(resource))
        group.add_api_route(
            API_PREFIX + op.path,
            _endpoint(op, backend, guard),
            methods=[op.http_method],
            name=op.name,
            tags=[op.service],
            summary=op.name.replace("_", " "),
        )
    return list(groups.values())
