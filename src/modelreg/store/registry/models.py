"""SQL for registered models: their rows, tags and descriptions (pages of them: see .pages).

A model's ``last_updated_time`` moves with every change to it or to its
versions: the functions here and in :mod:`.versions` that change one set it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from modelreg.errors import AlreadyExists, NotFound
from modelreg.lookalike import key_digest
from modelreg.store.lookalikes import claim_name
from modelreg.store.schema import model_versions, registered_model_tags, registered_models
from modelreg.store.upsert import dialect_insert, upsert
from modelreg.timeutil import now_ms

rm = registered_models
mv = model_versions
ALL_MODELS = rm.c.model_id.is_not(None)

_MODEL_ID = select(rm.c.model_id).where(rm.c.name == bindparam("name"))
# SQLite has no FOR UPDATE: its write transaction holds the whole database.
_MODEL_ID_LOCKED = _MODEL_ID.with_for_update()


def model_id(conn: Connection, name: str, *, lock: bool = False) -> int:
    """The id of the model named ``name``; ``lock`` holds its row until the transaction ends.

    Raises ``NotFound`` naming the model.
    """
    locking = lock and conn.dialect.name != "sqlite"
    found = conn.execute(_MODEL_ID_LOCKED if locking else _MODEL_ID, {"name": name}).scalar()
    if found is None:
        raise NotFound(f"registered model '{name}' does not exist")
    return int(found)


def insert_model(
    conn: Connection, name: str, description: str | None, tags: dict[str, str], now: int
) -> int:
    """Inserts a model and its tags; raises ``AlreadyExists`` when the name, or one
    that looks like it, is taken.

    The insert skips a row whose name or key is taken instead of failing, so
    the transaction stays usable to look up which name holds it: one statement
    when the name is free.
    """
    values = {
        "name": name,
        "name_key": key_digest(name),
        "description": description,
        "creation_time": now,
        "last_updated_time": now,
        "last_version": 0,
    }
    new_id: int | None = conn.execute(_insert_model(conn.dialect.name), values).scalar()
    if new_id is None:
        claim_name(conn, "registered model", name)  # raises, naming the holder
        raise AlreadyExists(f"a registered model named '{name}' already exists")
    _upsert_tags(conn, new_id, tags)
    return new_id


@cache
def _insert_model(dialect: str) -> Any:
    # One per dialect, built once.
    return dialect_insert(dialect, rm).on_conflict_do_nothing().returning(rm.c.model_id)


def model_description(conn: Connection, model_id_: int) -> str | None:
    return conn.execute(select(rm.c.description).where(rm.c.model_id == model_id_)).scalar()


def update_model(conn: Connection, model_id_: int, now: int, **values: Any) -> None:
    """Sets columns of a model (and its update time); a taken name, or one that looks
    like another model's, raises ``AlreadyExists``."""
    if "name" in values:
        values["name_key"] = claim_name(conn, "registered model", values["name"], model_id_)
    try:
        with conn.begin_nested():
            conn.execute(
                update(rm).where(rm.c.model_id == model_id_).values(last_updated_time=now, **values)
            )
    except SAIntegrityError as exc:
        raise AlreadyExists(
            f"a registered model named '{values.get('name')}' already exists"
        ) from exc


def touch_model(conn: Connection, model_id_: int, now: int | None = None) -> None:
    """Moves the model's ``last_updated_time`` to ``now`` (the current time by default)."""
    conn.execute(_TOUCH, {"model_id_": model_id_, "now": now_ms() if now is None else now})


_TOUCH = (
    update(rm)
    .where(rm.c.model_id == bindparam("model_id_"))
    .values(last_updated_time=bindparam("now"))
)


def delete_model(conn: Connection, model_id_: int) -> None:
    """Deletes a model with its versions, tags, aliases and manifests (not its audit trail).

    The foreign keys cascade from the model row to everything hanging off it.
    """
    conn.execute(delete(rm).where(rm.c.model_id == model_id_))


def upsert_model_tags(conn: Connection, model_id_: int, tags: dict[str, str]) -> None:
    """Sets (or overwrites) tags of a model."""
    if tags:
        _upsert_tags(conn, model_id_, tags)
        touch_model(conn, model_id_)


def _upsert_tags(conn: Connection, model_id_: int, tags: dict[str, str]) -> None:
    upsert(
        conn,
        registered_model_tags,
        [{"model_id": model_id_, "key": k, "value": v} for k, v in tags.items()],
        ("model_id", "key"),
        ("value",),
    )


def model_tag(conn: Connection, model_id_: int, key: str) -> str | None:
    t = registered_model_tags
    return conn.execute(select(t.c.value).where(t.c.model_id == model_id_, t.c.key == key)).scalar()


def delete_model_tag(conn: Connection, model_id_: int, key: str) -> None:
    t = registered_model_tags
    conn.execute(delete(t).where(t.c.model_id == model_id_, t.c.key == key))
    touch_model(conn, model_id_)


def production_versions(conn: Connection, model_id_: int) -> list[int]:
    return list(
        conn.execute(
            select(mv.c.version)
            .where(mv.c.model_id == model_id_, mv.c.current_stage == "Production")
            .order_by(mv.c.version)
        ).scalars()
    )


def count_versions(conn: Connection, model_id_: int) -> int:
    count: int = conn.execute(
        select(func.count()).select_from(mv).where(mv.c.model_id == model_id_)
    ).scalar_one()
    return count
