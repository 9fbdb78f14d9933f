"""The web UI: server-rendered HTML (Jinja2, autoescaped) over the same ``Client``.

Pages: models (search as you type, sortable, paged), a model (versions with
scores and ranks, metric trend, Markdown description, readable history), a
version (card, signature table, files with previews and downloads, lineage
drawn as a graph, tags, history), version and run comparisons, experiments,
runs, MLflow 3's logged models, the audit trail, webhooks with their recent deliveries and the API
reference. Actions (stage, alias, rollback, descriptions, tags, card) are
forms with a CSRF token, checked like the API.

Every page reads without JavaScript; ``static/ui.js`` (no inline script, so a
strict Content-Security-Policy holds) only adds search as you type and
confirmations. Each route declares its permission next to it (``guard.requires``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelreg.server.guard import Guard
from modelreg.server.ui.rendering import render

__all__ = ["build_ui_router", "render"]


def build_ui_router(backend: Any, guard: Guard) -> APIRouter:
    """Every page and action of the UI, over ``backend``."""
    from modelreg.client import Client
    from modelreg.server.ui.actions import build_actions_router
    from modelreg.server.ui.assets import build_assets_router
    from modelreg.server.ui.audit import build_audit_router
    from modelreg.server.ui.compare import build_compare_router
    from modelreg.server.ui.logged_models import build_logged_models_router
    from modelreg.server.ui.models import build_models_router
    from modelreg.server.ui.signin import build_signin_router
    from modelreg.server.ui.tracking import build_tracking_router
    from modelreg.server.ui.tracking_actions import build_tracking_actions_router
    from modelreg.server.ui.versions import build_versions_router
    from modelreg.server.ui.webhooks import build_webhooks_router

    client = Client.from_backend(backend)
    router = APIRouter(include_in_schema=False)
    for part in (
        build_assets_router(guard),
        build_signin_router(backend, guard),
        build_models_router(client, guard),
        build_compare_router(client, guard),
        build_versions_router(client, backend, guard),
        build_actions_router(client, guard),
        build_tracking_router(client, backend, guard),
        build_logged_models_router(client, backend, guard),
        build_tracking_actions_router(client, guard),
        build_audit_router(client, guard),
        build_webhooks_router(client, guard),
    ):
        router.include_router(part)
    return router
