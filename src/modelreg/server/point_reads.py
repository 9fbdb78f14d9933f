"""The hottest reads, answered without FastAPI's routing and request objects.

A GET of one experiment, run, registered model, model version or alias is
what serving code and dashboards repeat. Through FastAPI each one spends
more CPU in routing, dependency solving and request and response objects
than in the query it runs. :class:`PointReadMiddleware` answers those
requests from the ASGI scope, with the same permission check, the same JSON
and the same error bodies as the FastAPI route (whose path pattern and
declared permission it reuses). It is an ordinary middleware, added first,
so every other layer (authentication, cross-site checks, limits, metrics,
the access log) wraps it as it wraps the routes. The read runs in a worker
thread, like every blocking call, so a slow database holds that thread, not
the event loop. Anything else, including such a GET with a query string,
goes on to FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from modelreg.actor import acting_as
from modelreg.api.operations import OPERATIONS, encode
from modelreg.errors import ModelregError
from modelreg.server.api import json_bytes
from modelreg.server.errors import internal_error_response, modelreg_error_response
from modelreg.server.guard import Guard, iter_routes, permission_of
from modelreg.server.identity import USER_HEADER, actor

Scope = dict[str, Any]
_JSON = (b"content-type", b"application/json")
_USER_HEADER = USER_HEADER.lower().encode()


class _Read:
    """One point-read route: the route, its declared permission and service method."""

    __slots__ = ("route", "regex", "permission", "method")

    def __init__(self, route: Any, method: Callable[..., Any]) -> None:
        self.route = route
        self.regex = route.path_regex
        self.permission = permission_of(route)
        self.method = method


class PointReadMiddleware:
    """Serves the point reads of ``fastapi_app`` (built by ``create_app``) itself."""

    def __init__(self, app: Any, fastapi_app: Any, guard: Guard) -> None:
        self.app = app
        self._fastapi_app = fastapi_app
        self._guard = guard
        self._reads: tuple[_Read, ...] | None = None

    def _point_reads(self) -> tuple[_Read, ...]:
        if self._reads is None:
            backend = self._fastapi_app.state.backend
            routes = {getattr(r, "name", None): r for r in iter_routes(self._fastapi_app.routes)}
            self._reads = tuple(
                _Read(routes[op.name], getattr(getattr(backend, op.service), op.name))
                for op in OPERATIONS
                if op.point_read
            )
        return self._reads

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for read in self._point_reads():
            match = read.regex.match(path)
            if match is not None:
                break
        else:
            await self.app(scope, receive, send)
            return
        user = None
        for name, value in scope["headers"]:
            if name == _USER_HEADER:
                user = value.decode("latin-1")
        scope["route"] = read.route  # for the metrics, as a routed request has it
        try:
            result = await run_in_threadpool(self._read, read, match.groupdict(), user)
            status, body = 200, json_bytes(encode(result))
            headers = [_JSON, (b"content-length", str(len(body)).encode())]
        except Exception as exc:
            if isinstance(exc, ModelregError):
                response = modelreg_error_response(exc)
            else:
                response = internal_error_response(exc)
            status, body, headers = response.status_code, response.body, response.raw_headers
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _read(self, read: _Read, values: dict[str, str], user: str | None) -> Any:
        """The checked read, in a worker thread."""
        if read.permission is not None:
            self._guard.check(read.permission, values)
        with acting_as(actor(user)):
            return read.method(**values)
