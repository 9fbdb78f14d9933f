"""Aliases: named pointers to a model's versions (``champion`` → 3), moved one at a time
or swapped in pairs.

Every move of an alias passes the model's promotion policy for ``@alias``
(``force`` with a reason overrides it), the protection of the alias
(:func:`~modelreg.services.protection_rule.require_manager_if_protected`),
and writes a ``set_alias`` audit event in its transaction; the events go to
``publish`` (the webhook dispatcher) after commit. :class:`AliasMoves` are the
registry's alias methods, :class:`AliasSwap` the protection service's swap.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.entities import ModelVersion
from modelreg.errors import InvalidArgument, NotFound
from modelreg.services import policies
from modelreg.services.audit import Publish, audit_event, record
from modelreg.services.protection_rule import require_manager_if_protected
from modelreg.services.visibility import Visibility
from modelreg.store import registry as store
from modelreg.store.database import Database
from modelreg.timeutil import now_ms

__all__ = ["AliasMoves", "AliasSwap"]


def _point(
    conn: Connection,
    model_id: int,
    name: str,
    alias: str,
    row: Any,
    old: int | None,
    *,
    force: bool,
    reason: str | None,
    now: int,
) -> dict[str, Any]:
    """Points ``alias`` at the version of ``row`` once the policy allows; returns the event."""
    target = f"@{alias}"
    failed = policies.failed_rules(conn, model_id, row, target)
    override = policies.enforce(failed, force=force, name=name, version=row.version, target=target)
    store.set_alias(conn, model_id, alias, row.version_id)
    return audit_event(
        model_id,
        name,
        "set_alias",
        row.version,
        before=None if old is None else {"alias": alias, "version": old},
        after={"alias": alias, "version": row.version, **override},
        reason=reason,
        now=now,
    )


class AliasMoves:
    """The registry's alias methods, on ``db``, publishing to ``publish``."""

    db: Database
    publish: Publish

    def set_registered_model_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        force: bool = False,
        reason: str | None = None,
    ) -> None:
        """Points an alias at a version (moving it), checked against the policy for ``@alias``.

        Raises PolicyViolation (unless ``force`` with a reason), NotFound, InvalidArgument."""
        name = v.check_name(name, "model name")
        alias = v.check_alias(alias)
        number = v.check_version(version)
        reason = v.check_description(reason, "reason")
        force = policies.check_force(force, reason)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            require_manager_if_protected(conn, model_id, name, aliases=(alias,))
            row = store.version_row(conn, model_id, name, number)
            old = store.alias_target(conn, model_id, alias)
            if old == number:
                return
            event = _point(
                conn, model_id, name, alias, row, old, force=force, reason=reason, now=now_ms()
            )
            store.append_events(conn, [event])
            self.publish(conn, [event])

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Removes an alias. Raises NotFound for an unknown model or alias."""
        name = v.check_name(name, "model name")
        alias = v.check_alias_name(alias)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            require_manager_if_protected(conn, model_id, name, aliases=(alias,))
            old = store.alias_target(conn, model_id, alias)
            if old is None:
                raise NotFound(f"registered model '{name}' has no alias '{alias}'")
            store.delete_alias(conn, model_id, alias)
            before = {"alias": alias, "version": old}
            event = record(conn, model_id, name, "delete_alias", version=old, before=before)
            self.publish(conn, [event])

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points to; ``latest`` (reserved, any case) is the highest
        version, as in ``models:/name@latest`` and on MLflow's server. Raises NotFound
        naming the model or alias."""
        name = v.check_name(name, "model name")
        alias = v.check_alias_name(alias)
        with self.db.read() as conn:
            if alias.lower() == "latest":
                found = store.version_from_row(store.newest_version_row(conn, name))
            else:
                found = store.version_by_alias(conn, name, alias)
            return Visibility.of_caller(conn).version(found)


class AliasSwap:
    """Exchanging two aliases in one transaction, on ``db``, publishing to ``publish``."""

    db: Database
    publish: Publish

    def swap_aliases(
        self,
        name: str,
        alias: str,
        other_alias: str,
        reason: str | None = None,
        force: bool = False,
    ) -> dict[str, int]:
        """Points ``alias`` at ``other_alias``'s version and the other way round, atomically.

        Returns alias → version after the swap. Both aliases must exist, and
        each move must pass the model's promotion policy for that alias
        (``force`` with a reason overrides it). Raises ``NotFound``,
        ``InvalidArgument`` for the same alias twice, ``PolicyViolation``,
        ``PermissionDenied`` for a protected alias the caller may not move."""
        name = v.check_name(name, "model name")
        reason = v.check_description(reason, "reason")
        force = policies.check_force(force, reason)
        alias, other_alias = v.check_alias_name(alias), v.check_alias_name(other_alias)
        if alias == other_alias:
            raise InvalidArgument(f"swap_aliases needs two different aliases, got '{alias}' twice")
        now = now_ms()
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            targets = {}
            for a in (alias, other_alias):
                number = store.alias_target(conn, model_id, a)
                if number is None:
                    raise NotFound(f"registered model '{name}' has no alias '{a}'")
                targets[a] = number
            if targets[alias] == targets[other_alias]:
                return targets
            require_manager_if_protected(conn, model_id, name, aliases=(alias, other_alias))
            why = reason or f"swap_aliases('{alias}', '{other_alias}')"
            events = [
                _point(
                    conn,
                    model_id,
                    name,
                    moved,
                    store.version_row(conn, model_id, name, targets[source]),
                    targets[moved],
                    force=force,
                    reason=why,
                    now=now,
                )
                for moved, source in ((alias, other_alias), (other_alias, alias))
            ]
            store.append_events(conn, events)
            self.publish(conn, events)
        return {alias: targets[other_alias], other_alias: targets[alias]}
