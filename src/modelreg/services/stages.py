"""Stages: transitions, and the rollback that reads the stage history from the audit trail.

A version is in exactly one stage: ``None`` (new), ``Staging``,
``Production`` or ``Archived``. Several versions may share a stage unless a
transition passes ``archive_existing_versions``.

Rollback needs "the version that held the stage before the current one". The
audit trail answers it: replaying a model's stage events, a transition into
the stage pushes its version, and a rollback into the stage pops back to the
version it restored, so repeated rollbacks walk further back. A version that
a rollback demotes into the stage (back where it was before its promotion)
enters it like a transition.

The demoted version goes back to the stage it had before it was promoted into
the rolled-back stage, also read from the trail (:func:`stage_before`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from modelreg import validation as v
from modelreg.entities import AuditEvent, ModelVersion
from modelreg.errors import Conflict, InvalidArgument
from modelreg.services import policies
from modelreg.services.audit import Publish, audit_event
from modelreg.services.protection_rule import require_manager_if_protected
from modelreg.services.visibility import Visibility
from modelreg.store import registry as store
from modelreg.store.database import Database
from modelreg.timeutil import now_ms

__all__ = ["ACTIVE_STAGES", "ROLLBACK", "TRANSITION", "StageMoves"]

STAGES = v.STAGES
ACTIVE_STAGES = ("Staging", "Production")
ARCHIVED = "Archived"
PRODUCTION = "Production"
TRANSITION = "transition_stage"
ROLLBACK = "rollback"


def stage_history(events: Sequence[AuditEvent], stage: str) -> list[int]:
    """The versions that entered ``stage``, oldest first, after replaying rollbacks."""
    stack: list[int] = []
    for event in events:
        if event.version is None or (event.after or {}).get("current_stage") != stage:
            continue
        if event.action == TRANSITION or _is_demotion(event):
            stack.append(event.version)
        elif event.action == ROLLBACK:
            while stack and stack[-1] != event.version:
                stack.pop()
    return stack


def rollback_pair(
    history: Sequence[int], holders: Collection[int], alive: Collection[int]
) -> tuple[int | None, int | None]:
    """``(current, target)`` of a rollback.

    ``current`` is the most recent entry of ``history`` that still holds the
    stage (``holders``); ``target`` the nearest earlier entry that is another
    version and still exists (``alive``). Either is ``None`` when there is none.
    """
    position = next((i for i in range(len(history) - 1, -1, -1) if history[i] in holders), None)
    if position is None:
        return None, None
    current = history[position]
    earlier = history[:position]
    target = next((n for n in reversed(earlier) if n != current and n in alive), None)
    return current, target


def _is_demotion(event: AuditEvent) -> bool:
    """A rollback event of the version taken out of the stage (not the one restored)."""
    return event.action == ROLLBACK and "rolled_back_to" in (event.after or {})


def stage_before(events: Sequence[AuditEvent], version: int, stage: str) -> str:
    """The stage ``version`` had before it was last promoted into ``stage``: where a
    rollback of ``stage`` puts it.

    A rollback never promotes: ``Archived`` instead of Production, and when
    the trail does not say (a stage set before the trail began).
    """
    for event in reversed(events):
        if event.version != version or (event.after or {}).get("current_stage") != stage:
            continue
        if _is_demotion(event):  # came back by an earlier rollback: look at its promotion
            continue
        previous = (event.before or {}).get("current_stage")
        if previous in STAGES and previous not in (stage, PRODUCTION):
            return str(previous)
        break
    return ARCHIVED


class StageMoves:
    """The registry's stage transitions and rollback, on ``db``, publishing to ``publish``."""

    db: Database
    publish: Publish

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        reason: str | None = None,
        force: bool = False,
    ) -> ModelVersion:
        """Moves a version to a stage, optionally archiving the others in it.

        The model's promotion policy for the stage is checked first. Raises
        PolicyViolation listing every failed rule (unless ``force`` with a
        reason), NotFound, or InvalidArgument for an unknown stage."""
        name = v.check_name(name, "model name")
        number = v.check_version(version)
        stage = v.check_stage(stage)
        reason = v.check_description(reason, "reason")
        force = policies.check_force(force, reason)
        if not isinstance(archive_existing_versions, bool):
            raise InvalidArgument("archive_existing_versions must be True or False")
        if archive_existing_versions and stage not in ACTIVE_STAGES:
            raise InvalidArgument(
                f"archive_existing_versions applies to Staging and Production, not {stage}"
            )
        now = now_ms()
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            row = store.version_row(conn, model_id, name, number)
            require_manager_if_protected(conn, model_id, name, stages=(row.current_stage, stage))
            events = []
            if row.current_stage != stage:
                failed = policies.failed_rules(conn, model_id, row, stage)
                override = policies.enforce(
                    failed, force=force, name=name, version=number, target=stage
                )
                store.update_version(conn, row.version_id, now, current_stage=stage)
                before = {"current_stage": row.current_stage}
                after = {"current_stage": stage, **override}
                events.append(
                    audit_event(model_id, name, TRANSITION, number, before, after, reason, now)
                )
            if archive_existing_versions:
                for other in store.versions_in_stage(conn, model_id, stage):
                    if other.version == number:
                        continue
                    store.update_version(conn, other.version_id, now, current_stage="Archived")
                    before = {"current_stage": stage}
                    after = {"current_stage": "Archived", "archived_by_version": number}
                    events.append(
                        audit_event(
                            model_id, name, TRANSITION, other.version, before, after, reason, now
                        )
                    )
            store.append_events(conn, events)
            # The row read above, moved: no second read of the version.
            moved = store.version_from_row(row)
            if row.current_stage != stage:
                moved = replace(moved, current_stage=stage, last_updated_timestamp=now)
            moved = Visibility.of_caller(conn).version(moved)
            self.publish(conn, events)
        return moved

    def rollback(
        self, name: str, stage: str = "Production", reason: str | None = None
    ) -> ModelVersion:
        """Restores the version that held ``stage`` before the current one, from the audit trail.

        The current holder goes back, in the same transaction, to the stage it
        had before it entered ``stage`` (``Archived`` when the trail does not
        say). Every stage the two moves touch is checked against the model's
        protection. Raises Conflict when there is nothing to roll back to,
        InvalidArgument for a stage other than Staging or Production,
        NotFound for the model, PermissionDenied for a protected stage."""
        name = v.check_name(name, "model name")
        stage = v.check_stage(stage)
        reason = v.check_description(reason, "reason")
        if stage not in ACTIVE_STAGES:
            raise InvalidArgument(f"rollback applies to Staging or Production, not {stage}")
        now = now_ms()
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            require_manager_if_protected(conn, model_id, name, stages=(stage,))
            holders = {r.version: r for r in store.versions_in_stage(conn, model_id, stage)}
            if not holders:
                raise Conflict(
                    f"no version of registered model '{name}' is in {stage}; nothing to roll back"
                )
            trail = store.stage_events(conn, model_id)
            history = stage_history(trail, stage)
            alive = store.existing_versions(conn, model_id, history)
            current, target = rollback_pair(history, holders, alive)
            if current is None or target is None:
                holder = current if current is not None else max(holders)
                raise Conflict(
                    f"registered model '{name}' has no earlier {stage} version to roll back to: "
                    f"according to the audit trail, version {holder} is the first existing "
                    f"version to have held {stage}"
                )
            target_row = store.version_row(conn, model_id, name, target)
            demoted_to = stage_before(trail, current, stage)
            # The restored version may leave another protected stage (Production,
            # when Staging is rolled back), and the demoted one may enter one.
            require_manager_if_protected(
                conn, model_id, name, stages=(target_row.current_stage, demoted_to)
            )
            store.update_version(conn, holders[current].version_id, now, current_stage=demoted_to)
            store.update_version(conn, target_row.version_id, now, current_stage=stage)
            archived = audit_event(
                model_id,
                name,
                ROLLBACK,
                current,
                before={"current_stage": stage},
                after={"current_stage": demoted_to, "rolled_back_to": target},
                reason=reason,
                now=now,
            )
            restored = audit_event(
                model_id,
                name,
                ROLLBACK,
                target,
                before={"current_stage": target_row.current_stage},
                after={"current_stage": stage, "rolled_back_from": current},
                reason=reason,
                now=now,
            )
            store.append_events(conn, [archived, restored])
            back = Visibility.of_caller(conn).version(store.get_version(conn, name, target))
            self.publish(conn, [archived, restored])
        return back
