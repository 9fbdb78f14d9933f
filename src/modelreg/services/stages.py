"""Stages and the stage history that ``rollback`` reads from the audit trail.

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
from typing import Any

from modelreg.entities import AuditEvent
from modelreg.errors import InvalidArgument

STAGES = ("None", "Staging", "Production", "Archived")
ACTIVE_STAGES = ("Staging", "Production")
ARCHIVED = "Archived"
PRODUCTION = "Production"
TRANSITION = "transition_stage"
ROLLBACK = "rollback"

_CANONICAL = {s.lower(): s for s in STAGES}


def check_stage(stage: Any) -> str:
    """A stage name in any case, returned canonical (``production`` → ``Production``).

    Raises ``InvalidArgument`` listing the stages.
    """
    if isinstance(stage, str) and stage.lower() in _CANONICAL:
        return _CANONICAL[stage.lower()]
    raise InvalidArgument(f"stage {stage!r:.40} is not one of {', '.join(STAGES)}")


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
