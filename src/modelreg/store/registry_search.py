"""Filters and ordering for ``search_registered_models`` and ``search_model_versions``.

Filters use the shared language of :mod:`modelreg.store.search_filter`
(``name LIKE 'fraud%' AND tags.team = 'risk'``); this module maps its fields
onto the registry tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import exists, select

from modelreg.entities import STAGES
from modelreg.errors import InvalidArgument
from modelreg.prompts import PROMPT_TAG
from modelreg.store.filter_sql import check_value_type, compare, to_condition
from modelreg.store.keyset import SortKey
from modelreg.store.schema import (
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from modelreg.store.search_filter import Comparison, parse_filter, parse_order_by

rm = registered_models
mv = model_versions


_MODEL_FIELDS = {
    "name": (rm.c.name, False),
    "description": (rm.c.description, False),
    "creation_timestamp": (rm.c.creation_time, True),
    "last_updated_timestamp": (rm.c.last_updated_time, True),
    "timestamp": (rm.c.last_updated_time, True),
}

_VERSION_FIELDS = {
    "name": (rm.c.name, False),
    "version": (mv.c.version, True),
    "version_number": (mv.c.version, True),
    "semver": (mv.c.semver, False),
    "run_id": (mv.c.run_id, False),
    "current_stage": (mv.c.current_stage, False),
    "stage": (mv.c.current_stage, False),
    "source": (mv.c.source, False),
    "source_path": (mv.c.source, False),
    "user_id": (mv.c.user_id, False),
    "status": (mv.c.status, False),
    "description": (mv.c.description, False),
    "content_digest": (mv.c.content_digest, False),
    "creation_timestamp": (mv.c.creation_time, True),
    "last_updated_timestamp": (mv.c.last_updated_time, True),
    "timestamp": (mv.c.last_updated_time, True),
}

_ATTRIBUTE_PREFIXES = (None, "attribute", "attributes")
_TAG_PREFIXES = ("tag", "tags")


def _field(fields: dict[str, tuple[Any, bool]], what: str, prefix: str | None, key: str) -> Any:
    if prefix in _ATTRIBUTE_PREFIXES and key in fields:
        return fields[key]
    shown = f"{prefix}.{key}" if prefix else key
    raise InvalidArgument(
        f"unknown {what} field '{shown}'; use tags.<key> or one of {', '.join(sorted(fields))}"
    )


def _tag_condition(c: Comparison, table: Any, owner_column: Any, owner: Any) -> Any:
    check_value_type(c, numeric=False)
    has_key = (owner_column == owner) & (table.c.key == c.key)
    if c.op == "IS NULL":
        return ~exists().where(has_key)
    if c.op == "IS NOT NULL":
        return exists().where(has_key)
    if c.op == "!=" and c.key == PROMPT_TAG:
        # MLflow's client adds ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every model
        # search, and MLflow's registry counts a model without that tag as no prompt.
        return ~exists().where(has_key & (table.c.value == c.value))
    return exists().where(has_key & compare(table.c.value, c.op, c.value))


def _canonical_stage(value: object) -> object:
    if isinstance(value, str):
        for stage in STAGES:
            if value.lower() == stage.lower():
                return stage
    return value


def _model_comparison(c: Comparison) -> Any:
    if c.prefix in _TAG_PREFIXES:
        t = registered_model_tags
        return _tag_condition(c, t, t.c.model_id, rm.c.model_id)
    column, numeric = _field(_MODEL_FIELDS, "registered model", c.prefix, c.key)
    check_value_type(c, numeric)
    return compare(column, c.op, c.value)


def _version_comparison(c: Comparison) -> Any:
    if c.prefix in _TAG_PREFIXES:
        t = model_version_tags
        return _tag_condition(c, t, t.c.version_id, mv.c.version_id)
    column, numeric = _field(_VERSION_FIELDS, "model version", c.prefix, c.key)
    value = c.value
    if column is mv.c.version:
        # MLflow clients send version numbers as strings.
        value = _digits_to_int(value)
    elif column is mv.c.current_stage:
        value = (
            tuple(_canonical_stage(v) for v in value)
            if isinstance(value, tuple)
            else _canonical_stage(value)
        )
    elif column is mv.c.semver and c.op in ("<", "<=", ">", ">="):
        raise InvalidArgument(
            f"semver {c.op} compares text, not versions; use semver = '…' or resolve a "
            "range such as models:/<name>/^1.2 instead"
        )
    c = Comparison(c.prefix, c.key, c.op, value)
    check_value_type(c, numeric)
    if column is rm.c.name and c.op == "=" and isinstance(value, str):
        return compare(column, c.op, value) & (mv.c.model_id == _model_id_named(value))
    return compare(column, c.op, value)


# ``name = 'x'`` also pins the versions' model id to a value known before the scan,
# so PostgreSQL walks that model's (model_id, version) index newest first and stops
# at a page, instead of joining every version of every model and sorting them.
_NAMED = registered_models.alias("named_model")


def _model_id_named(name: str) -> Any:
    return select(_NAMED.c.model_id).where(_NAMED.c.name == name).scalar_subquery()


def _digits_to_int(value: object) -> object:
    if isinstance(value, tuple):
        return tuple(_digits_to_int(v) for v in value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def without_prompts(filter_string: str | None) -> str:
    """The filter as MLflow's server applies it to a model or version search: prompts
    are left out unless the filter compares the prompt tag itself.

    Raises ``InvalidArgument`` for a malformed filter."""
    node = parse_filter(filter_string)

    def asks(n: Any) -> bool:
        if isinstance(n, Comparison):
            return n.prefix in _TAG_PREFIXES and n.key == PROMPT_TAG
        return any(asks(item) for item in n.items)

    if node is not None and asks(node):
        return str(filter_string)
    exclusion = f"tags.`{PROMPT_TAG}` != 'true'"
    return exclusion if node is None else f"({filter_string}) AND {exclusion}"


def model_filter(filter_string: str | None, everything: Any) -> Any:
    """The condition of a registered-model filter; ``everything`` when it is blank.

    Raises ``InvalidArgument`` for a malformed filter (on every call)."""
    return _filter(filter_string, _model_comparison, everything)


def version_filter(filter_string: str | None, everything: Any) -> Any:
    """The condition of a model-version filter; ``everything`` when it is blank.

    Raises ``InvalidArgument`` for a malformed filter (on every call)."""
    return _filter(filter_string, _version_comparison, everything)


Translate = Callable[[Comparison], Any]


def _filter(filter_string: str | None, comparison: Translate, everything: Any) -> Any:
    if isinstance(filter_string, str) and len(filter_string) <= _CACHED_FILTER_LENGTH:
        built = _built(filter_string, comparison)
    else:
        built = _condition(filter_string, comparison)
    return everything if built is None else built


# Dashboards and serving code repeat the same few filters, and building the SQL
# expression of one was a fifth of a 50-version search at 20k versions. Keyed by
# the text (equal-looking filters of other types never share an entry); a filter
# that is refused raises and is not kept; expressions are never changed once built.
_CACHED_FILTER_LENGTH = 1000


@lru_cache(maxsize=256)
def _built(filter_string: str, comparison: Translate) -> Any:
    return _condition(filter_string, comparison)


def _condition(filter_string: str | None, comparison: Translate) -> Any:
    node = parse_filter(filter_string)
    return None if node is None else to_condition(node, comparison)


def _ordering(
    fields: dict[str, tuple[Any, bool]], what: str, order_by: Sequence[str] | str | None
) -> list[SortKey]:
    if isinstance(order_by, str):
        order_by = [order_by]
    keys = []
    for clause in order_by or ():
        prefix, key, ascending = parse_order_by(clause)
        column, _ = _field(fields, what, prefix, key)
        keys.append(SortKey(column, ascending, nullable=bool(column.nullable)))
    return keys


def model_order(order_by: Sequence[str] | str | None) -> list[SortKey]:
    """``order_by`` clauses (``name``, ``last_updated_timestamp DESC`` …), then by name
    (unique: the keys of a keyset page)."""
    return _ordering(_MODEL_FIELDS, "registered model", order_by) + [SortKey(rm.c.name)]


def version_order(order_by: Sequence[str] | str | None) -> list[SortKey]:
    """``order_by`` clauses, then by model name and newest version first (unique)."""
    return _ordering(_VERSION_FIELDS, "model version", order_by) + [
        SortKey(rm.c.name),
        SortKey(mv.c.version, ascending=False),
    ]
