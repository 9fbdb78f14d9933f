"""The table of MLflow endpoints: ``(method, path)`` → handler, filled by ``@endpoint``.

A handler takes the backend and the request's parameters (query string, JSON
body and the values of ``{…}`` parts of the path, merged) and returns the
response's JSON object, or ``None`` for ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, dict[str, Any]], Any]
HANDLERS: dict[tuple[str, str], Handler] = {}


def endpoint(method: str, path: str) -> Callable[[Handler], Handler]:
    """Registers the decorated function as the handler of ``method path``."""

    def register(handler: Handler) -> Handler:
        HANDLERS[(method, path)] = handler
        return handler

    return register
