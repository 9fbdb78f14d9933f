"""Users, API tokens and role grants; authenticating a token; the audit trail for admins.

With ``modelreg server --auth`` every request carries an API token (bearer,
or the password of HTTP basic auth). :meth:`AccessService.authenticate`
resolves it to a :class:`~modelreg.services.principal.Principal`, and
:meth:`AccessService.authorize` checks the route's declared permission
(:mod:`modelreg.services.authorization`).

Tokens are ``mrg_`` plus 43 random URL-safe characters (256 bits); only
their SHA-256 is stored, so a leaked database does not leak usable tokens.

Every change to users, tokens and grants writes an audit event in the
transaction of the change (:mod:`modelreg.services.audit`), naming the
authenticated caller and never a token or its hash;
:meth:`AccessService.get_audit_events` reads the whole trail, for admins.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.access_entities import ApiToken, Grant, NewToken, User
from modelreg.api.route_permissions import ROLES, Permission
from modelreg.entities import AuditEvent, PagedList
from modelreg.errors import InvalidArgument, NotFound, Unauthenticated
from modelreg.services import authorization
from modelreg.services.audit import record, record_entity
from modelreg.services.authorization import check_token_id, check_token_owner
from modelreg.services.history import model_ids_ever_named
from modelreg.services.principal import (
    Principal,
    current_principal,
    require_admin,
    require_identified,
)
from modelreg.store import access as store
from modelreg.store import keyset
from modelreg.store import registry as registry_store
from modelreg.store.database import Database
from modelreg.store.filter_sql import check_max_results
from modelreg.store.tracking import experiment_head, experiment_id_int
from modelreg.timeutil import now_ms

__all__ = ["AccessService", "check_role", "check_username"]

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
ENTITY_TYPES = ("model", "user", "token", "experiment", "run", "logged_model")
log = logging.getLogger(__name__)


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
            record_entity(conn, "user", username, "create_user", after=after)
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
                record_entity(conn, "user", row.username, "update_user", before, after)
            return _user(self._user_row(conn, username))

    def whoami(self) -> User | None:
        """The authenticated caller; ``None`` in embedded use or on a server without auth."""
        principal = current_principal()
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
        record_entity(conn, "token", str(token_id), "create_token", after=_token_record(row))
        return NewToken(token, _token(row))

    def create_token(self, name: str = "default", expires_in_days: int | None = None) -> NewToken:
        """A new API token of the caller, returned once.

        Raises ``InvalidArgument`` in embedded use (use ``create_user_token``)."""
        principal = require_identified("creating tokens")
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
        principal = require_identified("listing tokens")
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
        require_identified("revoking tokens")
        number = check_token_id(token_id)
        now = now_ms()
        with self.db.write() as conn:
            check_token_owner(store.token_user_id(conn, number), number, current_principal())
            if store.revoke_token(conn, number, now):
                record = _token_record(store.token_rows(conn, token_id=number)[0])
                before, after = {**record, "revoked_time": None}, {**record, "revoked_time": now}
                record_entity(conn, "token", str(number), "revoke_token", before, after)

    # -- grants ------------------------------------------------------------------------

    def _model(self, conn: Connection, name: str) -> tuple[int, str]:
        name = v.check_name(name, "model name")
        return registry_store.model_id(conn, name), name

    @staticmethod
    def _experiment(conn: Connection, experiment_id: str) -> int:
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
        require_identified("granting roles")
        role = check_role(role)
        with self.db.write() as conn:
            model_id, name = self._model(conn, name)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.MODEL, model_id, user.user_id)
            store.set_role(conn, store.MODEL, model_id, user.user_id, role)
            if old != role:
                before = None if old is None else {"username": user.username, "role": old}
                after = {"username": user.username, "role": role}
                record(conn, model_id, name, "set_permission", before=before, after=after)
        return Grant(store.MODEL, name, user.username, role)

    def delete_model_permission(self, name: str, username: str) -> None:
        """Takes ``username``'s role on a model away. Audited. Raises ``NotFound``."""
        require_identified("revoking roles")
        with self.db.write() as conn:
            model_id, name = self._model(conn, name)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.MODEL, model_id, user.user_id)
            if old is None or not store.delete_role(conn, store.MODEL, model_id, user.user_id):
                raise NotFound(f"user '{username}' has no role on registered model '{name}'")
            before = {"username": user.username, "role": old}
            record(conn, model_id, name, "delete_permission", before=before)

    def list_experiment_permissions(self, experiment_id: str) -> list[Grant]:
        """Who holds which role on an experiment. Raises ``NotFound``."""
        with self.db.read() as conn:
            number = self._experiment(conn, experiment_id)
            rows = store.grant_rows(conn, resource_type=store.EXPERIMENT, resource_id=number)
            return [_grant(r) for r in rows]

    def set_experiment_permission(self, experiment_id: str, username: str, role: str) -> Grant:
        """Gives ``username`` the ``role`` on an experiment (and so on its runs).

        Audited. Raises ``NotFound``, ``InvalidArgument``."""
        require_identified("granting roles")
        role = check_role(role)
        with self.db.write() as conn:
            number = self._experiment(conn, experiment_id)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.EXPERIMENT, number, user.user_id)
            store.set_role(conn, store.EXPERIMENT, number, user.user_id, role)
            if old != role:
                before = None if old is None else {"username": user.username, "role": old}
                after = {"username": user.username, "role": role}
                record_entity(conn, "experiment", str(number), "set_permission", before, after)
        return Grant(store.EXPERIMENT, str(number), user.username, role)

    def delete_experiment_permission(self, experiment_id: str, username: str) -> None:
        """Takes ``username``'s role on an experiment away. Audited. Raises ``NotFound``."""
        require_identified("revoking roles")
        with self.db.write() as conn:
            number = self._experiment(conn, experiment_id)
            user = self._user_row(conn, username)
            old = store.role_on(conn, store.EXPERIMENT, number, user.user_id)
            if old is None or not store.delete_role(conn, store.EXPERIMENT, number, user.user_id):
                raise NotFound(f"user '{username}' has no role on experiment {number}")
            before = {"username": user.username, "role": old}
            record_entity(conn, "experiment", str(number), "delete_permission", before, None)

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
        after_id = keyset.decode_id_token(page_token)
        with self.db.read() as conn:
            model_ids = None
            if entity_type == "model" and entity_id is not None:
                model_ids = model_ids_ever_named(conn, entity_id)
                entity_id = None
            found = registry_store.audit_trail(
                conn,
                entity_type=entity_type,
                entity_id=entity_id,
                model_ids=model_ids,
                actor=actor,
                after_id=after_id,
                limit=limit + 1,
            )
        more = len(found) > limit
        token = keyset.encode_token([found[limit - 1].event_id]) if more else None
        return PagedList(found[:limit], token)

    # -- the server's checks -------------------------------------------------------------

    def authenticate(self, token: str, username: str | None = None) -> Principal:
        """The user an API token belongs to.

        ``username`` (from HTTP basic auth) must be empty, ``token`` or the
        token's owner. Raises ``Unauthenticated`` for a malformed, unknown,
        revoked or expired token, or a disabled user; each refusal is logged
        (never the token)."""
        try:
            row = self._token_owner(token, username)
        except Unauthenticated as exc:
            log.warning("refused authentication: %s", exc.message)
            raise
        now = now_ms()
        if row.last_used_time is None or row.last_used_time < now - TOUCH_INTERVAL_MS:
            with self.db.write() as conn:
                store.touch_token(conn, row.token_id, now, now - TOUCH_INTERVAL_MS)
        return Principal(row.username, row.user_id, bool(row.is_admin))

    def _token_owner(self, token: str, username: str | None) -> Any:
        """The row of a usable token and its owner; ``Unauthenticated`` saying why not."""
        if (
            not isinstance(token, str)
            or not token.startswith(TOKEN_PREFIX)
            or len(token) > MAX_TOKEN_LENGTH
        ):
            raise Unauthenticated("the API token is malformed; tokens start with 'mrg_'")
        with self.db.read() as conn:
            row = store.token_owner(conn, _hash(token))
        if row is None:
            raise Unauthenticated("the API token is not valid")
        if row.revoked_time is not None:
            raise Unauthenticated(f"API token {row.token_id} was revoked")
        if row.expiry_time is not None and row.expiry_time <= now_ms():
            raise Unauthenticated(f"API token {row.token_id} has expired")
        if row.disabled:
            raise Unauthenticated(f"user '{row.username}' is disabled")
        if username not in (None, "", "token", row.username):
            raise Unauthenticated("the API token does not belong to the user named in basic auth")
        return row

    def authorize(
        self, principal: Principal, permission: Permission, values: Mapping[str, Any]
    ) -> None:
        """Checks ``permission`` for ``principal`` (see :func:`authorization.authorize`)."""
        with self.db.read() as conn:
            authorization.authorize(conn, principal, permission, values)

    def experiment_of_logged_model(self, model_id: str) -> str | None:
        """The id of a logged model's experiment, or ``None`` when no model has that id."""
        from modelreg.store.logged_models import experiment_of

        with self.db.read() as conn:
            experiment_id = experiment_of(conn, model_id)
        return None if experiment_id is None else str(experiment_id)

    def experiment_of_run(self, run_id: str) -> str | None:
        """The id of the run's experiment, or ``None`` when no run has that id."""
        with self.db.read() as conn:
            experiment_id, _ = store.run_access(conn, run_id, -1)
        return None if experiment_id is None else str(experiment_id)
