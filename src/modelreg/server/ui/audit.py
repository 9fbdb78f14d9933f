"""The audit trail for admins: every event, narrowed by entity, user, action and time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelreg.api.route_permissions import ADMIN
from modelreg.errors import InvalidArgument
from modelreg.server.guard import Guard
from modelreg.server.ui.history import sentence
from modelreg.server.ui.session import page
from modelreg.services.access import ENTITY_TYPES

PER_PAGE = 200


def _day(text: str, field: str) -> int | None:
    """Milliseconds at the start of a ``YYYY-MM-DD`` day (UTC)."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidArgument(f"{field} must be a date like 2026-01-31") from None
    return int(day.timestamp() * 1000)


def build_audit_router(client: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui/audit")
    @guard.requires(ADMIN)
    def audit(
        request: Request,
        entity_type: str = "",
        entity: str = "",
        user: str = "",
        action: str = "",
        since: str = "",
        until: str = "",
        page_token: str = "",
    ) -> HTMLResponse:
        """Events oldest first; entity, user and paging by the store, action and days on
        the page."""
        start, end = _day(since, "since"), _day(until, "until")
        events = client.get_audit_events(
            entity_type or None,
            entity or None,
            user or None,
            max_results=PER_PAGE,
            page_token=page_token or None,
        )
        shown = [
            e
            for e in events
            if (not action or action in e.action)
            and (start is None or e.timestamp >= start)
            and (end is None or e.timestamp < end + 86_400_000)
        ]
        return page(
            request,
            "audit.html",
            events=shown,
            sentence=sentence,
            token=events.token,
            entity_types=ENTITY_TYPES,
            form={
                "entity_type": entity_type,
                "entity": entity,
                "user": user,
                "action": action,
                "since": since,
                "until": until,
            },
        )

    return router
