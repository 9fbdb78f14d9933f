"""Who is calling: the principal of the current request, and the rules that read it.

The server resolves each request's API token to a :class:`Principal` and sets
it in a context variable (:func:`set_principal`); services read it for the
few rules that live deeper than the route checks: searches return only what
the caller may read, creators become managers, and only admins manage users
or choose experiment artifact locations.

Embedded use has no principal: nothing is checked. A server without
``--auth`` runs every request as :data:`ANONYMOUS`, whose roles are not
checked but who is no admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from modelreg.errors import PermissionDenied
from modelreg.store import access as store

__all__ = [
    "ANONYMOUS",
    "NOBODY",
    "Principal",
    "acting_principal",
    "current_principal",
    "forget_resource",
    "grant_creator",
    "readable_experiment_ids",
    "readable_only",
    "require_admin",
    "require_identified",
    "restricted_user_id",
    "set_principal",
]


@dataclass(frozen=True)
class Principal:
    """The caller as the server knows it. ``user_id`` is ``None`` when auth is off."""

    username: str
    user_id: int | None = None
    is_admin: bool = False


ANONYMOUS = Principal("anonymous")
# Auth on, no user established (yet): holds no role anywhere.
NOBODY = Principal("nobody", user_id=-1)

_principal: ContextVar[Principal | None] = ContextVar("modelreg_principal", default=None)


def current_principal() -> Principal | None:
    """The caller of the current server request; ``None`` in embedded use."""
    return _principal.get()


def set_principal(principal: Principal | None) -> None:
    """Sets the caller for the rest of the current task (the server does it per request)."""
    _principal.set(principal)


@contextmanager
def acting_principal(principal: Principal | None) -> Iterator[None]:
    """Runs the block as ``principal``."""
    token = _principal.set(principal)
    try:
        yield
    finally:
        _principal.reset(token)


def restricted_user_id() -> int | None:
    """The caller's user id when their roles must be checked; ``None`` when they need not be."""
    principal = _principal.get()
    if principal is None or principal.user_id is None or principal.is_admin:
        return None
    return principal.user_id


def require_admin(what: str) -> None:
    """Raises ``PermissionDenied`` unless the caller is an admin (or this is embedded use)."""
    principal = _principal.get()
    if principal is None or principal.is_admin:
        return
    if principal.user_id is None:
        raise PermissionDenied(
            f"{what} needs an admin; this server runs without --auth, so nobody is one "
            "(use the modelreg CLI on the database, or start the server with --auth)"
        )
    raise PermissionDenied(f"{what} needs an admin; user '{principal.username}' is not one")


def require_identified(what: str) -> Principal | None:
    """The caller, refusing a server without auth (grants made there would outlive it)."""
    principal = _principal.get()
    if principal is not None and principal.user_id is None:
        raise PermissionDenied(f"{what} needs a server started with --auth")
    return principal


def grant_creator(conn: Connection, resource_type: str, resource_id: int) -> None:
    """Makes the caller manager of the resource they just created (in their transaction)."""
    principal = _principal.get()
    if principal is not None and principal.user_id not in (None, NOBODY.user_id):
        store.set_role(conn, resource_type, resource_id, principal.user_id, "manage")


def forget_resource(conn: Connection, resource_type: str, resource_id: int) -> None:
    """Drops every grant on a resource being deleted, so a reused id inherits none."""
    store.delete_resource_roles(conn, resource_type, resource_id)


def readable_only(where: Any, id_column: Any, resource_type: str) -> Any:
    """``where`` narrowed in SQL to the rows the caller may read (unchanged when unrestricted).

    Filtering inside the query keeps paging right: a page holds ``max_results``
    readable rows and the page token counts readable rows only.
    """
    user_id = restricted_user_id()
    if user_id is None:
        return where
    return where & id_column.in_(store.granted_ids(resource_type, user_id))


def readable_experiment_ids(conn: Connection, ids: list[int]) -> list[int]:
    """The experiment ids among ``ids`` the caller may read."""
    user_id = restricted_user_id()
    return ids if user_id is None else store.readable_experiment_ids(conn, user_id, ids)
