"""Authentication and the one place every route's permission is checked.

:func:`authorize` is a dependency of the whole app, so it runs before every
route. It reads the route's :class:`~modelreg.route_permissions.Permission`
(attached as ``openapi_extra``), takes the caller's API token from
``Authorization: Bearer <token>`` or from HTTP basic auth (the token is the
password), resolves the resource the request names with one indexed query
and refuses the request (401 or 403) before the route runs. It then records
the caller for the services (``services.access.current_principal``) and for
the audit trail (``request.state.user``).

The request values it resolves are read exactly as the route reads them:
path parameters from the path, the JSON body for POST/PUT/PATCH and the
query string otherwise (the MLflow-compatible routes, which merge both, are
read with their own parser), so the check and the route see the same names.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from modelreg.errors import PermissionDenied, Unauthenticated
from modelreg.route_permissions import OPENAPI_KEY, Permission
from modelreg.server.mlflow_routes import request_params
from modelreg.services.access import ANONYMOUS, NOBODY, Principal, set_principal

WWW_AUTHENTICATE = 'Bearer realm="modelreg", Basic realm="modelreg"'
_BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class AuthConfig:
    """``enabled``: ``--auth``; ``public_metrics``: ``/metrics`` without credentials."""

    enabled: bool = False
    public_metrics: bool = False


def parse_authorization(header: str | None) -> tuple[str, str | None] | None:
    """``(token, basic-auth username or None)`` from an Authorization header; ``None`` if absent.

    Raises ``Unauthenticated`` for a header in another scheme or malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value, None
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise Unauthenticated("the basic auth credentials are not valid base64") from None
        username, sep, password = decoded.partition(":")
        if sep and password:
            return password, username
    raise Unauthenticated(
        "the Authorization header must be 'Bearer <token>', or basic auth with the API "
        "token as the password"
    )


def permission_of(route: Any) -> Permission | None:
    """The permission a route declares, or ``None``."""
    data = (getattr(route, "openapi_extra", None) or {}).get(OPENAPI_KEY)
    return None if data is None else Permission.from_dict(data)


def _params_named(permission: Permission) -> set[str]:
    params = [permission.param, *(param for _, param in permission.also_read)]
    return {name for param in params for name in param.split("|") if name}


async def _request_values(request: Request, permission: Permission) -> dict[str, Any]:
    values: dict[str, Any] = dict(request.path_params)
    wanted = _params_named(permission) - values.keys()
    if not wanted:
        return values
    if request.method in _BODY_METHODS:
        if "json" not in request.headers.get("content-type", ""):
            return values  # the route refuses a body it cannot read as JSON
        try:
            body = json.loads(await request.body())
        except ValueError:
            return values
        if isinstance(body, dict):
            values.update({k: body[k] for k in wanted if k in body})
    else:
        values.update({k: request.query_params[k] for k in wanted if k in request.query_params})
    return values


async def _resolve(request: Request, permission: Permission) -> tuple[Permission, dict[str, Any]]:
    """The permission to check and the values it names, for routes that refine them."""
    if permission.level == "per-endpoint":
        from modelreg.server.declarations import mlflow_endpoint_permission

        permission = mlflow_endpoint_permission(request.method, request.path_params["path"])
        return permission, await request_params(request)
    values = await _request_values(request, permission)
    if permission.resource == "mlflow_artifact":
        from modelreg.server.declarations import mlflow_artifact_owner

        resource, value = mlflow_artifact_owner(values.get(permission.param) or "")
        param = {"run": "run_id", "logged_model": "model_id"}.get(resource, "name")
        return Permission(permission.level, resource, param), {param: value}
    return permission, values


async def authorize(request: Request) -> None:
    """Refuses the request unless the caller may use the route (a FastAPI dependency)."""
    config: AuthConfig = request.app.state.auth
    if not config.enabled:
        set_principal(ANONYMOUS)
        return
    set_principal(NOBODY)
    permission = permission_of(request.scope.get("route"))
    if permission is None:
        raise PermissionDenied("this route declares no permission, so the server refuses it")
    if permission.level == "public" or (permission.level == "metrics" and config.public_metrics):
        return
    credentials = _credentials(request.headers.get("authorization"))
    permission, values = await _resolve(request, permission)
    access = request.app.state.backend.access
    principal = await run_in_threadpool(_check, access, credentials, permission, values)
    set_principal(principal)
    request.state.user = principal.username


def check_credentials(
    access: Any, authorization: str | None, permission: Permission, values: dict
) -> Principal:
    """The caller an Authorization header proves, if they hold ``permission`` on ``values``.

    Raises ``Unauthenticated`` (401) or ``PermissionDenied`` (403); it queries
    the database, so call it from a worker thread."""
    return _check(access, _credentials(authorization), permission, values)


def _credentials(authorization: str | None) -> tuple[str, str | None]:
    credentials = parse_authorization(authorization)
    if credentials is None:
        raise Unauthenticated(
            "this server needs an API token: send 'Authorization: Bearer <token>' or use "
            "basic auth with the token as the password (MODELREG_TRACKING_TOKEN for modelreg)"
        )
    return credentials


def _check(
    access: Any, credentials: tuple[str, str | None], permission: Permission, values: dict
) -> Principal:
    principal = access.authenticate(*credentials)
    access.authorize(principal, permission, values)
    return principal


class DefaultPrincipalMiddleware:
    """Starts every request as nobody (auth on) or anonymous (auth off).

    ``authorize`` replaces it on every declared route; anything that ever ran
    without it would hold no role at all rather than every role."""

    def __init__(self, app: Any, enabled: bool) -> None:
        self.app = app
        self.principal = NOBODY if enabled else ANONYMOUS

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            set_principal(self.principal)
        await self.app(scope, receive, send)
