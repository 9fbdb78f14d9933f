"""Plain ASGI middleware (cheaper per request than Starlette's BaseHTTPMiddleware)."""

from __future__ import annotations

import json
import time
from typing import Any

from modelreg.server.metrics import observe_request

Scope = dict[str, Any]

MAX_JSON_BODY = 16 * 1024 * 1024
# Routes that stream artifact bytes of any size; every other body is capped.
STREAMING_PREFIXES = ("/api/v1/blobs/", "/api/2.0/mlflow-artifacts/artifacts/")
NOSNIFF = (b"x-content-type-options", b"nosniff")


class HardeningMiddleware:
    """Adds ``X-Content-Type-Options: nosniff`` to every response, refuses bodies over
    ``max_body`` bytes with 413 (whether announced by ``Content-Length`` or sent
    chunked), and records request counts and latency for ``/metrics``."""

    def __init__(self, app: Any, max_body: int = MAX_JSON_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = [500]
        limited = not scope["path"].startswith(STREAMING_PREFIXES)
        if limited and self._announced_too_large(scope):
            status_holder[0] = 413
            await self._refuse(send)
            self._observe(scope, 413, started)
            return
        received = 0
        over_limit = response_started = replaced = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal received, over_limit
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    # The app sees the client go away; its answer is replaced by a 413.
                    over_limit = True
                    return {"type": "http.disconnect"}
            return message

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal response_started, replaced
            if replaced:
                return  # the rest of the app's answer, already replaced by the 413
            if over_limit and not response_started:
                if message["type"] == "http.response.start":
                    replaced = response_started = True
                    status_holder[0] = 413
                    await self._refuse(send)
                return
            if message["type"] == "http.response.start":
                response_started = True
                status_holder[0] = message["status"]
                message["headers"] = [*message.get("headers", ()), NOSNIFF]
            await send(message)

        try:
            await self.app(scope, counting_receive if limited else receive, send_wrapper)
        except Exception:
            if not over_limit or response_started:
                raise  # a 500, answered by the app's outermost handler (server.errors)
            status_holder[0] = 413
            await self._refuse(send)
        finally:
            self._observe(scope, status_holder[0], started)

    def _announced_too_large(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value) > self.max_body
                except ValueError:
                    return True
        return False

    async def _refuse(self, send: Any) -> None:
        message = f"request body over {self.max_body} bytes"
        await _send_json(send, 413, "REQUEST_LIMIT_EXCEEDED", message, close=True)

    @staticmethod
    def _observe(scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        observe_request(scope["method"], template, status, time.perf_counter() - started)


async def _send_json(
    send: Any, status: int, error_code: str, message: str, *, close: bool = False
) -> None:
    """An error answer in the shape every other error has, with nosniff."""
    body = json.dumps({"error_code": error_code, "message": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        NOSNIFF,
    ]
    if close:  # the rest of the body may still be on its way: do not read it
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
