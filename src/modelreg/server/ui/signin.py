"""Signing in to the UI with an API token, and signing out."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from modelreg.api.route_permissions import PUBLIC
from modelreg.errors import Unauthenticated
from modelreg.server.guard import Guard
from modelreg.server.ui.session import (
    SESSION_COOKIE,
    page,
    read_form,
    redirect,
    safe_next,
    set_csrf_cookie,
    set_session_cookie,
)


def build_signin_router(backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui/sign-in")
    @guard.requires(PUBLIC)
    def sign_in_form(request: Request, next: str = "") -> HTMLResponse:
        """The sign-in form: paste an API token (``modelreg tokens create`` makes one)."""
        return page(request, "sign_in.html", next=safe_next(next), problem=None)

    @router.post("/ui/sign-in")
    @guard.requires(PUBLIC)
    async def sign_in(request: Request) -> Response:
        """Checks the token and keeps it in an HttpOnly session cookie."""
        form = await read_form(request)
        token = form.get("token", "").strip()
        target = safe_next(form.get("next"))
        try:
            await run_in_threadpool(backend.access.authenticate, token)
        except Unauthenticated as exc:
            return page(request, "sign_in.html", 401, next=target, problem=exc.message)
        response = redirect(request, target)
        set_session_cookie(request, response, token)
        # A new CSRF token with the new session: one planted before sign-in is worthless.
        set_csrf_cookie(request, response, secrets.token_urlsafe(32))
        return response

    @router.post("/ui/sign-out")
    @guard.requires(PUBLIC)
    async def sign_out(request: Request) -> Response:
        """Forgets the session cookie."""
        await read_form(request)
        response = redirect(request, "/ui/sign-in")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
