"""Retention: archiving old versions nobody relies on. Nothing is ever deleted.

``cleanup(name, keep_last=N)`` keeps the newest N versions of a model
whatever their stage; of the older ones, those in ``None`` or ``Staging``
that no alias points to are moved to ``Archived``. Versions in Production,
versions already archived and aliased versions are never touched. Each
archived version gets a ``transition_stage`` audit event (with the
retention setting and the reason), so rollback and history see it like any
other transition.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.entities import ModelVersion
from modelreg.errors import InvalidArgument
from modelreg.services.audit import audit_event
from modelreg.services.stages import TRANSITION
from modelreg.store import governance as gstore
from modelreg.store import registry as store

CLEANABLE_STAGES = ("None", "Staging")


def check_keep_last(keep_last: Any) -> int:
    return v.check_int(keep_last, "keep_last", minimum=0)


def cleanup(
    conn: Connection,
    model_id: int,
    name: str,
    keep_last: int,
    dry_run: bool,
    reason: str | None,
    now: int,
) -> tuple[list[ModelVersion], list[dict[str, Any]]]:
    """``(versions archived or to archive, audit events written)``; see ``Client.cleanup``.

    The caller holds the model's lock. With ``dry_run`` nothing changes and
    the versions are returned as they are now.
    """
    if not isinstance(dry_run, bool):
        raise InvalidArgument("dry_run must be True or False")
    rows = gstore.versions_newest_first(conn, model_id)
    doomed = [r for r in rows[keep_last:] if r.current_stage in CLEANABLE_STAGES and not r.aliased]
    numbers = [r.version for r in doomed]
    if not doomed:
        return [], []
    if not dry_run:
        gstore.set_stages(conn, [r.version_id for r in doomed], "Archived", now)
    where = (store.mv.c.model_id == model_id) & store.mv.c.version.in_(numbers)
    versions = store.fetch_versions(conn, where, [store.mv.c.version.desc()])
    if dry_run:
        return versions, []
    why = reason or f"retention: keep the newest {keep_last} versions"
    events = [
        audit_event(
            model_id,
            name,
            TRANSITION,
            r.version,
            before={"current_stage": r.current_stage},
            after={"current_stage": "Archived", "retention": {"keep_last": keep_last}},
            reason=why,
            now=now,
        )
        for r in doomed
    ]
    store.append_events(conn, events)
    return versions, events
