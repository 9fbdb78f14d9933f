"""What a new model version references must be readable by whoever registers it.

A version copies files from its source (a run, or another registered version)
and may name a fine-tuning parent. Registering one is a way to read those:
the version's files and lineage would show them. So the registry checks,
itself and whatever route called it, that the caller may read the source's
model or run, the run named beside it and the parent's model. A reference
the caller may not read answers exactly as a missing one.
"""

from __future__ import annotations

from sqlalchemy import Connection

from modelreg.errors import NotFound
from modelreg.services.principal import restricted_user_id
from modelreg.store import access as store


def require_readable_model(conn: Connection, name: str) -> None:
    """Raises ``NotFound`` (as for a missing model) unless the caller may read model ``name``."""
    user_id = restricted_user_id()
    if user_id is None:
        return
    model_id, role = store.model_access(conn, name, user_id)
    if model_id is None or role is None:
        raise NotFound(f"registered model '{name}' does not exist")


def require_readable_run(conn: Connection, run_id: str | None) -> None:
    """Raises ``NotFound`` (as for a missing run) unless the caller may read run ``run_id``."""
    user_id = restricted_user_id()
    if user_id is None or run_id is None:
        return
    experiment_id, role = store.run_access(conn, run_id, user_id)
    if experiment_id is None or role is None:
        raise NotFound(f"run '{run_id}' does not exist")
