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
    check_value_type(c, numeric)
    return compare(column, c.op, c.value)


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
