"""SQL for the append-only audit trail: writing events and reading them back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, literal, select

from modelreg.entities import AuditEvent
from modelreg.store.schema import audit_events

MODEL_ENTITY = "model"
STAGE_ACTIONS = ("transition_stage", "rollback")
_MODEL_LITERAL = literal(MODEL_ENTITY, literal_execute=True)


def append_events(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Appends audit events (dicts with the columns of ``audit_events`` but ``event_id``).

    An event without ``entity_type`` is about the model its ``model_id`` names."""
    rows = [
        {
            "entity_type": MODEL_ENTITY,
            "entity_id": None,
            **e,
            "before": None if e["before"] is None else json.dumps(e["before"]),
            "after": None if e["after"] is None else json.dumps(e["after"]),
        }
        for e in events
    ]
    if rows:
        conn.execute(_INSERT_EVENT, rows)


_INSERT_EVENT = insert(audit_events)


def _load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _event(row: Any) -> AuditEvent:
    is_model = row.entity_type == MODEL_ENTITY
    return AuditEvent(
        event_id=row.event_id,
        timestamp=row.timestamp,
        actor=row.actor,
        action=row.action,
        model_name=row.model_name,
        version=row.version,
        before=_load_json(row.before),
        after=_load_json(row.after),
        reason=row.reason,
        entity_type=row.entity_type,
        entity_id=row.model_name if is_model else row.entity_id,
    )


def history(
    conn: Connection,
    model_ids: Sequence[int],
    *,
    version: int | None,
    actions: Sequence[str] | None,
    actor: str | None,
    after_id: int | None,
    newest_first: bool,
    limit: int,
) -> list[AuditEvent]:
    """A keyset page of the audit events of the models (of one version when given).

    Oldest first from after ``after_id``, or newest first from before it; narrowed
    to ``actions`` and ``actor`` when given. With a version, the (model, version,
    event) index answers; without, the (model, event) one."""
    c = audit_events.c
    query = select(audit_events).where(c.model_id.in_(model_ids))
    if version is not None:
        query = query.where(c.version == version)
    if actions:
        query = query.where(c.action.in_(actions))
    if actor is not None:
        query = query.where(c.actor == actor)
    if after_id is not None:
        query = query.where(c.event_id < after_id if newest_first else c.event_id > after_id)
    order = c.event_id.desc() if newest_first else c.event_id
    return [_event(r) for r in conn.execute(query.order_by(order).limit(limit)).all()]


def model_ids_named_in_events(conn: Connection, name: str) -> list[int]:
    """Ids of models, deleted ones included, whose events name ``name``."""
    return list(
        conn.execute(
            select(audit_events.c.model_id).where(audit_events.c.model_name == name).distinct()
        ).scalars()
    )


def audit_trail(
    conn: Connection,
    *,
    entity_type: str | None,
    entity_id: str | None,
    model_ids: Sequence[int] | None,
    actor: str | None,
    after_id: int | None,
    limit: int,
) -> list[AuditEvent]:
    """Events of every entity after ``after_id`` (a keyset page), oldest first, narrowed
    by whichever filters are given.

    ``model_ids`` selects model events by model (they keep no ``entity_id``);
    ``entity_id`` selects the events of a user, token or experiment.
    """
    query = select(audit_events)
    if entity_type is not None:
        query = query.where(audit_events.c.entity_type == entity_type)
        if entity_type != MODEL_ENTITY:
            # Rendered inline as the partial index's condition is, so SQLite uses the index.
            query = query.where(audit_events.c.entity_type != _MODEL_LITERAL)
    if model_ids is not None:
        query = query.where(audit_events.c.model_id.in_(model_ids))
    if entity_id is not None:
        query = query.where(audit_events.c.entity_id == entity_id)
    if actor is not None:
        query = query.where(audit_events.c.actor == actor)
    if after_id is not None:
        query = query.where(audit_events.c.event_id > after_id)
    query = query.order_by(audit_events.c.event_id).limit(limit)
    return [_event(r) for r in conn.execute(query).all()]


def stage_events(conn: Connection, model_id_: int) -> list[AuditEvent]:
    """The stage transitions and rollbacks of one model, oldest first."""
    query = (
        select(audit_events)
        .where(audit_events.c.model_id == model_id_, audit_events.c.action.in_(STAGE_ACTIONS))
        .order_by(audit_events.c.event_id)
    )
    return [_event(r) for r in conn.execute(query).all()]
