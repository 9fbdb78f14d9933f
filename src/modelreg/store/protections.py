"""SQL for model protections: the aliases and stage only a model's managers may move."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from modelreg.store.schema import model_protections
from modelreg.store.upsert import upsert


def protection(conn: Connection, model_id: int) -> tuple[list[str], bool]:
    """``(protected aliases, Production protected?)``; nothing protected when never set."""
    row = conn.execute(
        select(model_protections.c.protected_aliases, model_protections.c.protect_production).where(
            model_protections.c.model_id == model_id
        )
    ).first()
    if row is None:
        return [], False
    return list(json.loads(row[0])), bool(row[1])


def set_protection(
    conn: Connection, model_id: int, aliases: list[str], protect_production: bool
) -> None:
    row = {
        "model_id": model_id,
        "protected_aliases": json.dumps(aliases),
        "protect_production": protect_production,
    }
    upsert(
        conn,
        model_protections,
        [row],
        ("model_id",),
        ("protected_aliases", "protect_production"),
    )
