"""Turns parsed filter comparisons into SQLAlchemy conditions; shared by every search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_

from modelreg.errors import InvalidArgument
from modelreg.store.search_filter import And, Comparison, Node, Or
from modelreg.validation import check_int

MAX_RESULTS_CAP = 50_000


def compare(column: Any, op: str, value: object) -> ColumnElement[bool]:
    """``column op value`` for every operator of the filter language."""
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "LIKE":
        return column.like(value)
    if op == "NOT LIKE":
        return not_(column.like(value))
    if op == "ILIKE":
        return column.ilike(value)
    if op == "NOT ILIKE":
        return not_(column.ilike(value))
    if op == "IN":
        return column.in_(value)
    if op == "NOT IN":
        return column.not_in(value)
    if op == "IS NULL":
        return column.is_(None)
    if op == "IS NOT NULL":
        return column.is_not(None)
    raise InvalidArgument(f"unsupported operator {op!r}")


def check_value_type(c: Comparison, numeric: bool) -> None:
    """Refuses a string where a number is due and vice versa, naming the field."""
    field = f"{c.prefix}.{c.key}" if c.prefix else c.key
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    if c.op in ("IS NULL", "IS NOT NULL"):
        return
    if numeric:
        if "LIKE" in c.op:
            raise InvalidArgument(f"{field} is numeric; LIKE and ILIKE compare strings")
        if not all(isinstance(v, int | float) for v in values):
            raise InvalidArgument(f"{field} is numeric; compare it with a number, not a string")
    elif not all(isinstance(v, str) for v in values):
        raise InvalidArgument(
            f"{field} holds strings; quote the value, e.g. {field} = '{values[0]}'"
        )


def to_condition(
    node: Node, comparison: Callable[[Comparison], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """Combines comparisons (translated by ``comparison``) with AND / OR."""
    if isinstance(node, And):
        return and_(*(to_condition(n, comparison) for n in node.items))
    if isinstance(node, Or):
        return or_(*(to_condition(n, comparison) for n in node.items))
    return comparison(node)


def check_max_results(max_results: Any, default: int) -> int:
    """A page size: positive, capped at 50,000 (larger requests get the cap)."""
    if max_results is None:
        return default
    digits = max_results.strip() if isinstance(max_results, str) else ""
    if digits.isdigit() and len(digits) > len(str(MAX_RESULTS_CAP)):
        return MAX_RESULTS_CAP  # however many more digits it has
    if isinstance(max_results, int) and not isinstance(max_results, bool):
        max_results = min(max_results, MAX_RESULTS_CAP)
    return min(check_int(max_results, "max_results", minimum=1), MAX_RESULTS_CAP)
