"""The request log of ``modelreg server --access-log``: one line per request.

``GET /api/v1/registered-models/m 200 1.4ms alice``: method, path, status,
milliseconds and the user (the authenticated one with ``--auth``, otherwise
the one ``X-Modelreg-User`` names, or ``anonymous``). The query string is
left out: it may carry filters with names in them, and it is not needed to
follow the traffic. It wraps every other layer, so refusals (401, 403, 413,
415) are logged too.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from modelreg.server.identity import USER_HEADER, claimed_actor
from modelreg.services.principal import current_principal

log = logging.getLogger("modelreg.server.access")
_USER_HEADER = USER_HEADER.lower().encode()


def enable_access_log() -> None:
    """Sends the request log to standard error, whatever the server's log level."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


class AccessLogMiddleware:
    """Logs each HTTP request once its answer has started."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def noting_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %d %.1fms %s", scope["method"], scope["path"], status, elapsed, _user(scope)
            )


def _user(scope: dict[str, Any]) -> str:
    # The inner layers set the caller in this task's context before the answer.
    principal = current_principal()
    if principal is not None and principal.user_id is not None:
        return principal.username
    for name, value in scope["headers"]:
        if name == _USER_HEADER:
            return claimed_actor(value.decode("latin-1"))
    return "anonymous"
