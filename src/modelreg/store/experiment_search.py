"""Filters and ordering for ``search_experiments``: ``name LIKE 'x%'``, ``tags.team = 'a'``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists

from modelreg.errors import InvalidArgument
from modelreg.store.filter_sql import check_value_type, compare, to_condition
from modelreg.store.keyset import SortKey
from modelreg.store.schema import experiment_tags, experiments
from modelreg.store.search_filter import Comparison, Node, parse_order_by

_ATTRIBUTES = {
    "name": (experiments.c.name, False),
    "experiment_id": (experiments.c.experiment_id, True),
    "creation_time": (experiments.c.creation_time, True),
    "last_update_time": (experiments.c.last_update_time, True),
}


def _attribute(prefix: str | None, key: str) -> tuple[Any, bool]:
    if prefix in (None, "attribute", "attributes") and key in _ATTRIBUTES:
        return _ATTRIBUTES[key]
    raise InvalidArgument(
        f"unknown experiment field '{prefix + '.' if prefix else ''}{key}'; "
        f"use tags.<key> or one of {', '.join(sorted(_ATTRIBUTES))}"
    )


def _comparison(c: Comparison) -> Any:
    if c.prefix in ("tag", "tags"):
        check_value_type(c, numeric=False)
        has_key = (experiment_tags.c.experiment_id == experiments.c.experiment_id) & (
            experiment_tags.c.key == c.key
        )
        if c.op == "IS NULL":
            return ~exists().where(has_key)
        if c.op == "IS NOT NULL":
            return exists().where(has_key)
        return exists().where(has_key & compare(experiment_tags.c.value, c.op, c.value))
    column, numeric = _attribute(c.prefix, c.key)
    if c.key == "experiment_id":
        return compare(column, c.op, _experiment_ids(c))
    check_value_type(c, numeric)
    return compare(column, c.op, c.value)


_ID_OPS = ("=", "!=", "IN", "NOT IN")


def _experiment_ids(c: Comparison) -> object:
    """The ids an ``experiment_id`` term names: quoted, as the API spells ids ('7'), or
    bare numbers; compared for (in)equality only, as on MLflow."""
    if c.op not in _ID_OPS:
        raise InvalidArgument(
            f"experiment_id cannot be compared with {c.op}; use =, !=, IN or NOT IN"
        )
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    ids = []
    for value in values:
        text = str(value)
        digits = text.isascii() and text.isdigit() and len(text) <= 18  # fits in int64
        if isinstance(value, float) or not digits:
            raise InvalidArgument(
                f"experiment_id is compared with experiment ids such as '7', not {value!r:.40}"
            )
        ids.append(int(text))
    return tuple(ids) if isinstance(c.value, tuple) else ids[0]


def experiment_condition(node: Node) -> Any:
    return to_condition(node, _comparison)


def experiment_order(order_by: Sequence[str]) -> list[SortKey]:
    """``order_by`` clauses, then newest first and by id (unique: keys of a keyset page)."""
    keys = []
    for clause in order_by:
        prefix, key, ascending = parse_order_by(clause)
        column, _ = _attribute(prefix, key)
        keys.append(SortKey(column, ascending))
    return [
        *keys,
        SortKey(experiments.c.creation_time, ascending=False),
        SortKey(experiments.c.experiment_id, ascending=False),
    ]
