"""Authentication: who the caller is, settled before anything of the request is read.

With ``--auth``, :class:`AuthenticationMiddleware` takes the API token from
``Authorization: Bearer <token>`` or from HTTP basic auth (the token is the
password), or on web UI pages from the session cookie of a signed-in browser
(``server.ui.session``), and resolves it to a :class:`~modelreg.services.principal.Principal`
before the body is received or the path is parsed: a request without valid
credentials is answered 401 at once, unless it is for a public route
(``/health``, and ``/metrics`` with ``--public-metrics``). What the caller
may then do is checked by each route on its parsed request
(:mod:`modelreg.server.guard`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from modelreg.errors import ModelregError, Unauthenticated
from modelreg.server.errors import modelreg_error_response
from modelreg.server.guard import iter_routes, permission_of, unauthenticated
from modelreg.services.principal import ANONYMOUS, NOBODY, set_principal


@dataclass(frozen=True)
class AuthConfig:
    """``enabled``: ``--auth``; ``public_metrics``: ``/metrics`` without credentials."""

    enabled: bool = False
    public_metrics: bool = False


def parse_authorization(header: str | None) -> tuple[str, str | None] | None:
    """``(token, basic-auth username or None)`` from an Authorization header; ``None`` if absent.

    Raises ``Unauthenticated`` for a header in another scheme or malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value, None
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise Unauthenticated("the basic auth credentials are not valid base64") from None
        username, sep, password = decoded.partition(":")
        if sep and password:
            return password, username
    raise Unauthenticated(
        "the Authorization header must be 'Bearer <token>', or basic auth with the API "
        "token as the password"
    )


def public_paths(routes: Any, config: AuthConfig) -> frozenset[str]:
    """The paths anyone may request without credentials (they take no path parameters)."""
    public = {"public", "metrics"} if config.public_metrics else {"public"}
    return frozenset(
        route.path
        for route in iter_routes(routes)
        if (permission := permission_of(route)) is not None and permission.level in public
    )


def ui_session(scope: dict[str, Any]) -> tuple[str, None] | None:
    """The token of a browser signed in to the web UI (its session cookie), on UI pages."""
    from modelreg.server.ui.session import session_token

    token = session_token(Request(scope))
    return None if token is None else (token, None)


class AuthenticationMiddleware:
    """Sets the caller of each request: anonymous without ``--auth``; with it, the owner of
    the request's API token (401 before anything else when it is missing or not valid), or
    nobody on a public route."""

    def __init__(
        self, app: Any, access: Any, enabled: bool, public: Callable[[], frozenset[str]]
    ) -> None:
        self.app = app
        self.access = access
        self.enabled = enabled
        self._public = public
        self._public_paths: frozenset[str] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.enabled:
            set_principal(ANONYMOUS)
            await self.app(scope, receive, send)
            return
        set_principal(NOBODY)
        try:
            await self._authenticate(scope)
        except ModelregError as exc:
            response = modelreg_error_response(exc, Request(scope))
            response.headers["Connection"] = "close"  # the body, if any, is not read
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: dict[str, Any]) -> None:
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        credentials = parse_authorization(header) or ui_session(scope)
        if credentials is not None:
            set_principal(await run_in_threadpool(self.access.authenticate, *credentials))
            return
        if self._public_paths is None:
            self._public_paths = self._public()
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path not in self._public_paths:
            raise unauthenticated()
