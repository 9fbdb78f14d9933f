"""The hottest reads, answered without FastAPI's per-request machinery.

A GET of one experiment, run, registered model, model version or alias is
what serving code and dashboards repeat. Through FastAPI each one spends
about 0.2 ms of CPU in seven middleware layers, routing, dependency solving
and request and response objects: more than the query it runs. This lane
answers those requests straight from the ASGI scope, with the same
permission check, the same JSON, the same error bodies and the same metrics
as the FastAPI route (whose path pattern and declared permission it reuses).
Anything else, including such a GET with a query string, goes on to FastAPI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from modelreg.actor import acting_as
from modelreg.api.operations import OPERATIONS, encode
from modelreg.errors import ModelregError
from modelreg.server.api import json_bytes
from modelreg.server.auth import parse_authorization
from modelreg.server.errors import internal_error_response, modelreg_error_response
from modelreg.server.guard import Guard, iter_routes, permission_of, unauthenticated
from modelreg.server.identity import claimed_actor
from modelreg.server.metrics import observe_request
from modelreg.server.middleware import NOSNIFF
from modelreg.services.principal import ANONYMOUS, NOBODY, set_principal

Scope = MutableMapping[str, Any]
_JSON = (b"content-type", b"application/json")
# A GET that carries a body goes the long way, through the body-size limit.
_BODY_HEADERS = (b"content-length", b"transfer-encoding")
_OTHER_CHECKS = ("public", "metrics", "per-endpoint")


class _Read:
    """One point-read route: its path pattern, declared permission and service method."""

    __slots__ = ("regex", "template", "permission", "method")

    def __init__(self, route: Any, method: Callable[..., Any]) -> None:
        self.regex = route.path_regex
        self.template = route.path
        self.permission = permission_of(route)
        self.method = method


class PointReadLane:
    """Serves the point reads of ``app`` (a FastAPI app built by ``create_app``)."""

    def __init__(self, app: Any, guard: Guard) -> None:
        backend = app.state.backend
        self._guard = guard
        self._auth_enabled = app.state.auth.enabled
        self._access = backend.access
        routes = {getattr(r, "name", None): r for r in iter_routes(app.routes)}
        reads = (
            _Read(routes[op.name], getattr(getattr(backend, op.service), op.name))
            for op in OPERATIONS
            if op.point_read
        )
        # Only reads checked against the resource they name take this lane; a
        # public or per-endpoint declaration keeps the FastAPI route's own handling.
        self._reads = tuple(
            read
            for read in reads
            if read.permission is not None and read.permission.level not in _OTHER_CHECKS
        )

    async def serve(self, scope: Scope, send: Any) -> bool:
        """Answers the request if it is a point read; ``False`` leaves it to the app."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            return False
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for read in self._reads:
            match = read.regex.match(path)
            if match is not None:
                break
        else:
            return False
        authorization = user = None
        for name, value in scope["headers"]:
            if name in _BODY_HEADERS:
                return False
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"x-modelreg-user":
                user = value.decode("latin-1")
        started = time.perf_counter()
        try:
            result = await self._call(read, match.groupdict(), authorization, user)
            status, body = 200, json_bytes(encode(result))
            headers = [_JSON, (b"content-length", str(len(body)).encode())]
        except Exception as exc:
            if isinstance(exc, ModelregError):
                response = modelreg_error_response(exc)
            else:
                response = internal_error_response(exc)
            status, body, headers = response.status_code, response.body, response.raw_headers
        await send(
            {"type": "http.response.start", "status": status, "headers": [*headers, NOSNIFF]}
        )
        await send({"type": "http.response.body", "body": body})
        observe_request("GET", read.template, status, time.perf_counter() - started)
        return True

    async def _call(
        self, read: _Read, values: dict[str, str], authorization: str | None, user: str | None
    ) -> Any:
        if self._auth_enabled:
            set_principal(NOBODY)
            credentials = parse_authorization(authorization)
            if credentials is None:
                raise unauthenticated()
            principal = await run_in_threadpool(self._check, credentials, read, values)
            set_principal(principal)
            actor = principal.username
        else:
            set_principal(ANONYMOUS)
            actor = claimed_actor(user)
        with acting_as(actor):
            return read.method(**values)

    def _check(self, credentials: tuple[str, str | None], read: _Read, values: dict) -> Any:
        """The caller the credentials prove, if they may make the read (in a worker thread)."""
        principal = self._access.authenticate(*credentials)
        set_principal(principal)  # in this thread's copy of the context, for the check
        assert read.permission is not None  # only declared reads take this lane
        self._guard.check(read.permission, values)
        return principal
