"""Pages of registered models and model versions, as searches and listings return them.

A page costs a fixed number of queries whatever its size: tags and aliases
come with their rows (see :mod:`modelreg.store.json_agg`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from modelreg.entities import ModelVersion, RegisteredModel
from modelreg.store import keyset
from modelreg.store.json_agg import json_dict, json_object_agg
from modelreg.store.keyset import SortKey
from modelreg.store.registry.versions import VERSIONS, latest_versions_of, version_from_row
from modelreg.store.schema import (
    model_aliases,
    model_versions,
    registered_model_tags,
    registered_models,
)

rm = registered_models
mv = model_versions


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


def fetch_models(conn: Connection, where: Any) -> list[RegisteredModel]:
    """Models matching ``where`` (by name) with their tags, aliases and latest version per stage.

    Two queries whatever the number of models: the models, then their
    latest versions (each with its tags and aliases).
    """
    query = select(rm, _MODEL_TAGS, _MODEL_ALIASES).where(where).order_by(rm.c.name)
    return _models(conn, conn.execute(query).all())


def page_models(
    conn: Connection, where: Any, keys: Sequence[SortKey], limit: int, last: Any
) -> tuple[list[RegisteredModel], list[Any] | None]:
    """A keyset page of models matching ``where`` in the order of ``keys`` (see
    :func:`modelreg.store.keyset.page`), as :func:`fetch_models` reads them."""
    query = select(rm, _MODEL_TAGS, _MODEL_ALIASES).where(where)
    rows, next_key = keyset.page(conn, query, keys, last, limit)
    return _models(conn, rows), next_key


def _models(conn: Connection, rows: Sequence[Any]) -> list[RegisteredModel]:
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
            tags=json_dict(r.tags_json),
            aliases=json_dict(r.aliases_json),
            latest_versions=tuple(latest[r.name]),
        )
        for r in rows
    ]


def fetch_versions(
    conn: Connection, where: Any, order_by: Sequence[Any] = ()
) -> list[ModelVersion]:
    """Versions matching ``where`` (over ``model_versions`` joined to ``registered_models``).

    One query whatever the number of versions.
    """
    query = VERSIONS.where(where).order_by(*order_by)
    return [version_from_row(row) for row in conn.execute(query).all()]


def page_versions(
    conn: Connection, where: Any, keys: Sequence[SortKey], limit: int, last: Any
) -> tuple[list[ModelVersion], list[Any] | None]:
    """A keyset page of versions matching ``where`` in the order of ``keys``; one query."""
    rows, next_key = keyset.page(conn, VERSIONS.where(where), keys, last, limit)
    return [version_from_row(row) for row in rows], next_key
