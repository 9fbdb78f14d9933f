"""Who may do what: users, API tokens, role grants, and the checks behind them.

With ``modelreg server --auth`` every request carries an API token (bearer,
or the password of HTTP basic auth). The server resolves it to a
:class:`Principal` and checks the route's declared permission with
:meth:`AccessService.authorize`, the only place route permissions are
enforced. Services then read the principal from a context variable for the
few rules that live deeper: searches return only what the caller may read,
creators become managers, protected aliases need a manager, and only admins
choose experiment artifact locations or manage users.

Embedded use has no principal: nothing is checked. A server without
``--auth`` runs every request as :data:`ANONYMOUS`, whose roles are not
checked but who is no admin.

Tokens are ``mrg_`` plus 43 random URL-safe characters (256 bits); only
their SHA-256 is stored, so a leaked database does not leak usable tokens.

Every change to users, tokens and grants writes an audit event in the
transaction of the change (:func:`audit_entity`), naming the authenticated
caller and never a token or its hash; :meth:`AccessService.get_audit_events`
reads the whole trail, for admins.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.access_entities import ApiToken, Grant, NewToken, User
from modelreg.actor import current_actor
from modelreg.entities import AuditEvent, PagedList
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from modelreg.route_permissions import ROLES, Permission, role_rank
from modelreg.store import access as store
from modelreg.store.database import Database
from modelreg.store.filter_sql import check_max_results, decode_page_token, encode_page_token
from modelreg.timeutil import now_ms

__all__ = [
    "ANONYMOUS",
    "NOBODY",
    "AccessService",
    "Principal",
    "acting_principal",
    "audit_entity",
    "current_principal",
    "forget_resource",
    "grant_creator",
    "readable_experiment_ids",
    "readable_only",
    "require_admin",
    "restricted_user_id",
    "set_principal",
]

TOKEN_PREFIX = "mrg_"
MAX_TOKEN_LENGTH = 256
MAX_EXPIRY_DAYS = 3650
DAY_MS = 86_400_000
# last_used_time is refreshed at most this often, so authenticating is a
# read, not a write, on nearly every request.
TOUCH_INTERVAL_MS = 60_000
_USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}")
# Names the server itself uses as actors, so no user may take them.
_RESERVED_USERNAMES = {"anonymous", "nobody", "token", "unknown"}
# What an audit event may be about.
ENTITY_TYPES = ("model", "user", "token", "experiment")


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


def _require_identified(what: str) -> Principal | None:
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


def audit_entity(
    conn: Connection,
    entity_type: str,
    entity_id: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Appends an audit event about a user, token or experiment in the caller's transaction.

    ``entity_id`` is the name users know the entity by (username, token id,
    experiment id). The actor is the authenticated caller."""
    from modelreg.store.registry import append_events

    event = {
        "timestamp": now_ms(),
        "actor": current_actor(),
        "action": action,
        "model_id": None,
        "model_name": None,
        "version": None,
        "before": before,
        "after": after,
        "reason": None,
        "entity_type": entity_type,
        "entity_id": entity_id,
    }
    append_events(conn, [event])


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


# -- input checks ---------------------------------------------------------------------


def check_username(username: Any) -> str:
    if not isinstance(username, str) or not _USERNAME_RE.fullmatch(username):
        raise InvalidArgument(
            f"username {username!r:.80} must be 1 to 64 letters, digits or '_.@+-', "
            "starting with a letter or digit"
        )
    return username


def check_role(role: Any) -> str:
    if role not in ROLES:
        raise InvalidArgument(f"role {role!r:.40} is not one of {', '.join(ROLES)}")
    return role


def _check_expiry(expires_in_days: Any) -> int | None:
    if expires_in_days is None:
        return None
    days = v.check_int(expires_in_days, "expires_in_days", minimum=1)
    if days > MAX_EXPIRY_DAYS:
        raise InvalidArgument(f"expires_in_days must be at most {MAX_EXPIRY_DAYS}, got {days}")
    return now_ms() + days * DAY_MS


def _check_token_name(name: Any) -> str:
    name = v.check_string(name, "token name", 128)
    if not name.strip():
        raise InvalidArgument("token name must not be empty")
    return name


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: Any) -> User:
    return User(row.username, bool(row.is_admin), bool(row.disabled), row.creation_time)


def _token(row: Any) -> ApiToken:
    return ApiToken(*row)


def _token_record(row: Any) -> dict[str, Any]:
    """What the audit trail keeps of a token: never the token, its hash or its prefix."""
    return {
        "token_id": row.token_id,
        "name": row.name,
        "username": row.username,
        "expiry_time": row.expiry_time,
    }


def _grant(row: Any) -> Grant:
    resource_type, resource_id, model_name, username, role = row
    resource = model_name if resource_type == store.MODEL else str(resource_id)
    return Grant(resource_type, resource, username, role)


def _token_id(value: Any) -> int:
    return v.check_int(value, "token_id", minimum=1, maximum=v.MAX_INT32)


def _check_token_owner(owner: int | None, token_id: int, principal: Principal | None) -> None:
    """Only a token's owner (or an admin, or embedded use) may touch it."""
    if owner is None:
        raise NotFound(f"token {token_id} does not exist")
    if principal is not None and not principal.is_admin and owner != principal.user_id:
        raise PermissionDenied(f"token {token_id} belongs to another user")


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


class AccessService:
    """Users, tokens and grants on one database; authentication and route checks."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- users ------------------------------------------------------------------------

    def create_user(self, username: str, is_admin: bool = False) -> NewToken:
        """Creates a user with a first API token, returned once (there is no password).

        Raises ``AlreadyExists``, ``InvalidArgument``, ``PermissionDenied`` for a non-admin."""
        require_admin("creating users")
        username = check_username(username)
        if username.lower() in _RESERVED_USERNAMES:
            raise InvalidArgument(f"username '{username}' is reserved")
        if not isinstance(is_admin, bool):
            raise InvalidArgument("is_admin must be True or False")
        now = now_ms()
        with self.db.write() as conn:
            user_id = store.insert_user(conn, username, is_admin, now)
            after = {"username": username, "is_admin": is_admin}
            audit_entity(conn, "user", username, "create_user", after=after)
            return self._new_token(conn, user_id, "default", None, now)

    def list_users(self) -> list[User]:
        """Every user, by name. Raises ``PermissionDenied`` for a non-admin."""
        require_admin("listing users")
        with self.db.read() as conn:
            return [_user(r) for r in store.user_rows(conn)]

    def get_user(self, username: str) -> User:
        """One user. Raises ``NotFound``, ``PermissionDenied`` for a non-admin."""
        require_admin("reading users")
        with self.db.read() as conn:
            return _user(self._user_row(conn, username))

    def update_user(
        self, username: str, is_admin: bool | None = None, disabled: bool | None = None
    ) -> User:
        """Makes a user admin or not, disabled or not (a disabled user's tokens stop working).

        Audited. Raises ``NotFound``, ``InvalidArgument``, ``PermissionDenied`` for a
        non-admin."""
        require_admin("changing users")
        values = {}
        for field, value in (("is_admin", is_admin), ("disabled", disabled)):
            if value is not None:
                if not isinstance(value, bool):
                    raise InvalidArgument(f"{field} must be True or False")
                values[field] = value
        with self.db.write() as conn:
            row = self._user_row(conn, username)
            after = {f: value for f, value in values.items() if bool(getattr(row, f)) != value}
            if after:
                store.update_user(conn, row.user_id, **after)
                before = {f: bool(getattr(row, f)) for f in after}
                audit_entity(conn, "user", row.username, "update_user", before, after)
            return _user(self._user_row(conn, username))

    def whoami(self) -> User | None:
        """The authenticated caller; ``None`` in embedded use or on a server without auth."""
        principal = _principal.get()
        if principal is None or principal.user_id is None:
            return None
        with self.db.read() as conn:
            return _user(self._user_row(conn, principal.username))

    @staticmethod
    def _user_row(conn: Connection, username: str) -> Any:
        row = store.user_row(conn, check_username(username))
        if row is None:
            raise NotFound(f"user '{username}' does not exist")
        return row

    # -- tokens ------------------------------------------------------------------------

    def _new_token(
        self, conn: Connection, user_id: int, name: str, expiry: int | None, now: int
    ) -> NewToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        prefix = token[:12]
        token_id = store.insert_token(conn, user_id, name, _hash(token), prefix, now, expiry)
        row = store.token_rows(conn, token_id=token_id)[0]
        audit_entity(conn, "token", str(token_id), "create_token", after=_token_record(row))
        return NewToken(token, _token(row))

    def create_token(self, name: str = "default", expires_in_days: int | None = None) -> NewToken:
        """A new API token of the caller, returned once.

        Raises ``InvalidArgument`` in embedded use (use ``create_user_token``)."""
        principal = _require_identified("creating tokens")
        if principal is None or principal.user_id is None or principal.user_id < 0:
            raise InvalidArgument("create_token makes a token for the caller of a server with auth")
        name, expiry = _check_token_name(name), _check_expiry(expires_in_days)
        with self.db.write() as conn:
            return self._new_token(conn, principal.user_id, name, expiry, now_ms())

    def create_user_token(
        self, username: str, name: str = "default", expires_in_days: int | None = None
    ) -> NewToken:
        """A new API token of ``username``, returned once. Raises ``NotFound``,
        ``InvalidArgument``, ``PermissionDenied`` for a non-admin."""
        require_admin("creating tokens for users")
        name, expiry = _check_token_name(name), _check_expiry(expires_in_days)
        with self.db.write() as conn:
            row = self._user_row(conn, username)
            return self._new_token(conn, row.user_id, name, expiry, now_ms())

    def list_tokens(self) -> list[ApiToken]:
        """The caller's tokens (never their secrets)."""
        principal = _require_identified("listing tokens")
        if principal is None or principal.user_id is None:
            return []
        with self.db.read() as conn:
            return [_token(r) for r in store.token_rows(conn, user_id=principal.user_id)]

    def list_user_tokens(self, username: str | None = None) -> list[ApiToken]:
        """The tokens of ``username``, or of everyone. Raises ``PermissionDenied`` for a
        non-admin, ``NotFound`` for an unknown user."""
        require_admin("listing other users' tokens")
        with self.db.read() as conn:
            user_id = None if username is None else self._user_row(conn, username).user_id
            return [_token(r) for r in store.token_rows(conn, user_id=user_id)]

    def revoke_token(self, token_id: int) -> None:
        """Revokes a token at once (revoking twice is harmless). Audited. Raises ``NotFound``."""
        _require_identified("revoking tokens")
        number = _token_id(token_id)
        now = now_ms()
        with self.db.write() as conn:
            _check_token_owner(store.token_user_id(conn, number), number, _principal.get())
            if store.revoke_token(conn, number, now):
                record = _token_record(store.token_rows(conn, token_id=number)[0])
                before, after = {**record, "revoked_time": None}, {**record, "revoked_time": now}
                audit_entity(conn, "token", str(number), "revoke_token", before, after)

    # -- grants ------------------------------------------------------------------------

    def _model(self, conn: Connection, name: str) -> tuple[int, str]:
        from modelreg.store.registry import model_id

        name = v.check_name(name, "model name")
        return model_id(conn, name), name

    @staticmethod
    def _experiment(conn: Connection, experiment_id: str) -> int:
        from modelreg.store.tracking import experiment_head, experiment_id_int

        experiment_head(conn, experiment_id)  # NotFound naming it
        return experiment_id_int(experiment_id)

    def list_model_permissions(self, name: str) -> list[Grant]:
        """Who holds which role on a registered model. Raises ``NotFound``."""
        with self.db.read() as conn:
            model_id, _ = self._model(conn, name)
            return [
                _grant(r)
                for r in store.grant_rows(conn, resource_type=store.MODEL, resource_id=model_id)
            ]

    def set_model_permission(self, name: str, username: str, role: str) -> Grant:
        """Gives ``username`` the ``role`` (read, edit, manage) on a model, replacing theirs.

        Audited. Raises ``NotFound``, ``InvalidArgument``."""
        _require_identified("granting roles")
        role = check_role(role)
        with self.db.write() as conn:
            model_id, name = self._model(conn, name)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.MODEL, model_id, user.user_id)
            store.set_role(conn, store.MODEL, model_id, user.user_id, role)
            if old != role:
                before = None if old is None else {"username": user.username, "role": old}
                after = {"username": user.username, "role": role}
                _audit(conn, model_id, name, "set_permission", before, after)
        return Grant(store.MODEL, name, user.username, role)

    def delete_model_permission(self, name: str, username: str) -> None:
        """Takes ``username``'s role on a model away. Audited. Raises ``NotFound``."""
        _require_identified("revoking roles")
        with self.db.write() as conn:
            model_id, name = self._model(conn, name)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.MODEL, model_id, user.user_id)
            if old is None or not store.delete_role(conn, store.MODEL, model_id, user.user_id):
                raise NotFound(f"user '{username}' has no role on registered model '{name}'")
            before = {"username": user.username, "role": old}
            _audit(conn, model_id, name, "delete_permission", before, None)

    def list_experiment_permissions(self, experiment_id: str) -> list[Grant]:
        """Who holds which role on an experiment. Raises ``NotFound``."""
        with self.db.read() as conn:
            number = self._experiment(conn, experiment_id)
            rows = store.grant_rows(conn, resource_type=store.EXPERIMENT, resource_id=number)
            return [_grant(r) for r in rows]

    def set_experiment_permission(self, experiment_id: str, username: str, role: str) -> Grant:
        """Gives ``username`` the ``role`` on an experiment (and so on its runs).

        Audited. Raises ``NotFound``, ``InvalidArgument``."""
        _require_identified("granting roles")
        role = check_role(role)
        with self.db.write() as conn:
            number = self._experiment(conn, experiment_id)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.EXPERIMENT, number, user.user_id)
            store.set_role(conn, store.EXPERIMENT, number, user.user_id, role)
            if old != role:
                before = None if old is None else {"username": user.username, "role": old}
                after = {"username": user.username, "role": role}
                audit_entity(conn, "experiment", str(number), "set_permission", before, after)
        return Grant(store.EXPERIMENT, str(number), user.username, role)

    def delete_experiment_permission(self, experiment_id: str, username: str) -> None:
        """Takes ``username``'s role on an experiment away. Audited. Raises ``NotFound``."""
        _require_identified("revoking roles")
        with self.db.write() as conn:
            number = self._experiment(conn, experiment_id)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.EXPERIMENT, number, user.user_id)
            if old is None or not store.delete_role(conn, store.EXPERIMENT, number, user.user_id):
                raise NotFound(f"user '{username}' has no role on experiment {number}")
            before = {"username": user.username, "role": old}
            audit_entity(conn, "experiment", str(number), "delete_permission", before, None)

    def list_user_permissions(self, username: str) -> list[Grant]:
        """Every role a user holds. Raises ``NotFound``, ``PermissionDenied`` for a non-admin."""
        require_admin("listing a user's roles")
        with self.db.read() as conn:
            user = self._user_row(conn, username)
            return [_grant(r) for r in store.grant_rows(conn, user_id=user.user_id)]

    # -- the audit trail ----------------------------------------------------------------

    def get_audit_events(
        self,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[AuditEvent]:
        """The audit trail of every model, user, token and experiment, oldest first.

        ``entity_type`` (model, user, token, experiment) and ``entity_id``
        (the model's name, the username, the token id, the experiment id;
        it needs ``entity_type``) narrow it to one kind or one entity,
        ``actor`` to one user's doing. Pages hold ``max_results`` events
        (default 1,000). Raises ``InvalidArgument``, ``PermissionDenied`` for a
        non-admin, ``NotFound`` for a model that never existed."""
        require_admin("reading the audit trail")
        if entity_type is not None and entity_type not in ENTITY_TYPES:
            raise InvalidArgument(
                f"entity_type {entity_type!r:.40} is not one of {', '.join(ENTITY_TYPES)}"
            )
        if entity_id is not None:
            if entity_type is None:
                raise InvalidArgument("entity_id needs entity_type: an id means one kind")
            entity_id = v.check_string(entity_id, "entity_id", 256)
        if actor is not None:
            actor = v.check_string(actor, "actor", 256)
        limit = check_max_results(max_results, 1000)
        offset = decode_page_token(page_token)
        from modelreg.store import registry as events_store

        with self.db.read() as conn:
            model_ids = None
            if entity_type == "model" and entity_id is not None:
                model_ids = self._model_ids_ever_named(conn, entity_id)
                entity_id = None
            found = events_store.audit_trail(
                conn,
                entity_type=entity_type,
                entity_id=entity_id,
                model_ids=model_ids,
                actor=actor,
                offset=offset,
                limit=limit + 1,
            )
        token = encode_page_token(offset + limit) if len(found) > limit else None
        return PagedList(found[:limit], token)

    @staticmethod
    def _model_ids_ever_named(conn: Connection, name: str) -> list[int]:
        """The model of that name, or the deleted ones whose events name it (as get_history)."""
        from modelreg.store import registry as events_store

        name = v.check_name(name, "model name")
        try:
            return [events_store.model_id(conn, name)]
        except NotFound:
            model_ids = events_store.model_ids_named_in_events(conn, name)
            if not model_ids:
                raise
            return model_ids

    # -- the server's checks -------------------------------------------------------------

    def authenticate(self, token: str, username: str | None = None) -> Principal:
        """The user an API token belongs to.

        ``username`` (from HTTP basic auth) must be empty, ``token`` or the
        token's owner. Raises ``Unauthenticated`` for a malformed, unknown,
        revoked or expired token, or a disabled user."""
        if (
            not isinstance(token, str)
            or not token.startswith(TOKEN_PREFIX)
            or len(token) > MAX_TOKEN_LENGTH
        ):
            raise Unauthenticated("the API token is malformed; tokens start with 'mrg_'")
        with self.db.read() as conn:
            row = store.token_owner(conn, _hash(token))
        now = now_ms()
        if row is None:
            raise Unauthenticated("the API token is not valid")
        if row.revoked_time is not None:
            raise Unauthenticated(f"API token {row.token_id} was revoked")
        if row.expiry_time is not None and row.expiry_time <= now:
            raise Unauthenticated(f"API token {row.token_id} has expired")
        if row.disabled:
            raise Unauthenticated(f"user '{row.username}' is disabled")
        if username not in (None, "", "token", row.username):
            raise Unauthenticated("the API token does not belong to the user named in basic auth")
        if row.last_used_time is None or row.last_used_time < now - TOUCH_INTERVAL_MS:
            with self.db.write() as conn:
                store.touch_token(conn, row.token_id, now, now - TOUCH_INTERVAL_MS)
        return Principal(row.username, row.user_id, bool(row.is_admin))

    def authorize(
        self, principal: Principal, permission: Permission, values: Mapping[str, Any]
    ) -> None:
        """Checks ``permission`` for ``principal``; ``values`` are the request's parameters.

        Raises ``PermissionDenied`` when the caller lacks the role, ``NotFound``
        when the resource named does not exist (its creation excepted, when
        the permission allows it)."""
        level = permission.level
        if level in ("public", "user") or principal.is_admin:
            return
        if level not in ROLES:  # admin, metrics, or anything newer: admins only
            raise PermissionDenied(f"user '{principal.username}' is not an admin")
        with self.db.read() as conn:
            self._check(
                conn,
                principal,
                permission.resource,
                permission.param,
                level,
                values,
                create_if_missing=permission.create_if_missing,
            )
            for resource, param in permission.also_read:
                self._check(conn, principal, resource, param, "read", values, optional=True)

    def _check(
        self,
        conn: Connection,
        principal: Principal,
        resource: str,
        param: str,
        level: str,
        values: Mapping[str, Any],
        *,
        optional: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        from modelreg.services.tracking import DEFAULT_EXPERIMENT_ID
        from modelreg.store.tracking import experiment_id_int

        user_id = principal.user_id if principal.user_id is not None else NOBODY.user_id
        assert user_id is not None
        raw = _value(values, param)
        if resource == "experiment":
            # As create_run does: no experiment named means the Default one.
            raw = DEFAULT_EXPERIMENT_ID if raw is None and not optional else raw
            if raw is None:
                return
            number = experiment_id_int(raw)
            found, role = store.experiment_access(conn, number, user_id)
            if found is None:
                raise NotFound(f"experiment '{raw}' does not exist")
            if role_rank(role) < role_rank(level):
                raise _denied(principal, level, f"experiment {number}", role)
            return
        if raw is None:
            # The route itself refuses a request without the parameter.
            return
        if resource == "model_uri":
            from modelreg.uris import parse_model_uri

            resource, raw = "model", parse_model_uri(raw).name
        if resource == "model":
            name = v.check_name(raw, "model name")
            model_id, role = store.model_access(conn, name, user_id)
            if model_id is None:
                if create_if_missing:
                    return
                raise NotFound(f"registered model '{name}' does not exist")
            if role_rank(role) < role_rank(level):
                raise _denied(principal, level, f"registered model '{name}'", role)
        elif resource == "experiment_name":
            name = v.check_name(raw, "experiment name")
            number, role = store.experiment_access_by_name(conn, name, user_id)
            if number is not None and role_rank(role) < role_rank(level):
                raise _denied(principal, level, f"experiment '{name}'", role)
        elif resource == "run":
            self._check_run(conn, principal, raw, level, user_id)
        elif resource == "logged_model":
            self._check_logged_model(conn, principal, raw, level, user_id)
        elif resource == "parent":
            from modelreg.services.lineage import check_parent

            parent_model = check_parent(raw)[0]
            self._check(conn, principal, "model", "name", "read", {"name": parent_model})
        elif resource == "source":
            self._check_source(conn, principal, raw, _value(values, "run_id"), user_id)
        elif resource == "token":
            number = _token_id(raw)
            _check_token_owner(store.token_user_id(conn, number), number, principal)
        else:
            raise PermissionDenied(f"the route names a resource of unknown kind {resource!r}")

    @staticmethod
    def _check_run(
        conn: Connection, principal: Principal, run_id: Any, level: str, user_id: int
    ) -> None:
        if not isinstance(run_id, str):
            raise InvalidArgument(f"run_id must be a string, got {run_id!r:.40}")
        experiment_id, role = store.run_access(conn, run_id, user_id)
        if experiment_id is None:
            raise NotFound(f"run '{run_id[:40]}' does not exist")
        if role_rank(role) < role_rank(level):
            raise _denied(principal, level, f"experiment {experiment_id} of run '{run_id}'", role)

    @staticmethod
    def _check_logged_model(
        conn: Connection, principal: Principal, model_id: Any, level: str, user_id: int
    ) -> None:
        # A logged model is its experiment's: its readers read it, its editors change it.
        from modelreg.store.logged_models import experiment_of

        experiment_id = experiment_of(conn, model_id) if isinstance(model_id, str) else None
        if experiment_id is None:
            raise NotFound(f"Logged model with ID '{str(model_id)[:80]}' not found.")
        role = store.experiment_access(conn, experiment_id, user_id)[1]
        if role_rank(role) < role_rank(level):
            raise _denied(
                principal, level, f"experiment {experiment_id} of model '{model_id}'", role
            )

    def _check_source(
        self, conn: Connection, principal: Principal, source: Any, run_id: Any, user_id: int
    ) -> None:
        # The same parser create_model_version uses, so both read one meaning.
        from modelreg.services.model_sources import parse_source
        from modelreg.store.registry import runs_with_artifact_uri_prefix

        parsed = parse_source(source, run_id)
        if parsed.kind == "models":
            assert parsed.model is not None
            self._check(conn, principal, "model", "name", "read", {"name": parsed.model.name})
        elif parsed.kind == "logged_model":
            self._check_logged_model(conn, principal, parsed.logged_model_id, "read", user_id)
        elif parsed.run_id is not None:
            self._check_run(conn, principal, parsed.run_id, "read", user_id)
        else:
            for candidate, _ in runs_with_artifact_uri_prefix(conn, parsed.uri):
                self._check_run(conn, principal, candidate, "read", user_id)


def _audit(
    conn: Connection,
    model_id: int,
    name: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    from modelreg.store.registry import append_events

    event = {
        "timestamp": now_ms(),
        "actor": current_actor(),
        "action": action,
        "model_id": model_id,
        "model_name": name,
        "version": None,
        "before": before,
        "after": after,
        "reason": None,
    }
    append_events(conn, [event])
