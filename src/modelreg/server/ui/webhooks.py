"""Webhooks for admins: each one's subscription and what it was sent lately, and how that went."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelreg.api.route_permissions import ADMIN
from modelreg.server.guard import Guard
from modelreg.server.ui.session import page

DELIVERIES_SHOWN = 50


def build_webhooks_router(client: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui/webhooks")
    @guard.requires(ADMIN)
    def webhooks(request: Request) -> HTMLResponse:
        return page(request, "webhooks.html", hooks=client.list_webhooks())

    @router.get("/ui/webhooks/{webhook_id}")
    @guard.requires(ADMIN)
    def webhook(request: Request, webhook_id: str) -> HTMLResponse:
        hook = client.get_webhook(webhook_id)
        deliveries = client.list_webhook_deliveries(webhook_id, DELIVERIES_SHOWN)
        return page(request, "webhook.html", hook=hook, deliveries=deliveries)

    return router
