"""SQL for users, API tokens and role grants, and the lookups permission checks make.

Each permission check is one indexed query: the resource's id joined with the
caller's grant on it, so "does not exist" and "may not" are told apart
without a second round trip.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, literal, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from modelreg.errors import AlreadyExists
from modelreg.store.schema import (
    api_tokens,
    experiments,
    permissions,
    registered_models,
    runs,
    users,
)
from modelreg.store.upsert import upsert

MODEL = "model"
EXPERIMENT = "experiment"

# -- users ----------------------------------------------------------------------

_USER_COLUMNS = (
    users.c.user_id,
    users.c.username,
    users.c.is_admin,
    users.c.disabled,
    users.c.creation_time,
)


def insert_user(conn: Connection, username: str, is_admin: bool, now: int) -> int:
    """Adds a user and returns its id. Raises ``AlreadyExists`` for a taken name."""
    if user_row(conn, username) is not None:
        raise AlreadyExists(f"user '{username}' exists already")
    try:
        return conn.execute(
            insert(users)
            .values(username=username, is_admin=is_admin, disabled=False, creation_time=now)
            .returning(users.c.user_id)
        ).scalar_one()
    except SAIntegrityError:
        raise AlreadyExists(f"user '{username}' exists already") from None


def user_row(conn: Connection, username: str) -> Any:
    return conn.execute(select(*_USER_COLUMNS).where(users.c.username == username)).first()


def user_rows(conn: Connection) -> list[Any]:
    return list(conn.execute(select(*_USER_COLUMNS).order_by(users.c.username)))


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    conn.execute(update(users).where(users.c.user_id == user_id).values(**values))


# -- tokens -----------------------------------------------------------------------

_TOKEN_COLUMNS = (
    api_tokens.c.token_id,
    users.c.username,
    api_tokens.c.name,
    api_tokens.c.prefix,
    api_tokens.c.creation_time,
    api_tokens.c.expiry_time,
    api_tokens.c.revoked_time,
    api_tokens.c.last_used_time,
)
_TOKENS = select(*_TOKEN_COLUMNS).join_from(
    api_tokens, users, users.c.user_id == api_tokens.c.user_id
)
_TOKEN_OWNER = (
    select(
        api_tokens.c.token_id,
        api_tokens.c.expiry_time,
        api_tokens.c.revoked_time,
        api_tokens.c.last_used_time,
        users.c.user_id,
        users.c.username,
        users.c.is_admin,
        users.c.disabled,
    )
    .join_from(api_tokens, users, users.c.user_id == api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"))
)


def insert_token(
    conn: Connection,
    user_id: int,
    name: str,
    token_hash: str,
    prefix: str,
    now: int,
    expiry_time: int | None,
) -> int:
    return conn.execute(
        insert(api_tokens)
        .values(
            user_id=user_id,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            creation_time=now,
            expiry_time=expiry_time,
        )
        .returning(api_tokens.c.token_id)
    ).scalar_one()


def token_owner(conn: Connection, token_hash: str) -> Any:
    """The token's state and its user's, by the token's hash; ``None`` when unknown."""
    return conn.execute(_TOKEN_OWNER, {"token_hash": token_hash}).first()


def touch_token(conn: Connection, token_id: int, now: int, unless_since: int) -> None:
    """Records a use, unless one was recorded at or after ``unless_since`` (fewer writes)."""
    last = api_tokens.c.last_used_time
    conn.execute(
        update(api_tokens)
        .where(
            api_tokens.c.token_id == token_id,
            last.is_(None) | (last < unless_since),
        )
        .values(last_used_time=now)
    )


def token_rows(
    conn: Connection, *, user_id: int | None = None, token_id: int | None = None
) -> list[Any]:
    query = _TOKENS.order_by(api_tokens.c.token_id)
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    if token_id is not None:
        query = query.where(api_tokens.c.token_id == token_id)
    return list(conn.execute(query))


def token_user_id(conn: Connection, token_id: int) -> int | None:
    return conn.execute(
        select(api_tokens.c.user_id).where(api_tokens.c.token_id == token_id)
    ).scalar()


def revoke_token(conn: Connection, token_id: int, now: int) -> bool:
    """Revokes a token; ``False`` when it was revoked already (or does not exist)."""
    result = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_time.is_(None))
        .values(revoked_time=now)
    )
    return result.rowcount > 0


# -- grants -------------------------------------------------------------------------


def set_role(conn: Connection, resource_type: str, resource_id: int, user_id: int, role: str):
    row = {
        "resource_type": resource_type,
        "resource_id": resource_id,
        "user_id": user_id,
        "role": role,
    }
    upsert(conn, permissions, [row], ("resource_type", "resource_id", "user_id"), ("role",))


def delete_role(conn: Connection, resource_type: str, resource_id: int, user_id: int) -> bool:
    """Removes a grant; ``False`` when there was none."""
    result = conn.execute(
        delete(permissions).where(
            permissions.c.resource_type == resource_type,
            permissions.c.resource_id == resource_id,
            permissions.c.user_id == user_id,
        )
    )
    return result.rowcount > 0


def delete_resource_roles(conn: Connection, resource_type: str, resource_id: int) -> None:
    """Forgets every grant on a resource (ids may be reused once it is gone)."""
    conn.execute(
        delete(permissions).where(
            permissions.c.resource_type == resource_type,
            permissions.c.resource_id == resource_id,
        )
    )


def role_on(conn: Connection, resource_type: str, resource_id: int, user_id: int) -> str | None:
    return conn.execute(
        select(permissions.c.role).where(
            permissions.c.resource_type == resource_type,
            permissions.c.resource_id == resource_id,
            permissions.c.user_id == user_id,
        )
    ).scalar()


def grant_rows(
    conn: Connection,
    *,
    resource_type: str | None = None,
    resource_id: int | None = None,
    user_id: int | None = None,
) -> list[Any]:
    """``(resource_type, resource_id, model name or None, username, role)`` rows."""
    model = and_(
        permissions.c.resource_type == MODEL,
        registered_models.c.model_id == permissions.c.resource_id,
    )
    query = (
        select(
            permissions.c.resource_type,
            permissions.c.resource_id,
            registered_models.c.name,
            users.c.username,
            permissions.c.role,
        )
        .join_from(permissions, users, users.c.user_id == permissions.c.user_id)
        .outerjoin(registered_models, model)
        .order_by(permissions.c.resource_type, permissions.c.resource_id, users.c.username)
    )
    if resource_type is not None:
        query = query.where(permissions.c.resource_type == resource_type)
    if resource_id is not None:
        query = query.where(permissions.c.resource_id == resource_id)
    if user_id is not None:
        query = query.where(permissions.c.user_id == user_id)
    return list(conn.execute(query))


def _grant_join(resource_type: str, id_column: Any) -> Any:
    return and_(
        permissions.c.resource_type == literal(resource_type),
        permissions.c.resource_id == id_column,
        permissions.c.user_id == bindparam("user_id"),
    )


_MODEL_ACCESS = (
    select(registered_models.c.model_id, permissions.c.role)
    .outerjoin_from(
        registered_models, permissions, _grant_join(MODEL, registered_models.c.model_id)
    )
    .where(registered_models.c.name == bindparam("name"))
)
_EXPERIMENT_ACCESS = select(experiments.c.experiment_id, permissions.c.role).outerjoin_from(
    experiments, permissions, _grant_join(EXPERIMENT, experiments.c.experiment_id)
)
_EXPERIMENT_BY_ID = _EXPERIMENT_ACCESS.where(
    experiments.c.experiment_id == bindparam("experiment_id")
)
_EXPERIMENT_BY_NAME = _EXPERIMENT_ACCESS.where(experiments.c.name == bindparam("name"))
_RUN_ACCESS = (
    select(runs.c.experiment_id, permissions.c.role)
    .outerjoin_from(runs, permissions, _grant_join(EXPERIMENT, runs.c.experiment_id))
    .where(runs.c.run_id == bindparam("run_id"))
)


def _access(conn: Connection, query: Any, params: dict[str, Any]) -> tuple[int | None, str | None]:
    row = conn.execute(query, params).first()
    return (None, None) if row is None else (row[0], row[1])


def model_access(conn: Connection, name: str, user_id: int) -> tuple[int | None, str | None]:
    """``(model_id, the user's role)``; ``(None, None)`` when no model has that name."""
    return _access(conn, _MODEL_ACCESS, {"name": name, "user_id": user_id})


def experiment_access(
    conn: Connection, experiment_id: int, user_id: int
) -> tuple[int | None, str | None]:
    return _access(conn, _EXPERIMENT_BY_ID, {"experiment_id": experiment_id, "user_id": user_id})


def experiment_access_by_name(
    conn: Connection, name: str, user_id: int
) -> tuple[int | None, str | None]:
    return _access(conn, _EXPERIMENT_BY_NAME, {"name": name, "user_id": user_id})


def run_access(conn: Connection, run_id: str, user_id: int) -> tuple[int | None, str | None]:
    """``(the run's experiment id, the user's role on it)``; ``(None, None)`` for no such run."""
    return _access(conn, _RUN_ACCESS, {"run_id": run_id, "user_id": user_id})


def granted_ids(resource_type: str, user_id: int) -> Any:
    """A subquery of the ids of ``resource_type`` the user holds any role on."""
    return select(permissions.c.resource_id).where(
        permissions.c.resource_type == resource_type, permissions.c.user_id == user_id
    )


def readable_experiment_ids(conn: Connection, user_id: int, ids: list[int]) -> list[int]:
    """The ids among ``ids`` the user holds a role on, in their order."""
    if not ids:
        return []
    found = set(
        conn.execute(
            granted_ids(EXPERIMENT, user_id).where(permissions.c.resource_id.in_(ids))
        ).scalars()
    )
    return [i for i in ids if i in found]
