"""Model protections: which aliases, and whether the Production stage, only managers may move.

The rule itself is :func:`~modelreg.services.protection_rule.require_manager_if_protected`,
called by every change that moves an alias or a stage. This service reads and
sets a model's protection (audited) and, with :class:`~modelreg.services.aliases.AliasSwap`,
exchanges two aliases (``champion`` ↔ ``challenger``) in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg import validation as v
from modelreg.access_entities import ModelProtection
from modelreg.errors import InvalidArgument
from modelreg.services.aliases import AliasSwap
from modelreg.services.audit import Publish, audit_event
from modelreg.store import protections as store
from modelreg.store import registry as registry_store
from modelreg.store.database import Database
from modelreg.timeutil import now_ms

__all__ = ["ProtectionService"]

MAX_PROTECTED_ALIASES = 100


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


class ProtectionService(AliasSwap):
    """Model protections and the alias swap, on one database.

    ``publish`` receives the audit events of a swap in its transaction (the
    webhook dispatcher, as for the registry's alias moves).
    """

    def __init__(self, db: Database, publish: Publish | None = None) -> None:
        self.db = db
        self.publish = publish or (lambda conn, events: None)

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
                event = audit_event(
                    model_id, name, "set_model_protection", None, before, after, None, now_ms()
                )
                registry_store.append_events(conn, [event])
        return ModelProtection(name, tuple(new_aliases), new_production)
