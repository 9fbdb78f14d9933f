"""Links between a run and the logged models it made or used, checked and written inside
the caller's transaction: ``log_outputs``, ``log_inputs(models=)`` and the datasets
recorded with them commit together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from modelreg.api.route_permissions import Permission
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import LOGGED_MODEL_ID_RE, RunModelLink
from modelreg.services import principal
from modelreg.services.authorization import authorize
from modelreg.store import logged_models as store

DIRECTIONS = ("output", "input")


def check_model_id(model_id: Any) -> str:
    """A logged model id (``m-<32 hex>``); anything else is one that does not exist."""
    if not isinstance(model_id, str) or not LOGGED_MODEL_ID_RE.fullmatch(model_id):
        raise NotFound(f"Logged model with ID '{str(model_id)[:80]}' not found.")
    return model_id


def check_links(links: Sequence[RunModelLink]) -> None:
    """Raises ``NotFound`` for a malformed model id, ``InvalidArgument`` for a direction
    other than ``output`` or ``input``."""
    for link in links:
        check_model_id(link.model_id)
        if link.direction not in DIRECTIONS:
            raise InvalidArgument(f"direction {link.direction!r} is not one of {DIRECTIONS}")


def require_model_role(conn: Connection, model_id: str, level: str) -> None:
    """What a route on the model itself checks at the edge, for calls that reach the model
    through another resource's permission (a run's, an experiment's)."""
    caller = principal.current_principal()
    if caller is not None and principal.restricted_user_id() is not None:
        authorize(conn, caller, Permission(level, "logged_model"), {"model_id": model_id})


def link_models(conn: Connection, run_id: str, links: Sequence[RunModelLink]) -> None:
    """Records checked ``links`` of an active run; raises ``NotFound`` for a model that
    does not exist or that the caller may not read (a link would say it exists)."""
    wanted = {x.model_id for x in links}
    missing = wanted - store.existing_ids(conn, wanted)
    if missing:
        raise NotFound(f"Logged model with ID '{sorted(missing)[0]}' not found.")
    for model_id in sorted(wanted):
        require_model_role(conn, model_id, "read")
    store.link_runs(conn, run_id, links)
