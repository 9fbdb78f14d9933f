"""Keyset pagination: a page token holds the sort key of the last row shown, never an offset.

A page is ``WHERE <after the last key> ORDER BY <keys> LIMIT n``, so page
1,000 costs what page 1 costs: the database seeks to the key in an index
instead of reading and dropping every earlier row. Every paged list orders
by keys that end in a unique column, so the key of a row is the row's place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, false, not_, or_

from modelreg.errors import InvalidArgument
from modelreg.validation import check_storable

MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: an expression, its direction, and whether it may be NULL
    (NULLs sort last in either direction)."""

    column: Any
    ascending: bool = True
    nullable: bool = False

    def order(self) -> Any:
        term = self.column.asc() if self.ascending else self.column.desc()
        # SQLite and PostgreSQL disagree where NULLs go; spell it out where there can be any.
        return term.nulls_last() if self.nullable else term


def ordering(keys: Sequence[SortKey]) -> list[Any]:
    """The ORDER BY terms of ``keys``."""
    return [key.order() for key in keys]


def after(keys: Sequence[SortKey], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows that come after the row whose sort key is ``last`` in the order of ``keys``.

    Lexicographic: beyond on the first key, or equal on it and beyond on the
    next, and so on. The first key is also bounded on its own (``<=`` or
    ``>=``), which an index on it can seek to.
    """
    terms = []
    equal: list[Any] = []
    for key, value in zip(keys, last, strict=True):
        terms.append(and_(*equal, _beyond(key, value)))
        equal.append(key.column.is_(None) if value is None else key.column == value)
    condition = or_(*terms)
    first, value = keys[0], last[0]
    if value is None:
        return condition
    bound = first.column >= value if first.ascending else first.column <= value
    if first.nullable:
        bound = bound | first.column.is_(None)
    return and_(bound, condition)


def up_to(keys: Sequence[SortKey], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows that come at or before the row whose sort key is ``last``: those :func:`after`
    leaves out, for keys that hold no NULL. The first key is bounded on its own, so an
    index on it reads a range."""
    first = keys[0]
    bound = first.column <= last[0] if first.ascending else first.column >= last[0]
    return and_(bound, not_(after(keys, last)))


def _beyond(key: SortKey, value: Any) -> Any:
    if value is None:  # NULLs come last: nothing but other NULLs follows one
        return false()
    beyond = key.column > value if key.ascending else key.column < value
    return beyond | key.column.is_(None) if key.nullable else beyond


def encode_token(last: Sequence[Any], search: Any = None) -> str:
    """The page token that continues after the row whose sort key is ``last``.

    ``search`` (the search's parameters but the page size, as JSON-able values)
    is kept as a fingerprint, so :func:`decode_token` refuses the token for
    another search rather than continuing it somewhere arbitrary.
    """
    body: dict[str, Any] = {"after": list(last)}
    if search is not None:
        body["for"] = _fingerprint(search)
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode()


def _fingerprint(search: Any) -> str:
    text = json.dumps(search, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def searched(filter_string: str | None, order_by: Sequence[str] | str | None) -> list[Any]:
    """A filter and an order_by as a search's fingerprint holds them: no filter and an
    empty one alike, one clause as a list of one."""
    clauses = [order_by] if isinstance(order_by, str) else list(order_by or ())
    return [filter_string or "", clauses]


def decode_token(token: str | None, search: Any = None) -> list[Any] | None:
    """The sort key a page token holds (``None`` for the first page).

    Raises ``InvalidArgument`` for a token that is forged, broken or too long,
    or that was made for another ``search`` than this one (see :func:`encode_token`).
    """
    if not token:
        return None
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidArgument(f"page_token {str(token)[:40]!r} is not a valid page token")
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        last = body["after"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidArgument(f"page_token {token[:40]!r} is not a valid page token") from exc
    if not isinstance(last, list) or not last or not all(_scalar(v) for v in last):
        raise InvalidArgument(f"page_token {token[:40]!r} is not a valid page token")
    if search is not None and body.get("for") != _fingerprint(search):
        raise InvalidArgument(
            f"page_token {token[:40]!r} belongs to another search (filter or order_by)"
        )
    return last


def _scalar(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63  # what a BIGINT holds
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        check_storable(value, "page_token")
        return True
    return value is None


def check_fits(last: Sequence[Any] | None, keys: Sequence[SortKey], token: str | None) -> None:
    """Refuses a token made for another ordering: its key must have one value per sort
    key, of the key's type (a number for a number), NULL only where the key may be."""
    if last is None:
        return
    if len(last) != len(keys) or not all(_fits(v, k) for v, k in zip(last, keys, strict=True)):
        raise InvalidArgument(
            f"page_token {str(token)[:40]!r} belongs to another search (filter or order_by)"
        )


def _fits(value: Any, key: SortKey) -> bool:
    if value is None:
        return key.nullable
    try:
        wanted = key.column.type.python_type
    except NotImplementedError:
        return True
    if wanted in (int, float):
        return isinstance(value, int | float)
    return isinstance(value, wanted)


def page(
    conn: Connection, query: Select[Any], keys: Sequence[SortKey], last: Any, limit: int
) -> tuple[list[Any], list[Any] | None]:
    """Up to ``limit`` rows of ``query`` after the key ``last``, in the order of ``keys``,
    and the key of the last of them when more follow (else ``None``).

    The keys' values are added at the end of each row, after the query's own columns.
    """
    query = query.add_columns(*(key.column for key in keys))
    if last is not None:
        query = query.where(after(keys, last))
    rows = conn.execute(query.order_by(*ordering(keys)).limit(limit + 1)).all()
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), list(rows[limit - 1][-len(keys) :])


def decode_id_token(token: str | None) -> int | None:
    """The id a page token of a list ordered by one integer id holds (``None`` first).

    Raises ``InvalidArgument`` for any other token."""
    last = decode_token(token)
    if last is None:
        return None
    if len(last) != 1 or not isinstance(last[0], int):
        raise InvalidArgument(f"page_token {str(token)[:40]!r} is not a valid page token")
    return last[0]
