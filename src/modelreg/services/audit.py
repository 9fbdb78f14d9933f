"""Audit events: the one builder of the dict every audited change appends.

An event is about a registered model (``model_id``, ``model_name`` and maybe
a ``version``) or about a user, token or experiment (``entity_type`` and
``entity_id``, the name users know it by). It names the acting caller and is
appended in the transaction of the change it records, so the trail and the
state never disagree. The same dicts go to a service's ``publish`` (the
webhook dispatcher) in that transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from modelreg.actor import current_actor
from modelreg.store.registry import append_events
from modelreg.timeutil import now_ms

__all__ = ["MODEL", "Publish", "audit_event", "record", "record_entity"]

MODEL = "model"

Publish = Callable[[Connection, list[dict[str, Any]]], None]
"""Receives a change's audit events in its write transaction (the webhook dispatcher
writes their deliveries there, sent once it committed); returns at once."""


def audit_event(
    model_id: int | None,
    model_name: str | None,
    action: str,
    version: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    now: int | None = None,
    *,
    entity_type: str = MODEL,
    entity_id: str | None = None,
) -> dict[str, Any]:
    """An audit event of ``action`` by the current caller, at ``now`` (default: now)."""
    return {
        "timestamp": now_ms() if now is None else now,
        "actor": current_actor(),
        "action": action,
        "model_id": model_id,
        "model_name": model_name,
        "version": version,
        "before": before,
        "after": after,
        "reason": reason,
        "entity_type": entity_type,
        "entity_id": entity_id,
    }


def record(
    conn: Connection, model_id: int, name: str, action: str, **fields: Any
) -> dict[str, Any]:
    """Appends one event about a model in the caller's transaction (fields as
    ``audit_event``) and returns it, for ``publish``."""
    event = audit_event(model_id, name, action, **fields)
    append_events(conn, [event])
    return event


def record_entity(
    conn: Connection,
    entity_type: str,
    entity_id: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Appends one event about a user, token or experiment in the caller's transaction."""
    event = audit_event(
        None, None, action, before=before, after=after, entity_type=entity_type, entity_id=entity_id
    )
    append_events(conn, [event])
