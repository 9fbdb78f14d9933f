"""The rule behind protections: what only a model's managers may move.

A model may name aliases (``champion``) and the Production stage as protected
(:mod:`modelreg.services.protections`). On a server with ``--auth``, setting,
moving or deleting a protected alias (or a look-alike of one), and moving a
version into or out of Production on a protected model, then need the
``manage`` role; ``edit`` suffices for the rest. Every such change calls
:func:`require_manager_if_protected` inside its own transaction, so the check
and the change see the same protection. Embedded use and servers without
auth check nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from modelreg.api.route_permissions import role_rank
from modelreg.errors import PermissionDenied
from modelreg.lookalike import lookalike_key
from modelreg.services.principal import current_principal, restricted_user_id
from modelreg.store import access as access_store
from modelreg.store import protections as store

__all__ = ["PRODUCTION", "require_manager_if_protected"]

PRODUCTION = "Production"


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
    user_id = restricted_user_id()
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
        principal = current_principal()
        who = principal.username if principal else "the caller"
        raise PermissionDenied(
            f"{' and '.join(touched)} of registered model '{name}' is protected: only its "
            f"managers may move it, and user '{who}' has the {role or 'no'} role"
        )
