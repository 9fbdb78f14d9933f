"""Cross-site request forgery: a page on another site must not change anything here.

A browser that holds credentials for this server (basic auth, or a server
without ``--auth`` on the user's own machine) sends them with any request a
page on another site makes it send. Such a page can send a ``<form>`` (URL
encoded, multipart or ``text/plain``) or a "simple" ``fetch``, but nothing
with another ``Content-Type`` and no ``PUT``/``PATCH``/``DELETE`` without
the server's consent (CORS, which this server never gives). So
:class:`CrossSiteMiddleware`, on every request that may change something
(any method but GET, HEAD and OPTIONS):

- refuses it when the browser says it comes from another site
  (``Sec-Fetch-Site`` other than ``same-origin``/``none``, or an ``Origin``
  whose host is not this server's), with 403;
- on the APIs, refuses a body not declared as JSON (``application/json`` or
  ``…+json``, in any case) with 415, and a body without a ``Content-Type``.

Byte uploads (blobs, MLflow artifacts) take any body and are ``PUT``
requests, which no page on another site can send. The web UI's own forms
carry a CSRF token besides (``server.ui.session``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from modelreg.server.middleware import NOSNIFF, STREAMING_PREFIXES

Scope = dict[str, Any]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIXES = ("/api/",)


def is_json(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` names JSON: ``application/json`` or ``…+json``, any case,
    with or without parameters."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _headers(scope: Scope) -> dict[bytes, str]:
    return {name: value.decode("latin-1") for name, value in scope["headers"]}


def cross_site(headers: dict[bytes, str]) -> bool:
    """Whether the browser that sent these headers says the request comes from another site."""
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False  # not a browser, or a same-origin GET-like request
    hosts = {headers.get(b"host", "").lower(), headers.get(b"x-forwarded-host", "").lower()}
    return urlsplit(origin.strip()).netloc.lower() not in hosts - {""}


def _body_problem(scope: Scope, headers: dict[bytes, str]) -> str | None:
    path = scope["path"]
    if not path.startswith(API_PREFIXES) or path.startswith(STREAMING_PREFIXES):
        return None
    content_type = headers.get(b"content-type")
    if content_type is not None:
        return None if is_json(content_type) else f"a body of type '{content_type[:100]}'"
    has_body = b"transfer-encoding" in headers or headers.get(b"content-length", "0") != "0"
    return "a body without a Content-Type" if has_body else None


class CrossSiteMiddleware:
    """See the module docstring."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if cross_site(headers):
            message = "a request from another site may not change anything on this server"
            await _refuse(send, 403, "PERMISSION_DENIED", message)
            return
        problem = _body_problem(scope, headers)
        if problem is not None:
            message = f"this API takes JSON (Content-Type: application/json), not {problem}"
            await _refuse(send, 415, "INVALID_PARAMETER_VALUE", message)
            return
        await self.app(scope, receive, send)


async def _refuse(send: Any, status: int, error_code: str, message: str) -> None:
    body = json.dumps({"error_code": error_code, "message": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the body is not read
        NOSNIFF,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
