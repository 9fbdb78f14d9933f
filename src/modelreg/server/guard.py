"""The permission check of every route, run on the values the route itself parsed.

A route declares what it needs once, where it is defined: ``@guard.requires(p)``
on a hand-written route, the ``permission`` of an operation row for the REST
API v1 (``modelreg.api.operations``), and the ``permission`` of each
MLflow-compatible endpoint. The check runs inside the route, after FastAPI
(or the MLflow parser) has read and validated the request, on exactly the
path, query and body values the handler is about to use: there is no second
reading of the raw body that could see something else (an odd
``Content-Type`` spelling, a duplicated key).

Who the caller is was settled before (``server.auth.AuthenticationMiddleware``,
before any body is read); here only their roles are checked.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import pydantic
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from modelreg.api.route_permissions import PER_ENDPOINT, Permission
from modelreg.errors import NotFound, PermissionDenied, Unauthenticated
from modelreg.services.principal import NOBODY, current_principal

F = TypeVar("F", bound=Callable[..., Any])

# The attribute of an endpoint function holding its declaration.
PERMISSION_ATTRIBUTE = "modelreg_permission"


def permission_of(route: Any) -> Permission | None:
    """The permission a route declares, or ``None``."""
    return getattr(getattr(route, "endpoint", None), PERMISSION_ATTRIBUTE, None)


def iter_routes(routes: Any) -> Iterator[Any]:
    """Every route an app serves, routers included by ``include_router`` flattened.

    FastAPI 0.165+ keeps an included router as one entry whose routes are
    built lazily (``effective_candidates``); older versions copy its routes.
    """
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            yield from iter_routes(candidates())
        else:
            yield route


def unauthenticated() -> Unauthenticated:
    return Unauthenticated(
        "this server needs an API token: send 'Authorization: Bearer <token>' or use "
        "basic auth with the token as the password (MODELREG_TRACKING_TOKEN for modelreg)"
    )


class Guard:
    """Checks declared permissions against the access service of one backend."""

    def __init__(self, access: Any, public_metrics: bool = False) -> None:
        self.access = access
        self.public_metrics = public_metrics

    def needs_check(self, permission: Permission) -> bool:
        """Whether ``permission`` asks anything of the current caller (no database work)."""
        principal = current_principal()
        if principal is None or principal.user_id is None:
            return False  # embedded use, or a server without --auth: every caller may
        level = permission.level
        return not (
            level in ("public", "per-endpoint") or (level == "metrics" and self.public_metrics)
        )

    def check(self, permission: Permission, values: Mapping[str, Any]) -> None:
        """Raises unless the caller holds ``permission`` on what ``values`` name.

        ``values`` are the request's parsed parameters. Queries the database:
        call it from a worker thread."""
        if not self.needs_check(permission):
            return
        principal = current_principal()
        assert principal is not None
        if principal == NOBODY:
            raise unauthenticated()
        if permission.resource == "mlflow_artifact":
            permission, values = self._mlflow_artifact(permission, values)
        self.access.authorize(principal, permission, values)

    def _mlflow_artifact(
        self, permission: Permission, values: Mapping[str, Any]
    ) -> tuple[Permission, dict[str, Any]]:
        """The run, logged model or model an MLflow artifact path names; the experiment in
        ``<experiment>/<run>/artifacts/…`` must be the run's (and the logged model's)."""
        from modelreg.server.mlflow_routes import artifact_target

        path = values.get(permission.param) or ""
        kind, owner, _ = artifact_target(path)
        if kind == "version":
            return Permission(permission.level, "model", "name"), {"name": owner.rsplit("/", 1)[0]}
        experiment = path.strip("/").split("/")[0]
        if kind == "logged_model":  # <experiment>/models/<model_id>/artifacts/…
            if self.access.experiment_of_logged_model(owner) != experiment:
                raise NotFound(f"Logged model with ID '{owner[:80]}' not found.")
            return Permission(permission.level, "logged_model", "model_id"), {"model_id": owner}
        if self.access.experiment_of_run(owner) != experiment:
            raise NotFound(f"run '{owner[:40]}' does not exist")
        return Permission(permission.level, "run", "run_id"), {"run_id": owner}

    def requires(self, permission: Permission) -> Callable[[F], F]:
        """Declares ``permission`` on a route function and checks it before the function runs,
        on the arguments FastAPI parsed for it."""

        def decorate(function: F) -> F:
            if inspect.iscoroutinefunction(function):

                @functools.wraps(function)
                async def guarded_async(**kwargs: Any) -> Any:
                    if self.needs_check(permission):
                        await run_in_threadpool(self.check, permission, route_values(kwargs))
                    return await function(**kwargs)

                return declare(guarded_async, permission)  # type: ignore[return-value]

            @functools.wraps(function)
            def guarded(**kwargs: Any) -> Any:
                self.check(permission, route_values(kwargs))
                return function(**kwargs)

            return declare(guarded, permission)  # type: ignore[return-value]

        return decorate

    @staticmethod
    def dispatches(function: F) -> F:
        """Declares a route that dispatches to several endpoints, each declaring and
        checking its own permission."""
        return declare(function, PER_ENDPOINT)


def declare(function: F, permission: Permission) -> F:
    """Marks ``function`` as the endpoint of a route that needs ``permission``
    (and checks it itself)."""
    setattr(function, PERMISSION_ATTRIBUTE, permission)
    return function


def route_values(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a route was called with, request bodies' fields included."""
    values: dict[str, Any] = {}
    for name, value in kwargs.items():
        if isinstance(value, pydantic.BaseModel):
            values.update({field: getattr(value, field) for field in type(value).model_fields})
        elif not isinstance(value, Request):
            values[name] = value
    return values


async def refuse_undeclared(request: Request) -> None:
    """Refuses a route that declares no permission, whoever calls it (a dependency of the
    whole app with ``--auth``: a route added without a declaration fails closed)."""
    if permission_of(request.scope.get("route")) is None:
        raise PermissionDenied("this route declares no permission, so the server refuses it")
