"""Serving under a path prefix: ``modelreg server --root-path /modelreg`` behind a proxy
that publishes the server at ``https://tools.example.com/modelreg/``.

Proxies either strip the prefix before passing a request on or keep it; both work.
The middleware, outermost of all, takes the prefix off a path that has it and names
it as the ASGI ``root_path``, so routes, permission checks and the other middleware
see the paths they always see (``/api/…``, ``/ui/…``), while the web UI writes every
link, form and redirect under the prefix.
"""

from __future__ import annotations

import re
from typing import Any

from modelreg.errors import InvalidArgument

# The first segments of the server's own paths: a prefix starting with one would be
# taken for them.
_OWN = ("api", "ui", "health", "metrics")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]{1,100}")


def check_root_path(value: str | None) -> str:
    """``value`` as a prefix (``/modelreg``, ``/tools/registry``), or ``""`` for none.

    Raises ``InvalidArgument`` for one that is not a plain absolute path, or that
    begins like a path of the server itself (``/api``, ``/ui``)."""
    text = (value or "").strip()
    if text in ("", "/"):
        return ""
    segments = text.strip("/").split("/")
    if not text.startswith("/") or len(segments) > 8:
        raise InvalidArgument(f"root path '{text[:100]}' must be an absolute path like /modelreg")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise InvalidArgument(
                f"root path '{text[:100]}' may hold only letters, digits and . _ ~ - "
                "between its slashes"
            )
    if segments[0] in _OWN:
        raise InvalidArgument(f"root path '{text[:100]}' would hide the server's /{segments[0]}")
    return "/" + "/".join(segments)


class RootPathMiddleware:
    """Takes ``root`` off the request's path when the proxy kept it, and sets it as the
    ASGI ``root_path`` (see the module's docstring)."""

    def __init__(self, app: Any, root: str) -> None:
        self.app = app
        self.root = root
        self._raw_root = root.encode("ascii")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope)
            path = scope["path"]
            if path == self.root or path.startswith(self.root + "/"):
                scope["path"] = path[len(self.root) :] or "/"
                raw = scope.get("raw_path")
                if raw is not None and raw.startswith(self._raw_root):
                    scope["raw_path"] = raw[len(self._raw_root) :] or b"/"
            scope["root_path"] = self.root
        await self.app(scope, receive, send)
