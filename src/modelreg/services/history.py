"""A model's history: the page of its audit trail a person or a page asks for.

The trail outlives the model, so a deleted model's history stays readable by
its name; events are shown as the caller may see them (:mod:`.visibility`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.entities import AuditEvent, PagedList
from modelreg.errors import NotFound
from modelreg.services.visibility import Visibility
from modelreg.store import keyset
from modelreg.store import registry as store
from modelreg.store.database import Database
from modelreg.store.filter_sql import check_max_results

DEFAULT_EVENT_RESULTS = 1000


def model_ids_ever_named(conn: Connection, name: str) -> list[int]:
    """The model of that name, or the deleted ones whose events name it.

    Raises NotFound when no model of that name ever existed."""
    name = v.check_name(name, "model name")
    try:
        return [store.model_id(conn, name)]
    except NotFound:
        model_ids = store.model_ids_named_in_events(conn, name)
        if not model_ids:
            raise
        return model_ids


def model_history(
    db: Database,
    name: str,
    version: int | str | None,
    actions: Sequence[str] | str | None,
    actor: str | None,
    max_results: int | None,
    page_token: str | None,
    newest_first: bool,
) -> PagedList[AuditEvent]:
    """See :meth:`modelreg.services.registry.RegistryService.get_history`."""
    number = None if version is None else v.check_version(version)
    wanted = [actions] if isinstance(actions, str) else list(actions or ())
    for action in wanted:
        v.check_string(action, "action", 64)
    if actor is not None:
        actor = v.check_string(actor, "actor", 256)
    limit = check_max_results(max_results, DEFAULT_EVENT_RESULTS)
    after_id = keyset.decode_id_token(page_token)
    with db.read() as conn:
        found = store.history(
            conn,
            model_ids_ever_named(conn, name),
            version=number,
            actions=wanted,
            actor=actor,
            after_id=after_id,
            newest_first=bool(newest_first),
            limit=limit + 1,
        )
        shown = Visibility.of_caller(conn).events(found[:limit])
    token = keyset.encode_token([found[limit - 1].event_id]) if len(found) > limit else None
    return PagedList(shown, token)
