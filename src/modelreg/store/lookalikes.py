"""SQL for look-alike names: each model, experiment and alias row keeps its key.

``name_key`` (models, experiments) and ``alias_key`` (aliases, per model) hold
:func:`modelreg.lookalike.key_digest` of the name, under a unique index: two
names that look alike cannot both be stored, even by writers racing each
other. Before a write, :func:`claim_name` and :func:`claim_alias` look the key
up (one index lookup) to refuse a look-alike with a message naming the name
that holds it; the index settles any race that slips past that look.

Rows that looked alike before the keys existed (migration 0010) keep their
names: the first of them holds the key, the others have none, and no new
look-alike of any of them can be added.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from modelreg.errors import AlreadyExists
from modelreg.lookalike import key_digest
from modelreg.store.schema import experiments, model_aliases, registered_models

__all__ = ["claim_alias", "claim_name", "refresh_all_keys"]

_NAMED = {
    "registered model": (registered_models, registered_models.c.model_id),
    "experiment": (experiments, experiments.c.experiment_id),
}
# Built once: the claims run on every create, rename and alias move.
_NAME_HOLDER = {
    what: select(table.c.name).where(table.c.name_key == bindparam("key")).limit(1)
    for what, (table, _) in _NAMED.items()
}
_OTHER_NAME_HOLDER = {
    what: _NAME_HOLDER[what].where(id_column != bindparam("own_id"))
    for what, (_, id_column) in _NAMED.items()
}
_ALIAS_HOLDER = (
    select(model_aliases.c.alias)
    .where(
        model_aliases.c.model_id == bindparam("model_id"),
        model_aliases.c.alias_key == bindparam("key"),
        model_aliases.c.alias != bindparam("alias"),
    )
    .limit(1)
)


def claim_name(conn: Connection, what: str, name: str, own_id: Any = None) -> str:
    """The key for ``name`` as the name of a ``what`` ("registered model" or
    "experiment"); raises ``AlreadyExists`` naming another one whose name looks
    like it. ``own_id`` is the row being renamed, which may keep its own key."""
    key = key_digest(name)
    query = _NAME_HOLDER[what] if own_id is None else _OTHER_NAME_HOLDER[what]
    existing = conn.execute(query, {"key": key, "own_id": own_id}).scalar()
    if existing == name:
        article = "an" if what[0] in "aeiou" else "a"
        raise AlreadyExists(f"{article} {what} named '{name}' already exists")
    if existing is not None:
        raise AlreadyExists(
            f"{what} name '{name}' looks like that of the existing {what} '{existing}'; "
            "choose a name that reads differently"
        )
    return key


def claim_alias(conn: Connection, model_id: int, alias: str) -> str:
    """The key for ``alias`` of the model; raises ``AlreadyExists`` naming another
    alias of the model that looks like it (the alias itself may be moved)."""
    key = key_digest(alias)
    existing = conn.execute(
        _ALIAS_HOLDER, {"model_id": model_id, "key": key, "alias": alias}
    ).scalar()
    if existing is not None:
        raise AlreadyExists(
            f"alias '{alias}' looks like the existing alias '{existing}' of this model; "
            "choose an alias that reads differently"
        )
    return key


def refresh_all_keys(conn: Connection) -> None:
    """Sets every key from its name, as migration 0010 does: of rows that look alike,
    the oldest keeps the key and the others get none. For imported archives, whose
    keys (if any) are not trusted."""
    for table, id_column in _NAMED.values():
        _refresh(conn, table, [id_column], table.c.name, table.c.name_key, ())
    _refresh(
        conn,
        model_aliases,
        [model_aliases.c.model_id, model_aliases.c.alias],
        model_aliases.c.alias,
        model_aliases.c.alias_key,
        (model_aliases.c.model_id,),
    )


def _refresh(
    conn: Connection, table: Any, ids: list[Any], name: Any, key: Any, scope: tuple[Any, ...]
) -> None:
    rows = conn.execute(select(*ids, name, *scope).order_by(*ids)).all()
    taken: set[tuple[Any, ...]] = set()
    conn.execute(update(table).values({key.name: None}))
    for row in rows:
        digest = key_digest(row[len(ids)])
        claim = (*row[len(ids) + 1 :], digest)
        if claim in taken:
            continue
        taken.add(claim)
        conn.execute(
            update(table)
            .where(*(column == value for column, value in zip(ids, row, strict=False)))
            .values({key.name: digest})
        )
