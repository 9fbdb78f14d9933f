"""Plain ASGI middleware (cheaper per request than Starlette's BaseHTTPMiddleware)."""

from __future__ import annotations

import time
from typing import Any

from modelreg.server.errors import error_response
from modelreg.server.metrics import observe_request

Scope = dict[str, Any]

MAX_JSON_BODY = 16 * 1024 * 1024


class HardeningMiddleware:
    """Adds ``X-Content-Type-Options: nosniff``, refuses oversized JSON bodies (413),
    and records request counts and latency for ``/metrics``."""

    def __init__(self, app: Any, max_body: int = MAX_JSON_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = [500]
        if not scope["path"].startswith("/api/v1/blobs/") and self._too_large(scope):
            response = error_response(
                413, "REQUEST_LIMIT_EXCEEDED", f"request body over {self.max_body} bytes"
            )
            status_holder[0] = 413
            await response(scope, receive, send)
            self._observe(scope, 413, started)
            return

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._observe(scope, status_holder[0], started)

    def _too_large(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value) > self.max_body
                except ValueError:
                    return True
        return False

    @staticmethod
    def _observe(scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        observe_request(scope["method"], template, status, time.perf_counter() - started)
