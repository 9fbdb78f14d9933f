"""The server's route checks: does the caller hold the role a route declares?

Each route declares a :class:`~modelreg.api.route_permissions.Permission` (the
level, the kind of resource, and the request parameter naming it);
:func:`authorize` is the only place those declarations are enforced. A
resource that does not exist is ``NotFound``, whether or not the caller may
see it, except where the route creates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.api.route_permissions import ROLES, Permission, role_rank
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.services.lineage import check_parent
from modelreg.services.model_sources import parse_source
from modelreg.services.principal import NOBODY, Principal
from modelreg.services.tracking import DEFAULT_EXPERIMENT_ID
from modelreg.store import access as store
from modelreg.store.logged_models import experiment_of
from modelreg.store.registry import runs_with_artifact_uri_prefix
from modelreg.store.tracking import experiment_id_int
from modelreg.uris import parse_model_uri

__all__ = ["authorize", "check_token_id", "check_token_owner"]


def check_token_id(value: Any) -> int:
    """A token id as an integer. Raises ``InvalidArgument``."""
    return v.check_int(value, "token_id", minimum=1, maximum=v.MAX_INT32)


def check_token_owner(owner: int | None, token_id: int, principal: Principal | None) -> None:
    """Only a token's owner (or an admin, or embedded use) may touch it."""
    if owner is None:
        raise NotFound(f"token {token_id} does not exist")
    if principal is not None and not principal.is_admin and owner != principal.user_id:
        raise PermissionDenied(f"token {token_id} belongs to another user")


def authorize(
    conn: Connection, principal: Principal, permission: Permission, values: Mapping[str, Any]
) -> None:
    """Checks ``permission`` for ``principal``; ``values`` are the request's parameters.

    Raises ``NotFound`` when the resource named does not exist or the caller
    holds no role on it (the same answer, so refusals tell nothing of what
    exists; a creation excepted, when the permission allows it), and
    ``PermissionDenied`` when they hold a lesser role."""
    level = permission.level
    if level in ("public", "user") or principal.is_admin:
        return
    if level not in ROLES:  # admin, metrics, or anything newer: admins only
        raise PermissionDenied(f"user '{principal.username}' is not an admin")
    check = _Check(conn, principal)
    check.resource(
        permission.resource,
        permission.param,
        level,
        values,
        create_if_missing=permission.create_if_missing,
    )
    for resource, param in permission.also_read:
        check.resource(resource, param, "read", values, optional=True)


def _value(values: Mapping[str, Any], param: str) -> Any:
    """The first of the ``|``-separated parameters given a non-empty value."""
    for name in param.split("|"):
        value = values.get(name)
        if value not in (None, ""):
            return value
    return None


def _denied(principal: Principal, level: str, what: str, role: str | None) -> PermissionDenied:
    has = f"has the {role} role" if role else "has no role there"
    return PermissionDenied(
        f"user '{principal.username}' needs the {level} role on {what} and {has}"
    )


class _Check:
    """The checks of one request, in its read transaction."""

    def __init__(self, conn: Connection, principal: Principal) -> None:
        self.conn = conn
        self.principal = principal
        user_id = principal.user_id if principal.user_id is not None else NOBODY.user_id
        assert user_id is not None
        self.user_id = user_id

    def resource(
        self,
        resource: str,
        param: str,
        level: str,
        values: Mapping[str, Any],
        *,
        optional: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        raw = _value(values, param)
        if resource == "experiment":
            # As create_run does: no experiment named means the Default one.
            raw = DEFAULT_EXPERIMENT_ID if raw is None and not optional else raw
            if raw is not None:
                self.experiment(raw, level)
            return
        if raw is None:
            # The route itself refuses a request without the parameter.
            return
        if resource == "model_uri":
            resource, raw = "model", parse_model_uri(raw).name
        if resource == "model":
            self.model(raw, level, create_if_missing=create_if_missing)
        elif resource == "experiment_name":
            name = v.check_experiment_name(raw)
            number, role = store.experiment_access_by_name(self.conn, name, self.user_id)
            # A hidden one is left to the route, which answers as for a missing one.
            if number is not None and role is not None and role_rank(role) < role_rank(level):
                raise _denied(self.principal, level, f"experiment '{name}'", role)
        elif resource == "run":
            self.run(raw, level)
        elif resource == "logged_model":
            self.logged_model(raw, level)
        elif resource == "parent":
            self.model(check_parent(raw)[0], "read")
        elif resource == "source":
            self.source(raw, _value(values, "run_id"))
        elif resource == "token":
            number = check_token_id(raw)
            check_token_owner(store.token_user_id(self.conn, number), number, self.principal)
        else:
            raise PermissionDenied(f"the route names a resource of unknown kind {resource!r}")

    def experiment(self, raw: Any, level: str) -> None:
        number = experiment_id_int(raw)
        found, role = store.experiment_access(self.conn, number, self.user_id)
        if found is None or role is None:  # hidden answers as missing
            raise NotFound(f"experiment '{raw}' does not exist")
        if role_rank(role) < role_rank(level):
            raise _denied(self.principal, level, f"experiment {number}", role)

    def model(self, raw: Any, level: str, *, create_if_missing: bool = False) -> None:
        name = v.check_name(raw, "model name")
        model_id, role = store.model_access(self.conn, name, self.user_id)
        if model_id is None and create_if_missing:
            return
        if model_id is None or role is None:  # hidden answers as missing
            raise NotFound(f"registered model '{name}' does not exist")
        if role_rank(role) < role_rank(level):
            raise _denied(self.principal, level, f"registered model '{name}'", role)

    def run(self, run_id: Any, level: str) -> None:
        if not isinstance(run_id, str):
            raise InvalidArgument(f"run_id must be a string, got {run_id!r:.40}")
        experiment_id, role = store.run_access(self.conn, run_id, self.user_id)
        if experiment_id is None or role is None:  # hidden answers as missing
            raise NotFound(f"run '{run_id[:40]}' does not exist")
        if role_rank(role) < role_rank(level):
            what = f"experiment {experiment_id} of run '{run_id}'"
            raise _denied(self.principal, level, what, role)

    def logged_model(self, model_id: Any, level: str) -> None:
        # An MLflow 3 logged model is its experiment's: its readers read it, its editors
        # change it; hidden answers as missing.
        number = experiment_of(self.conn, model_id) if isinstance(model_id, str) else None
        role = (
            None if number is None else store.experiment_access(self.conn, number, self.user_id)[1]
        )
        if role is None:
            raise NotFound(f"Logged model with ID '{str(model_id)[:80]}' not found.")
        if role_rank(role) < role_rank(level):
            what = f"experiment {number} of logged model '{model_id}'"
            raise _denied(self.principal, level, what, role)

    def source(self, source: Any, run_id: Any) -> None:
        # The same parser create_model_version uses, so both read one meaning.
        parsed = parse_source(source, run_id)
        if parsed.kind == "models":
            assert parsed.model is not None
            self.model(parsed.model.name, "read")
        elif parsed.kind == "logged_model":
            self.logged_model(parsed.logged_model_id, "read")
        elif parsed.run_id is not None:
            self.run(parsed.run_id, "read")
        elif parsed.kind == "artifact":
            for candidate, _ in runs_with_artifact_uri_prefix(self.conn, parsed.uri):
                self.run(candidate, "read")
