"""Pages of registered models and model versions, as searches and listings return them.

A page costs a fixed number of queries whatever its size: the rows, then
what hangs off them for the whole page at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Text, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from modelreg.entities import ModelVersion, RegisteredModel
from modelreg.store.registry.versions import VERSIONS, latest_versions_of, versions_from_rows
from modelreg.store.schema import (
    model_aliases,
    model_versions,
    registered_model_tags,
    registered_models,
)

rm = registered_models
mv = model_versions


# A model's tags and aliases ride along with its row as JSON built by a
# correlated subquery. Empty groups give '{}' on SQLite and NULL on PostgreSQL.
class json_object_agg(FunctionElement[str]):  # noqa: N801 (a SQL function name)
    """``{key: value, …}`` as JSON text over a group of rows."""

    type = Text()
    inherit_cache = True


@compiles(json_object_agg, "sqlite")
def _json_object_agg_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"json_group_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object_agg, "postgresql")
def _json_object_agg_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(json_object_agg({compiler.process(element.clauses, **kw)}) AS TEXT)"


def _json_dict(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text and text != "{}" else {}


_MODEL_TAGS = (
    select(json_object_agg(registered_model_tags.c.key, registered_model_tags.c.value))
    .where(registered_model_tags.c.model_id == rm.c.model_id)
    .correlate(rm)
    .scalar_subquery()
    .label("tags_json")
)
_MODEL_ALIASES = (
    select(json_object_agg(model_aliases.c.alias, mv.c.version))
    .join_from(model_aliases, mv, mv.c.version_id == model_aliases.c.version_id)
    .where(model_aliases.c.model_id == rm.c.model_id)
    .correlate(rm)
    .scalar_subquery()
    .label("aliases_json")
)


def fetch_models(
    conn: Connection,
    where: Any,
    order_by: Sequence[Any] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[RegisteredModel]:
    """Models matching ``where`` with their tags, aliases and latest version per stage.

    Three queries: the models (with tags and aliases), their latest
    versions, and those versions' tags and aliases.
    """
    query = select(rm, _MODEL_TAGS, _MODEL_ALIASES).where(where).order_by(*order_by)
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    if not rows:
        return []
    latest: dict[str, list[ModelVersion]] = {r.name: [] for r in rows}
    for version in latest_versions_of(conn, [r.model_id for r in rows]):
        latest[version.name].append(version)
    return [
        RegisteredModel(
            name=r.name,
            description=r.description,
            creation_timestamp=r.creation_time,
            last_updated_timestamp=r.last_updated_time,
            tags=_json_dict(r.tags_json),
            aliases=_json_dict(r.aliases_json),
            latest_versions=tuple(latest[r.name]),
        )
        for r in rows
    ]


def fetch_versions(
    conn: Connection,
    where: Any,
    order_by: Sequence[Any] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[ModelVersion]:
    """Versions matching ``where`` (over ``model_versions`` joined to ``registered_models``).

    Two queries: the versions, then their tags and aliases.
    """
    query = VERSIONS.where(where).order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return versions_from_rows(conn, conn.execute(query).all())
