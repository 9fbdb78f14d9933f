"""Protected aliases and stages: what only a model's managers may move.

A model may name aliases (``champion``) and the Production stage as
protected. On a server with ``--auth``, setting, moving or deleting a
protected alias, and moving a version into or out of Production on a
protected model, then need the ``manage`` role; ``edit`` suffices for the
rest. The registry calls :func:`require_manager_if_protected` inside the
transaction of each such change, so the check and the change see the same
protection. Embedded use and servers without auth check nothing.

``swap_aliases`` exchanges two aliases (``champion`` ↔ ``challenger``) in one
transaction, with an audit event per alias moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.access_entities import ModelProtection
from modelreg.actor import current_actor
from modelreg.api.route_permissions import role_rank
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.lookalike import lookalike_key
from modelreg.services import access, policies
from modelreg.store import access as access_store
from modelreg.store import protections as store
from modelreg.store import registry as registry_store
from modelreg.store.database import Database
from modelreg.timeutil import now_ms

__all__ = ["ProtectionService", "require_manager_if_protected"]

PRODUCTION = "Production"
MAX_PROTECTED_ALIASES = 100


def require_manager_if_protected(
    conn: Connection,
    model_id: int,
    name: str,
    *,
    aliases: Iterable[str] = (),
    stages: Iterable[str] = (),
) -> None:
    """Raises ``PermissionDenied`` when a change touching ``aliases`` or ``stages`` (a
    version's old and new stage) moves something protected and the caller is no manager."""
    user_id = access.restricted_user_id()
    if user_id is None:
        return
    protected_aliases, protect_production = store.protection(conn, model_id)
    # A look-alike of a protected alias is protected too, whether or not the alias exists.
    protected_keys = {lookalike_key(a) for a in protected_aliases}
    touched = [f"alias '{a}'" for a in aliases if lookalike_key(a) in protected_keys]
    if protect_production and PRODUCTION in stages:
        touched.append("the Production stage")
    if not touched:
        return
    role = access_store.role_on(conn, access_store.MODEL, model_id, user_id)
    if role_rank(role) < role_rank("manage"):
        principal = access.current_principal()
        who = principal.username if principal else "the caller"
        raise PermissionDenied(
            f"{' and '.join(touched)} of registered model '{name}' is protected: only its "
            f"managers may move it, and user '{who}' has the {role or 'no'} role"
        )


def _check_alias_list(aliases: Any) -> list[str]:
    if isinstance(aliases, str) or not isinstance(aliases, Sequence):
        raise InvalidArgument("protected_aliases must be a list of alias names")
    if len(aliases) > MAX_PROTECTED_ALIASES:
        raise InvalidArgument(
            f"protected_aliases lists {len(aliases)} aliases; the limit is {MAX_PROTECTED_ALIASES}"
        )
    checked: list[str] = []
    for alias in aliases:
        if (
            not isinstance(alias, str)
            or not alias
            or len(alias) > 256
            or not all(ch.isalnum() or ch in "_-." for ch in alias)
        ):
            raise InvalidArgument(
                f"protected alias {alias!r:.60} must be a non-empty name of letters, digits, "
                "'_', '-' and '.'"
            )
        if alias not in checked:
            checked.append(alias)
    return sorted(checked)


def _event(
    model_id: int,
    name: str,
    action: str,
    version: int | None,
    before: Any,
    after: Any,
    reason: str | None,
    now: int,
) -> dict[str, Any]:
    return {
        "timestamp": now,
        "actor": current_actor(),
        "action": action,
        "model_id": model_id,
        "model_name": name,
        "version": version,
        "before": before,
        "after": after,
        "reason": reason,
    }


class ProtectionService:
    """Model protections and the alias swap, on one database.

    ``publish`` receives the audit events of a swap after it committed (the
    webhook dispatcher, as for the registry's alias moves).
    """

    def __init__(
        self, db: Database, publish: Callable[[list[dict[str, Any]]], None] | None = None
    ) -> None:
        self.db = db
        self.publish = publish or (lambda events: None)

    def get_model_protection(self, name: str) -> ModelProtection:
        """What is protected on a model (nothing unless set). Raises ``NotFound``."""
        name = v.check_name(name, "model name")
        with self.db.read() as conn:
            aliases, production = store.protection(conn, registry_store.model_id(conn, name))
        return ModelProtection(name, tuple(aliases), production)

    def set_model_protection(
        self,
        name: str,
        protected_aliases: Sequence[str] | None = None,
        protect_production: bool | None = None,
    ) -> ModelProtection:
        """Sets which aliases, and whether the Production stage, only managers may move.

        ``None`` keeps a setting as it is. Audited. Raises ``NotFound``,
        ``InvalidArgument``."""
        name = v.check_name(name, "model name")
        aliases = None if protected_aliases is None else _check_alias_list(protected_aliases)
        if protect_production is not None and not isinstance(protect_production, bool):
            raise InvalidArgument("protect_production must be True or False")
        with self.db.write() as conn:
            model_id = registry_store.model_id(conn, name, lock=True)
            old_aliases, old_production = store.protection(conn, model_id)
            new_aliases = old_aliases if aliases is None else aliases
            new_production = old_production if protect_production is None else protect_production
            if (new_aliases, new_production) != (old_aliases, old_production):
                store.set_protection(conn, model_id, new_aliases, new_production)
                before = {"protected_aliases": old_aliases, "protect_production": old_production}
                after = {"protected_aliases": new_aliases, "protect_production": new_production}
                event = _event(
                    model_id, name, "set_model_protection", None, before, after, None, now_ms()
                )
                registry_store.append_events(conn, [event])
        return ModelProtection(name, tuple(new_aliases), new_production)

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
        for value in (alias, other_alias):
            if not isinstance(value, str) or not value:
                raise InvalidArgument(f"alias must be a non-empty string, got {value!r:.40}")
        if alias == other_alias:
            raise InvalidArgument(f"swap_aliases needs two different aliases, got '{alias}' twice")
        now = now_ms()
        with self.db.write() as conn:
            model_id = registry_store.model_id(conn, name, lock=True)
            targets = {}
            for a in (alias, other_alias):
                number = registry_store.alias_target(conn, model_id, a)
                if number is None:
                    raise NotFound(f"registered model '{name}' has no alias '{a}'")
                targets[a] = number
            if targets[alias] == targets[other_alias]:
                return targets
            require_manager_if_protected(conn, model_id, name, aliases=(alias, other_alias))
            events = []
            for moved, source in ((alias, other_alias), (other_alias, alias)):
                number = targets[source]
                row = registry_store.version_row(conn, model_id, name, number)
                failed = policies.failed_rules(conn, model_id, row, f"@{moved}")
                override = policies.enforce(
                    failed, force=force, name=name, version=number, target=f"@{moved}"
                )
                registry_store.set_alias(conn, model_id, moved, row.version_id)
                before = {"alias": moved, "version": targets[moved]}
                after = {"alias": moved, "version": number, **override}
                why = reason or f"swap_aliases('{alias}', '{other_alias}')"
                events.append(_event(model_id, name, "set_alias", number, before, after, why, now))
            registry_store.append_events(conn, events)
        self.publish(events)
        return {alias: targets[other_alias], other_alias: targets[alias]}
