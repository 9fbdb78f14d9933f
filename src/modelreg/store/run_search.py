"""``search_runs``: filters, orderings and keyset pages over runs, answered from indexes.

A page never reads the whole experiment when an index can answer:

- ordered by start time (the default) or another attribute, runs are read in
  index order (experiment, start_time) and each filter is checked per run,
  until the page is full; but on SQLite, when a metric, param or tag term (or
  one on ``datasets.name``) of the filter is rare (fewer than ``_RARE``
  matches in the whole store, counted from its index), the page starts from
  the runs that term matches instead:
  reading in order would pass over ever more runs per match as the store
  grows (PostgreSQL's planner makes that choice from its statistics);
- ordered by one ``metrics.x`` / ``params.x`` / ``tags.x``, the page starts
  from that key's (key, value) index, read in value order; filters on the
  same key narrow that index range. Runs without a value for the key come
  after all those with one (NULLs last), from a second query run only when
  the first did not fill the page;
- ordered by end time or by status alone, the page is read the same way, in
  segments from the (experiment, end_time, start_time) or (experiment,
  status, start_time) index: the runs that ended by end time, then those
  still running; or one status after the other. Newest first within;
- over several experiments (up to ``_MERGED``), a page read in the order of an
  (experiment, …) index is the first runs of each experiment, read from that
  index, merged: the database would otherwise sort every run of them all.
  Over more, PostgreSQL's planner picks between the experiments' indexes and
  the whole store's (start_time, run_id) index by their sizes; on SQLite a
  page ordered by start time walks the newest runs of the store from that
  index, in windows, and keeps those of the experiments searched (for
  experiments too rare for a few windows to fill the page, the rest is sorted).

Other terms on ``datasets.`` (digest, context) are checked per run, as
attributes are; no ``datasets.`` field orders a page.

Page tokens hold the sort key of the last run shown (see :mod:`.keyset`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Select,
    exists,
    func,
    select,
    union_all,
)

from modelreg.entities import Run, RunStatus
from modelreg.errors import InvalidArgument
from modelreg.store.client_digests import mlflow_digest
from modelreg.store.filter_sql import check_value_type, compare, to_condition
from modelreg.store.keyset import SortKey, after, check_fits, ordering, up_to
from modelreg.store.schema import (
    VALUE_PREFIX,
    datasets,
    latest_metrics,
    params,
    run_inputs,
    run_tags,
    runs,
    value_prefix,
)
from modelreg.store.search_filter import And, Comparison, Node, parse_order_by
from modelreg.store.tracking import RUN_COLUMNS, runs_from_rows

_ATTRIBUTES = {
    "run_id": (runs.c.run_id, False),
    "run_name": (runs.c.run_name, False),
    "status": (runs.c.status, False),
    "user_id": (runs.c.user_id, False),
    "artifact_uri": (runs.c.artifact_uri, False),
    "lifecycle_stage": (runs.c.lifecycle_stage, False),
    "start_time": (runs.c.start_time, True),
    "end_time": (runs.c.end_time, True),
    "created": (runs.c.start_time, True),
    # The names of the MLflow UI's columns, which MLflow's server takes too.
    "Created": (runs.c.start_time, True),
    "Run Name": (runs.c.run_name, False),
    "Run name": (runs.c.run_name, False),
    "run name": (runs.c.run_name, False),
}
_ATTRIBUTE_NAMES = sorted(k for k in _ATTRIBUTES if k.isidentifier() and k.islower())
_PREFIXES = {
    None: "attributes",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "parameter": "params",
    "parameters": "params",
    "tag": "tags",
    "tags": "tags",
    "dataset": "datasets",
    "datasets": "datasets",
}
_TABLES = {"metrics": latest_metrics, "params": params, "tags": run_tags}
# A term on a dataset matches a run that used any dataset passing it (as on MLflow):
# two terms may be met by two different datasets of the run.
_DATASET_FIELDS = {
    "name": datasets.c.name,
    "digest": datasets.c.digest,
    "context": run_inputs.c.context,
}
_DATASET_OPS = ("=", "!=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE", "IN", "NOT IN")
_RUN_DATASETS = run_inputs.join(datasets, datasets.c.dataset_id == run_inputs.c.dataset_id)
# Newest first, then by id: every ordering ends with these, so a run's key is unique.
_TIEBREAK = (SortKey(runs.c.start_time, ascending=False), SortKey(runs.c.run_id))
# Operators a (key, value) index range can answer.
_RANGE_OPS = ("=", "<", "<=", ">", ">=", "IN")


def _kind(prefix: str | None, key: str) -> str:
    kind = _PREFIXES.get(prefix.lower() if prefix else None)
    if kind is None:
        raise InvalidArgument(
            f"unknown field '{prefix}.{key}'; use metrics., params., tags., datasets. "
            "or attributes."
        )
    if kind == "attributes" and key not in _ATTRIBUTES:
        raise InvalidArgument(
            f"unknown run attribute '{key}'; known: {', '.join(_ATTRIBUTE_NAMES)}"
        )
    if kind == "datasets" and key not in _DATASET_FIELDS:
        raise InvalidArgument(
            f"unknown dataset field '{key}'; known: {', '.join(sorted(_DATASET_FIELDS))}"
        )
    return kind


def with_tag_names(
    node: Node | None, order_by: Sequence[str], names: Mapping[str, tuple[str, str]]
) -> tuple[Node | None, list[str]]:
    """The filter and ordering with the tags in ``names`` read where modelreg keeps them
    (an API's own names): ``names`` maps a tag key to ``(prefix, key)``, another tag
    (``("tags", "modelreg.parentRunId")``) or a run attribute (``("attributes", "run_name")``)."""

    def rename(n: Node) -> Node:
        if isinstance(n, Comparison):
            tag = n.prefix is not None and _PREFIXES.get(n.prefix.lower()) == "tags"
            if tag and n.key in names:
                prefix, key = names[n.key]
                return replace(n, prefix=prefix, key=key)
            return n
        return type(n)(tuple(rename(item) for item in n.items))

    clauses = []
    for clause in order_by:
        prefix, key, ascending = parse_order_by(clause)
        if prefix is not None and _PREFIXES.get(prefix.lower()) == "tags" and key in names:
            stored_prefix, stored_key = names[key]
            clause = f"{stored_prefix}.`{stored_key}` {'ASC' if ascending else 'DESC'}"
        clauses.append(clause)
    return (None if node is None else rename(node)), clauses


def _sort_kind(prefix: str | None, key: str) -> str:
    kind = _kind(prefix, key)
    if kind == "datasets":
        raise InvalidArgument(
            f"runs cannot be ordered by datasets.{key}: a run may have used several datasets"
        )
    return kind


def value_condition(table: Any, op: str, value: object) -> Any:
    """``table.value op value``, spelled so the (key, value) index of a text table
    (indexed by the value's prefix) can answer it.

    Equality with values shorter than the prefix is the prefix's equality alone:
    the two are the same test, and stating both would make the planner count the
    filter twice (PostgreSQL then expects a tenth of the matches and gives up
    walking an index in order for a top-k page). Longer values and ranges keep
    the exact comparison next to the prefix's."""
    condition = compare(table.c.value, op, value)
    if table.c.value.type.python_type is float or op not in _RANGE_OPS:
        return condition
    prefix = value_prefix(table.c.value)
    if op in ("=", "IN"):
        values = list(value) if op == "IN" else [value]  # type: ignore[call-overload]
        if all(len(str(v)) < VALUE_PREFIX for v in values):
            return compare(prefix, op, value)
    bound: ColumnElement[bool]
    if op == "IN":
        bound = prefix.in_([str(v)[:VALUE_PREFIX] for v in value])  # type: ignore[attr-defined]
    else:
        # A string's prefix orders as the string does, but ties where it does not.
        bound = compare(prefix, {"<": "<=", ">": ">="}.get(op, op), str(value)[:VALUE_PREFIX])
    return bound & condition


def _run_comparison(c: Comparison) -> Any:
    kind = _kind(c.prefix, c.key)
    if kind == "attributes":
        column, numeric = _ATTRIBUTES[c.key]
        check_value_type(c, numeric)
        return compare(column, c.op, c.value)
    if kind == "datasets":
        return _dataset_comparison(c)
    table = _TABLES[kind]
    check_value_type(c, kind == "metrics")
    has_key = (table.c.run_id == runs.c.run_id) & (table.c.key == c.key)
    if c.op == "IS NULL":
        return ~exists().where(has_key)
    if c.op == "IS NOT NULL":
        return exists().where(has_key)
    condition = value_condition(table, c.op, c.value)
    if kind == "metrics" and c.op in ("!=", "NOT IN"):
        # A NaN (a NULL value and a flag) differs from every number, as in IEEE 754
        # and on MLflow; no other comparison matches it.
        condition = condition | table.c.is_nan
    return exists().where(has_key & condition)


def _dataset_comparison(c: Comparison) -> Any:
    if c.op not in _DATASET_OPS:
        raise InvalidArgument(
            f"datasets.{c.key} cannot be compared with {c.op}; use "
            f"{', '.join(_DATASET_OPS[:-1])} or {_DATASET_OPS[-1]}"
        )
    check_value_type(c, numeric=False)
    condition = compare(_DATASET_FIELDS[c.key], c.op, c.value)
    if c.key == "digest":
        # Known by two digests: a term passes on either, a negated one only on both.
        as_mlflow = compare(mlflow_digest(run_inputs.c.source), c.op, c.value)
        condition = (
            condition & (as_mlflow | as_mlflow.is_(None))
            if c.op in ("!=", "NOT LIKE", "NOT ILIKE", "NOT IN")
            else condition | as_mlflow
        )
    return (
        select(run_inputs.c.run_id)
        .select_from(_RUN_DATASETS)
        .where(run_inputs.c.run_id == runs.c.run_id, condition)
        .exists()
    )


def _sort_key(clause: str) -> SortKey:
    prefix, key, ascending = parse_order_by(clause)
    kind = _sort_kind(prefix, key)
    if kind == "attributes":
        column = _ATTRIBUTES[key][0]
        return SortKey(column, ascending, nullable=bool(column.nullable))
    table = _TABLES[kind]
    value = (
        select(table.c.value)
        .where(table.c.run_id == runs.c.run_id, table.c.key == key)
        .scalar_subquery()
    )
    return SortKey(value, ascending, nullable=True)


def _same_key(node: Node | None, kind: str, key: str) -> list[Comparison]:
    """The comparisons on ``kind.key`` that every match must pass (top-level AND terms)."""
    items = node.items if isinstance(node, And) else (node,) if node is not None else ()
    return [
        c
        for c in items
        if isinstance(c, Comparison)
        and c.op in _RANGE_OPS
        and c.prefix is not None
        and _kind(c.prefix, c.key) == kind
        and c.key == key
    ]


def _without(node: Node | None, items: Sequence[Comparison]) -> Node | None:
    """The filter without these top-level AND terms (``None`` when nothing is left)."""
    if node is None or node in items:
        return None
    if not isinstance(node, And):
        return node
    kept = tuple(item for item in node.items if item not in items)
    return None if not kept else kept[0] if len(kept) == 1 else And(kept)


def search_runs(
    conn: Connection,
    experiment_ids: Sequence[int],
    node: Node | None,
    lifecycle_stages: Sequence[str],
    limit: int,
    order_by: Sequence[str],
    last: list[Any] | None,
    token: str | None = None,
) -> tuple[list[Run], list[Any] | None]:
    """A page of runs and the sort key of its last run when more follow (else ``None``).

    ``last`` is the key a page token held (``None`` for the first page);
    ``token`` only names it in errors.
    """
    experiments = list(experiment_ids)
    where: list[ColumnElement[bool]] = [runs.c.lifecycle_stage.in_(list(lifecycle_stages))]
    if len(order_by) == 1:
        prefix, key, ascending = parse_order_by(order_by[0])
        kind = _sort_kind(prefix, key)
        if kind != "attributes":
            segments = _by_value(node, kind, key, ascending)
            return _segmented(conn, experiments, where, segments, limit, last, token)
        if _ATTRIBUTES[key][0] in (runs.c.end_time, runs.c.status):
            segments = _by_attribute(node, _ATTRIBUTES[key][0], ascending)
            return _segmented(conn, experiments, where, segments, limit, last, token)
    keys = [*(_sort_key(clause) for clause in order_by), *_TIEBREAK]
    check_fits(last, keys, token)
    join = None
    # PostgreSQL's planner knows how rare a value is from its statistics; SQLite's does not.
    rare = None if node is None or conn.dialect.name != "sqlite" else _rare_term(conn, node)
    if rare is not None:
        term, matching = rare
        driving = matching.subquery("filter_runs")
        join = (driving, driving.c.run_id == runs.c.run_id)
        # SQLite's documented planner hint: the experiment test keeps most runs, so the
        # few the term matches are the outer loop, not the (experiment, start) index.
        where.append(func.likely(runs.c.experiment_id.in_(experiments), type_=Boolean))
        experiments = []
        node = _without(node, [term])
    if node is not None:
        where.append(to_condition(node, _run_comparison))
    return _result(conn, _page(conn, experiments, where, keys, last, limit + 1, join=join), limit)


# A term with fewer matching values than this drives a page from its index: at
# most this many runs are then read and sorted (a few ms). Counting up to it
# reads at most this many index entries.
_RARE = 1000


def _rare_term(conn: Connection, node: Node) -> tuple[Comparison, Select[Any]] | None:
    """The top-level AND term an index answers with the fewest matches, if under ``_RARE``,
    and the query of the runs it matches (each once)."""
    items = node.items if isinstance(node, And) else (node,)
    fewest: tuple[int, Comparison, Select[Any]] | None = None
    for c in items:
        if not isinstance(c, Comparison) or (matching := _indexed_matches(c)) is None:
            continue
        bounded = matching.limit(_RARE).subquery()
        count = conn.execute(select(func.count()).select_from(bounded)).scalar_one()
        if count < _RARE and (fewest is None or count < fewest[0]):
            fewest = (count, c, matching)
    return None if fewest is None else fewest[1:]


def _indexed_matches(c: Comparison) -> Select[Any] | None:
    """The ids of the runs a term matches, read from an index (``None`` when none answers):
    a metric's, param's or tag's (key, value) index, or the datasets' names."""
    kind = _kind(c.prefix, c.key)
    if kind in _TABLES and c.op in _RANGE_OPS:
        check_value_type(c, kind == "metrics")
        table = _TABLES[kind]
        return select(table.c.run_id).where(
            table.c.key == c.key, value_condition(table, c.op, c.value)
        )
    if kind == "datasets" and c.key == "name" and c.op in ("=", "IN"):
        check_value_type(c, numeric=False)
        # A run may have used several of the datasets, or one in several contexts.
        return (
            select(run_inputs.c.run_id)
            .select_from(_RUN_DATASETS)
            .where(compare(datasets.c.name, c.op, c.value))
            .distinct()
        )
    return None


_N = len(RUN_COLUMNS)
# Up to this many experiments, a page is merged from each one's own first runs. Each part
# costs ~0.2 ms to build and run, what sorting ~250 runs costs: past this, searches of
# many small experiments would pay more than they save.
_MERGED = 20
# Past them, a page ordered by start time walks the store's newest runs in windows
# (see _walked); five, doubling from four pages' worth, read up to 124 pages' worth.
_WINDOWS = 5


def _page(
    conn: Connection,
    experiments: Sequence[int],
    where: list[Any],
    keys: Sequence[SortKey],
    last: Any,
    n: int,
    *mark: int,
    join: tuple[Any, Any] | None = None,
) -> list[tuple[Any, list[Any]]]:
    """Up to ``n`` runs of ``experiments`` after ``last``, each as (run row, its sort key
    with ``mark`` first); ``join`` is a (table, condition) the runs are joined to.
    No ``experiments``: ``where`` says which."""
    if join is None and 1 < len(experiments) <= _MERGED:
        rows = conn.execute(_merged(experiments, where, keys, last, n)).all()
    elif join is None and len(experiments) > _MERGED and _walkable(conn, keys):
        rows = _walked(conn, experiments, where, keys, last, n)
    else:
        if experiments:
            where = [*where, runs.c.experiment_id.in_(list(experiments))]
        rows = conn.execute(_first(select(*RUN_COLUMNS), where, keys, last, n, join)).all()
    return [(row[:_N], [*mark, *row[_N:]]) for row in rows]


def _first(
    columns: Select[Any],
    where: list[Any],
    keys: Sequence[SortKey],
    last: Any,
    n: int,
    join: tuple[Any, Any] | None = None,
) -> Select[Any]:
    """``columns`` and the sort values of the first ``n`` runs meeting ``where`` after
    ``last``, in the order of ``keys``."""
    values = (k.column.label(f"sort_{i}") for i, k in enumerate(keys))
    query = columns.add_columns(*values).where(*where)
    if join is not None:
        query = query.select_from(runs.join(*join))
    if last is not None:
        query = query.where(after(keys, last))
    return query.order_by(*ordering(keys)).limit(n)


def _merged(
    experiments: Sequence[int], where: list[Any], keys: Sequence[SortKey], last: Any, n: int
) -> Select[Any]:
    """The first ``n`` runs over several experiments: the first ``n`` of each, which its
    (experiment, …) index reads in order, then those few sorted together. Each part
    reads only ids and sort values; the runs' rows are read for the page alone."""
    each = [
        _first(select(runs.c.run_id), [*where, runs.c.experiment_id == experiment], keys, last, n)
        .subquery()
        .select()
        for experiment in experiments
    ]
    merged = union_all(*each).subquery("merged")
    values = list(merged.c)[1:]
    merged_keys = [replace(k, column=c) for k, c in zip(keys, values, strict=True)]
    return (
        select(*RUN_COLUMNS, *values)
        .select_from(merged.join(runs, runs.c.run_id == merged.c.run_id))
        .order_by(*ordering(merged_keys))
        .limit(n)
    )


def _walkable(conn: Connection, keys: Sequence[SortKey]) -> bool:
    """Whether a page in the order of ``keys`` walks the (start_time, run_id) index (see
    :func:`_walked`): on SQLite, when it starts with the start time and every key is a
    column of the run that holds no NULL."""
    sqlite = conn.dialect.name == "sqlite"
    return (
        sqlite
        and keys[0].column is runs.c.start_time
        and all(runs.c.contains_column(k.column) and not k.nullable for k in keys)
    )


def _walked(
    conn: Connection,
    experiments: Sequence[int],
    where: list[Any],
    keys: Sequence[SortKey],
    last: Any,
    n: int,
) -> list[Any]:
    """The first ``n`` runs of ``experiments`` meeting ``where`` after ``last``, found by
    walking the store's runs in order, a window at a time: the (start_time, run_id) index
    gives the key a window ends at, then its runs of those experiments are read from
    theirs. Windows double from four pages' worth; after ``_WINDOWS`` of them the experiments
    hold too few of the store's runs, and the rest is one query that sorts theirs.

    On SQLite only: its planner has no statistics to tell a large share of the store's
    runs from a few. PostgreSQL's does, and reads such a page itself from the same index
    or from the experiments' own, by their size."""
    wanted = [*where, runs.c.experiment_id.in_(list(experiments))]
    found: list[Any] = []
    size = 4 * n
    for _ in range(_WINDOWS):
        end = conn.execute(_first(select(), [], keys, last, 1).offset(size - 1)).first()
        if end is None:  # the last window: every run after ``last``
            break
        within = [*wanted, up_to(keys, list(end))]
        found += conn.execute(
            _first(select(*RUN_COLUMNS), within, keys, last, n - len(found))
        ).all()
        if len(found) == n:
            return found
        last, size = list(end), size * 2
    rest = _first(select(*RUN_COLUMNS), wanted, keys, last, n - len(found))
    return found + list(conn.execute(rest).all())


def _result(
    conn: Connection, rows: list[tuple[Any, list[Any]]], limit: int
) -> tuple[list[Run], list[Any] | None]:
    found = runs_from_rows(conn, [row for row, _ in rows[:limit]])
    return found, rows[limit - 1][1] if len(rows) > limit else None


# One part of an ordering read from its own index: the runs meeting its conditions, in
# the order of its keys, joined to a (table, condition) when there is one.
_Segment = tuple[list[Any], list[SortKey], tuple[Any, Any] | None]


def _segmented(
    conn: Connection,
    experiments: Sequence[int],
    where: list[Any],
    segments: Sequence[_Segment],
    limit: int,
    last: list[Any] | None,
    token: str | None,
) -> tuple[list[Run], list[Any] | None]:
    """A page of an ordering made of ``segments``: every run of one comes before those of
    the next, so each is read from an index in its own order and no page sorts them all.
    A run's key is ``[its segment's number, its key in that segment…]``."""
    first = 0 if last is None else last[0]
    if not isinstance(first, int) or not 0 <= first < len(segments):
        check_fits(last, (), token)
    rows: list[tuple[Any, list[Any]]] = []
    for number in range(first, len(segments)):
        conditions, keys, join = segments[number]
        after_key = last[1:] if last is not None and number == first else None
        check_fits(after_key, keys, token)
        rows += _page(
            conn,
            experiments,
            [*where, *conditions],
            keys,
            after_key,
            limit + 1 - len(rows),
            number,
            join=join,
        )
        if len(rows) > limit:
            break
    return _result(conn, rows, limit)


def _filtered(node: Node | None) -> list[Any]:
    return [] if node is None else [to_condition(node, _run_comparison)]


def _by_attribute(node: Node | None, column: Any, ascending: bool) -> list[_Segment]:
    """Ordered by end time (runs that ended, by it, then those that have not) or by status
    (status by status: every write checks it is one of ``RunStatus.ALL``); newest first
    within."""
    if column is runs.c.end_time:
        ended = [SortKey(column, ascending), *_TIEBREAK]
        return [
            ([column.is_not(None), *_filtered(node)], ended, None),
            ([column.is_(None), *_filtered(node)], list(_TIEBREAK), None),
        ]
    statuses = sorted(RunStatus.ALL, reverse=not ascending)
    return [([column == status, *_filtered(node)], list(_TIEBREAK), None) for status in statuses]


def _by_value(node: Node | None, kind: str, key: str, ascending: bool) -> list[_Segment]:
    """Ordered by one metric, param or tag: runs with a value first, from its index, then
    (unless the filter compares that key) those without, newest first."""
    # An alias: the filter's own subqueries on this table must not correlate to it.
    table = _TABLES[kind].alias("sort_values")
    values = [table.c.value] if kind == "metrics" else [value_prefix(table.c.value), table.c.value]
    with_value = [SortKey(v, ascending) for v in values] + list(_TIEBREAK)
    same_key = _same_key(node, kind, key)
    joined = (table.c.run_id == runs.c.run_id) & (table.c.key == key)
    # The filter's own terms on this key are checked on the joined row itself.
    narrowed = [value_condition(table, c.op, c.value) for c in same_key]
    narrowed += _filtered(_without(node, same_key))
    # Stated on the first ordered value, which for params and tags is the indexed
    # prefix: SQLite then sees a range of the (key, value) index it can walk in order.
    segments: list[_Segment] = [([values[0].is_not(None), *narrowed], with_value, (table, joined))]
    if not same_key:  # a filter on the key itself leaves out every run without a value
        without = ~exists().where(
            (table.c.run_id == runs.c.run_id) & (table.c.key == key) & table.c.value.is_not(None)
        )
        segments.append(([without, *_filtered(node)], list(_TIEBREAK), None))
    return segments
