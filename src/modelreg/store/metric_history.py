"""A metric's history in keyset pages, though its rows have no unique key.

A run may log the same metric at the same step and time, with the same value,
more than once, and every such row is kept (as MLflow keeps them). The page
order is (step, timestamp, is_nan, value), and a page token holds the last
row's key plus how many rows with exactly that key were already shown. The
next page first takes the rest of those twins, then seeks past the key in the
(run, key, step) index: a page costs what the first page costs, however deep,
plus the twins of one key.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, and_, cast, func, select

from modelreg.entities import Metric
from modelreg.errors import InvalidArgument
from modelreg.store import keyset
from modelreg.store.keyset import SortKey
from modelreg.store.schema import metrics

_KEYS = (
    SortKey(metrics.c.step),
    SortKey(metrics.c.timestamp),
    # NaN after numbers at one (step, time); as 0/1, as booleans cannot be ordered by ">".
    SortKey(cast(metrics.c.is_nan, Integer)),
    SortKey(metrics.c.value, nullable=True),
)
_COLUMNS = (metrics.c.value, metrics.c.is_nan, metrics.c.timestamp, metrics.c.step)


def _of(run_id: str, key: str) -> Any:
    return select(*_COLUMNS).where(metrics.c.run_id == run_id, metrics.c.key == key)


def _key(row: Any) -> list[Any]:
    value, is_nan, timestamp, step = row
    return [step, timestamp, int(bool(is_nan)), None if is_nan else value]


def _equal(last: Sequence[Any]) -> Any:
    step, timestamp, is_nan, value = last
    same_value = metrics.c.value.is_(None) if value is None else metrics.c.value == value
    return and_(
        metrics.c.step == step,
        metrics.c.timestamp == timestamp,
        metrics.c.is_nan == bool(is_nan),
        same_value,
    )


# A page token holds finite JSON numbers only; an infinite value is spelled out.
_INFINITIES = {"inf": math.inf, "-inf": -math.inf}


def _encode_value(value: float | None) -> float | str | None:
    if value is not None and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def decode(token: str | None) -> tuple[list[Any], int] | None:
    """The last key and the number of its twins shown, from a page token (None: first page).

    Raises InvalidArgument for a token that is not one of a metric history."""
    last = keyset.decode_token(token)
    if last is None:
        return None
    fits = (
        len(last) == 5
        and all(isinstance(v, int) and not isinstance(v, bool) for v in (last[0], last[1], last[4]))
        and last[2] in (0, 1)
        and (last[3] is None or last[3] in _INFINITIES or isinstance(last[3], int | float))
        and last[4] >= 1
    )
    if not fits:
        raise InvalidArgument(f"page_token {str(token)[:40]!r} is not a metric history page token")
    value = _INFINITIES.get(last[3], last[3]) if isinstance(last[3], str) else last[3]
    return [last[0], last[1], int(last[2]), value], last[4]


def page(
    conn: Connection, run_id: str, key: str, limit: int, after: tuple[list[Any], int] | None
) -> tuple[list[Metric], str | None]:
    """Up to ``limit`` values of metric ``key`` of the run, ordered by step, then time, then
    value, after the position ``after`` (see :func:`decode`); and the next page's token."""
    rows: list[Any] = []
    if after is not None:
        last, shown = after
        twins = _of(run_id, key).where(_equal(last)).limit(shown + limit + 1)
        rows = list(conn.execute(twins).all())[shown:]
    if len(rows) <= limit:
        query = _of(run_id, key)
        if after is not None:
            query = query.where(keyset.after(_KEYS, after[0]))
        query = query.order_by(*keyset.ordering(_KEYS)).limit(limit + 1 - len(rows))
        rows.extend(conn.execute(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    found = [Metric(key, math.nan if n else v, t, s) for v, n, t, s in rows]
    if not more or not rows:
        return found, None
    last_key = _key(rows[-1])
    twins_shown = sum(1 for row in rows if _key(row) == last_key)
    if after is not None and after[0] == last_key:
        twins_shown += after[1]
    step, timestamp, is_nan, value = last_key
    return found, keyset.encode_token([step, timestamp, is_nan, _encode_value(value), twins_shown])


@dataclass(frozen=True)
class HistorySample:
    """What a chart draws of a metric's history: ``points`` as (x, value) in x order, x
    being the step (``axis="step"``) or the milliseconds since the first value
    (``axis="time"``, for a metric logged without steps); how many finite values the
    history holds (``total``); and whether they were more than fit (``sampled``), in
    which case each of the equal x intervals gives its lowest and its highest value:
    the span a line through every value would cover there."""

    points: list[tuple[int, float]]
    total: int
    axis: str
    sampled: bool


def sample(
    conn: Connection, run_id: str, key: str, max_points: int, axis: str | None = None
) -> HistorySample:
    """At most ``max_points`` (≥ 2) of the finite values of metric ``key`` of the run (see
    :class:`HistorySample`), on ``axis``: by default the step, unless every value has
    the same step. The database does the sampling: a bounded number of rows comes back
    however long the history."""
    m = metrics.c
    where = (
        m.run_id == run_id,
        m.key == key,
        m.value.between(-sys.float_info.max, sys.float_info.max),
    )
    stats = select(
        func.count(),
        func.min(m.step),
        func.max(m.step),
        func.min(m.timestamp),
        func.max(m.timestamp),
    )
    total, lo_step, hi_step, first_time, last_time = conn.execute(stats.where(*where)).one()
    if axis is None:
        axis = "time" if total > 1 and lo_step == hi_step else "step"
    if total == 0:
        return HistorySample([], 0, axis, sampled=False)
    x = m.step if axis == "step" else m.timestamp - first_time
    if total <= max_points:
        every = conn.execute(select(x, m.value).where(*where).order_by(x, m.step, m.value))
        return HistorySample([(int(x_), v) for x_, v in every], total, axis, sampled=False)
    lo, hi = (lo_step, hi_step) if axis == "step" else (0, last_time - first_time)
    intervals = max_points // 2
    bucket = (x - lo) // ((hi - lo) // intervals + 1)
    query = select(func.min(x), func.max(x), func.min(m.value), func.max(m.value))
    rows = conn.execute(query.where(*where).group_by(bucket).order_by(func.min(x))).all()
    points: list[tuple[int, float]] = []
    for i, (first, last, low, high) in enumerate(rows):
        # Which of the two came first is not kept: follow the trend of the neighbours, so
        # that a falling curve is drawn falling in each interval too, not as a saw.
        before, after = rows[max(i - 1, 0)], rows[min(i + 1, len(rows) - 1)]
        falling = after[2] + after[3] < before[2] + before[3]
        points.append((int(first), high if falling else low))
        if (first, low) != (last, high):
            points.append((int(last), low if falling else high))
    return HistorySample(points, total, axis, sampled=True)
