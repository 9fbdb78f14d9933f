"""Who is using the UI: the sign-in cookie, the CSRF token of forms, what the viewer may do.

Signing in exchanges an API token for a session cookie (``HttpOnly``,
``SameSite=Lax``, ``Secure`` over HTTPS) that the server reads on ``/ui``
paths only, as if the browser had sent ``Authorization: Bearer <token>``:
the REST API never accepts it, so no other site can drive the API through
a signed-in browser.

Every form carries a CSRF token: a random value the server also sets as a
``SameSite=Strict`` cookie, and compares with the form's field on each POST
(double submit). A page from another site can neither read the cookie nor
have it sent, so it cannot forge a form that passes. With auth off the
same check applies; actions then run as the local user.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from modelreg.api.route_permissions import Permission, on_model
from modelreg.errors import InvalidArgument, NotFound, PayloadTooLarge, PermissionDenied
from modelreg.server.ui.rendering import render
from modelreg.services.principal import NOBODY, current_principal

SESSION_COOKIE = "modelreg_session"
CSRF_COOKIE = "modelreg_csrf"
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 256 * 1024
SESSION_SECONDS = 12 * 3600
# Public pages never read the session: an expired one must not stand in the way of signing in.
ANYONE = ("/ui/sign-in", "/ui/sign-out", "/ui/static/")


def ui_path(path: str) -> bool:
    """Whether ``path`` is a page of the web UI (where the session cookie counts)."""
    return path == "/" or path == "/ui" or path.startswith("/ui/")


def session_token(request: Request) -> str | None:
    """The API token a signed-in browser's cookie holds, on UI paths only."""
    token = request.cookies.get(SESSION_COOKIE)
    path = request.url.path
    if not token or not ui_path(path) or path.startswith(ANYONE):
        return None
    return token


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_csrf_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def viewer(request: Request) -> dict[str, Any]:
    """What the page header shows: whether auth is on, who is signed in, and whether they
    are an admin (the audit trail is theirs alone: without auth, nobody is one)."""
    auth = request.app.state.auth.enabled
    principal = current_principal()
    if not auth or principal is None or principal.user_id in (None, NOBODY.user_id):
        return {"auth": auth, "user": None, "admin": False}
    return {"auth": auth, "user": principal.username, "admin": principal.is_admin}


def root_of(request: Request) -> str:
    """The path a proxy publishes the server under (``server.root_path``), or ``""``: every
    link, form and redirect of the UI starts with it."""
    return str(request.scope.get("root_path", ""))


def redirect(request: Request, target: str, status_code: int = 303) -> RedirectResponse:
    """A redirect to ``target``, a path of the UI (``/ui/models``), under the root path."""
    return RedirectResponse(root_of(request) + target, status_code=status_code)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with the viewer and a CSRF token for its forms (the cookie set when new)."""
    token = request.cookies.get(CSRF_COOKIE) or ""
    fresh = len(token) < 32
    if fresh:
        token = secrets.token_urlsafe(32)
    response = render(
        template,
        status_code,
        csrf=token,
        viewer=viewer(request),
        path=request.url.path,
        root=root_of(request),
        **context,
    )
    if fresh:
        set_csrf_cookie(request, response, token)
    # What a signed-in user sees (and the page's CSRF token) stays out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a submitted form, after checking its CSRF token.

    Raises ``PermissionDenied`` for a missing or wrong token, ``InvalidArgument``
    for a body that is not a URL-encoded form."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise InvalidArgument("the form must be sent as application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"a form may hold at most {MAX_FORM_BYTES} bytes")
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise InvalidArgument("the form is not UTF-8") from None
    expected = request.cookies.get(CSRF_COOKIE) or ""
    given = fields.pop(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDenied(
            "the form's CSRF token is missing or does not match; reload the page and try again"
        )
    return fields


def allowed(request: Request, permission: Permission, values: dict[str, Any]) -> bool:
    """Whether the viewer holds ``permission`` on what ``values`` name (always, auth off).

    Routes are checked before they run; a page that shows more than its route's
    resource (the runs behind compared versions) checks each with this."""
    if not request.app.state.auth.enabled:
        return True
    principal = current_principal()
    if principal is None or principal.user_id in (None, NOBODY.user_id):
        return False
    try:
        request.app.state.backend.access.authorize(principal, permission, values)
    except (PermissionDenied, NotFound):
        return False
    return True


def can(request: Request, name: str, level: str) -> bool:
    """Whether the viewer holds ``level`` (edit, manage) on model ``name``: buttons show only
    then (the routes check again)."""
    return allowed(request, on_model(level), {"name": name})


def safe_next(target: str | None) -> str:
    """A place to return to after signing in: a UI path of this server, never another site."""
    if target and target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/models"
