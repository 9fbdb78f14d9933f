"""Pages of registered models: the searchable list and one model with its versions."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from modelreg.api.route_permissions import USER, on_model
from modelreg.errors import InvalidArgument
from modelreg.filter_text import quote
from modelreg.policy_text import requirements
from modelreg.server.charts import line_chart
from modelreg.server.guard import Guard
from modelreg.server.ui import history
from modelreg.server.ui.session import can, page, redirect

PER_PAGE = 50
MAX_WORDS = 8
KEY_METRICS = 5
SORTS = {"name": "name", "updated": "last_updated_timestamp", "created": "creation_timestamp"}
# Text with any of these is a filter (``name LIKE 'fraud%'``); anything else is plain words.
_FILTER_SYNTAX = re.compile(r"[=<>!'\"`()]|\b(?:I?LIKE|IN|IS)\b", re.IGNORECASE)


def typed_filter(query: str, fields: tuple[str, ...]) -> str | None:
    """The search filter for what a person typed: filter syntax as is; otherwise every word
    must appear (case-insensitively) in one of ``fields``, or name one of the entity's
    tags (a tag's value is found with filter syntax: ``tags.team = 'risk'``)."""
    query = query.strip()
    if not query:
        return None
    if _FILTER_SYNTAX.search(query):
        return query
    words = query.split()[:MAX_WORDS]
    return " AND ".join(
        "("
        + " OR ".join([*(f"{f} ILIKE '%{quote(w)}%'" for f in fields), f"tags.`{w}` LIKE '%'"])
        + ")"
        for w in words
    )


def model_filter(query: str) -> str | None:
    """What a person typed in the models' search box, as a filter of names, descriptions
    and tag names (see :func:`typed_filter`)."""
    return typed_filter(query, ("name", "description"))


def version_filter(name: str) -> str:
    return f"name = '{quote(name)}'"


def _key_metrics(weights: dict[str, float], table: Any) -> list[str]:
    """The scoring metrics; without weights, the first few metrics the versions have."""
    if weights:
        return list(weights)
    return list(table.metrics[:KEY_METRICS]) if table is not None else []


def _trend(table: Any, metrics: list[str]) -> Any:
    """Each key metric across versions, oldest version first."""
    if table is None or len(table) < 2:
        return None
    rows = sorted(table.rows, key=lambda r: r.version)
    series = {
        m: [(r.version, r.metrics[m]) for r in rows if r.metrics.get(m) is not None]
        for m in metrics
    }
    series = {m: points for m, points in series.items() if points}
    return line_chart(series, x_label="version") if series else None


def movable(client: Any, name: str, aliases: Any, can_manage: bool) -> dict[str, Any]:
    """What the viewer may move: which of ``aliases`` (protected ones only for managers),
    and whether the Production stage (when protected, only managers)."""
    protection = client.get_model_protection(name)
    protected = set(protection.protected_aliases)
    return {
        "aliases": [a for a in aliases if can_manage or a not in protected],
        "protected": sorted(protected) if not can_manage else [],
        "production": can_manage or not protection.protect_production,
    }


def build_models_router(client: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    @guard.requires(USER)
    def home(request: Request) -> Response:
        return redirect(request, "/ui/models", 307)

    @router.get("/ui/models")
    @guard.requires(USER)
    def models(
        request: Request,
        q: str = Query("", max_length=8192),
        sort: str = "name",
        order: str = "asc",
        page_token: str = "",
    ) -> HTMLResponse:
        """Models whose name or description holds every word typed (or matching a filter)."""
        if sort not in SORTS or order not in ("asc", "desc"):
            raise InvalidArgument(f"sort by one of {', '.join(SORTS)}, in order asc or desc")
        found = client.search_registered_models(
            model_filter(q),
            max_results=PER_PAGE,
            order_by=[f"{SORTS[sort]} {order.upper()}"],
            page_token=page_token or None,
        )
        paged = bool(page_token)
        return page(request, "models.html", models=found, q=q, sort=sort, order=order, paged=paged)

    @router.get("/ui/models/{name}")
    @guard.requires(on_model("read"))
    def model(
        request: Request,
        name: str,
        page_token: str = "",
        kind: str = "",
        user: str = "",
        history_token: str = "",
    ) -> HTMLResponse:
        """A model: description, versions with scores, metric trend, history."""
        registered = client.get_registered_model(name)
        versions = client.search_model_versions(
            version_filter(name),
            max_results=PER_PAGE,
            order_by=["version DESC"],
            page_token=page_token or None,
        )
        weights = client.get_scoring_weights(name)
        table = client.compare_versions(name, [v.version for v in versions]) if versions else None
        metrics = _key_metrics(weights, table)
        rows = {r.version: r for r in table.rows} if table is not None else {}
        events = history.newest(client, name, None, kind, user, history_token)
        can_manage = can(request, name, "manage")
        return page(
            request,
            "model.html",
            model=registered,
            versions=versions,
            rows=rows,
            metrics=metrics,
            weights=weights,
            trend=_trend(table, metrics),
            history=events,
            kinds=list(history.KINDS),
            kind=kind,
            user=user,
            paged=bool(page_token),
            policy={t: requirements(r) for t, r in client.get_promotion_policy(name).items()},
            can_edit=can(request, name, "edit"),
            movable=movable(client, name, registered.aliases, can_manage),
        )

    return router
