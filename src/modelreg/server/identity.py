"""Who a request acts as (recorded in audit events and as a run's user)."""

from __future__ import annotations

import re

from starlette.requests import Request

from modelreg.services.principal import current_principal

USER_HEADER = "X-Modelreg-User"
_USER_RE = re.compile(r"[\w.@+\- ]{1,64}")


def actor_for(request: Request) -> str:
    """The authenticated user when auth is on; otherwise the user the client names.

    Without auth the header is a claim, not a proof: it labels audit events
    the way MLflow's ``mlflow.user`` tag does, and is validated so it cannot
    smuggle markup or control characters into the trail.
    """
    principal = current_principal()
    if principal is not None and principal.user_id is not None:
        return principal.username
    return claimed_actor(request.headers.get(USER_HEADER))


def claimed_actor(header: str | None) -> str:
    """The user an ``X-Modelreg-User`` header names, if valid; otherwise ``anonymous``."""
    return header if header and _USER_RE.fullmatch(header) else "anonymous"
