"""The table of MLflow endpoints: ``(method, path)`` → handler and permission, filled by
``@endpoint`` where each handler is defined.

A handler takes the backend and the request's parameters (query string, JSON
body and the values of ``{…}`` parts of the path, merged) and returns the
response's JSON object, or ``None`` for ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelreg.api.route_permissions import Permission

Handler = Callable[[Any, dict[str, Any]], Any]
HANDLERS: dict[tuple[str, str], Handler] = {}
PERMISSIONS: dict[tuple[str, str], Permission] = {}
# MLflow names a run ``run_id`` or (older clients) ``run_uuid``: the first one given.
RUN = "run_id|run_uuid"


def endpoint(method: str, path: str, permission: Permission) -> Callable[[Handler], Handler]:
    """Registers the decorated function as the handler of ``method path``, and what its
    caller needs (checked on the parameters the handler gets, before it runs)."""

    def register(handler: Handler) -> Handler:
        HANDLERS[(method, path)] = handler
        PERMISSIONS[(method, path)] = permission
        return handler

    return register
