"""SQL for experiments, runs, params, metrics and tags.

Every function takes an open connection; the caller (the tracking service)
decides the transaction. Statements used on hot paths are built once at
import time so each call only binds parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from modelreg.entities import Experiment, Metric, Run, RunData, RunInfo
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.store.database import executemany
from modelreg.store.filter_sql import check_value_type, compare, to_condition
from modelreg.store.schema import (
    experiment_tags,
    experiments,
    latest_metrics,
    metrics,
    params,
    run_tags,
    runs,
)
from modelreg.store.search_filter import Comparison, Node, parse_order_by

ACTIVE = "active"
DELETED = "deleted"

# -- experiments ---------------------------------------------------------------


def insert_experiment(
    conn: Connection, name: str, artifact_location: str | None, tags: dict[str, str], now: int
) -> str:
    try:
        with conn.begin_nested():
            experiment_id = conn.execute(
                insert(experiments)
                .values(
                    name=name,
                    artifact_location="",
                    lifecycle_stage=ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
                .returning(experiments.c.experiment_id)
            ).scalar_one()
    except SAIntegrityError as exc:
        raise AlreadyExists(f"an experiment named '{name}' already exists") from exc
    location = artifact_location or f"mlflow-artifacts:/{experiment_id}"
    conn.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(artifact_location=location)
    )
    upsert_experiment_tags(conn, experiment_id, tags)
    return str(experiment_id)


def upsert_experiment_tags(conn: Connection, experiment_id: int, tags: dict[str, str]) -> None:
    if tags:
        upsert(
            conn,
            experiment_tags,
            [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in tags.items()],
            ("experiment_id", "key"),
            ("value",),
        )


def _experiment_from_row(row: Any, tags: dict[str, str]) -> Experiment:
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        lifecycle_stage=row.lifecycle_stage,
        tags=tags,
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
    )


def _experiment_tags(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        rows = conn.execute(select(experiment_tags).where(experiment_tags.c.experiment_id.in_(ids)))
        for r in rows:
            out[r.experiment_id][r.key] = r.value
    return out


def fetch_experiments(
    conn: Connection,
    where: Any,
    order_by: Sequence[Any] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[Experiment]:
    query = select(experiments).where(where).order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    tags = _experiment_tags(conn, [r.experiment_id for r in rows])
    return [_experiment_from_row(r, tags[r.experiment_id]) for r in rows]


def experiment_id_int(experiment_id: Any) -> int:
    """Experiment ids travel as strings ("0", "17"); stored as integers."""
    try:
        value = int(str(experiment_id))
    except ValueError:
        raise NotFound(f"experiment '{experiment_id}' does not exist") from None
    if value < 0 or value > 2**31 - 1:
        raise NotFound(f"experiment '{experiment_id}' does not exist")
    return value


_EXPERIMENT_HEAD = select(experiments.c.lifecycle_stage, experiments.c.artifact_location).where(
    experiments.c.experiment_id == bindparam("experiment_id")
)


def experiment_head(conn: Connection, experiment_id: Any) -> tuple[str, str]:
    """``(lifecycle_stage, artifact_location)`` of an experiment, with one indexed query."""
    row = conn.execute(
        _EXPERIMENT_HEAD, {"experiment_id": experiment_id_int(experiment_id)}
    ).first()
    if row is None:
        raise NotFound(f"experiment '{experiment_id}' does not exist")
    return row.lifecycle_stage, row.artifact_location


def get_experiment(conn: Connection, experiment_id: Any) -> Experiment:
    found = fetch_experiments(conn, experiments.c.experiment_id == experiment_id_int(experiment_id))
    if not found:
        raise NotFound(f"experiment '{experiment_id}' does not exist")
    return found[0]


def set_experiment_fields(conn: Connection, experiment_id: Any, now: int, **values: Any) -> None:
    try:
        with conn.begin_nested():
            result = conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == experiment_id_int(experiment_id))
                .values(last_update_time=now, **values)
            )
    except SAIntegrityError as exc:
        raise AlreadyExists(f"an experiment named '{values.get('name')}' already exists") from exc
    if result.rowcount == 0:
        raise NotFound(f"experiment '{experiment_id}' does not exist")


# -- runs ----------------------------------------------------------------------

_RUN_COLUMNS = (
    runs.c.run_id,
    runs.c.experiment_id,
    runs.c.run_name,
    runs.c.user_id,
    runs.c.status,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.artifact_uri,
    runs.c.lifecycle_stage,
)

_SELECT_RUN = select(*_RUN_COLUMNS).where(runs.c.run_id == bindparam("run_id"))

_RUN_DATA = union_all(
    select(
        literal_column("'p'").label("kind"),
        params.c.run_id,
        params.c.key,
        params.c.value,
        cast(null(), Float).label("num"),
        false().label("is_nan"),
    ).where(params.c.run_id.in_(bindparam("ids", expanding=True))),
    select(
        literal_column("'t'"),
        run_tags.c.run_id,
        run_tags.c.key,
        run_tags.c.value,
        cast(null(), Float),
        false(),
    ).where(run_tags.c.run_id.in_(bindparam("ids", expanding=True))),
    select(
        literal_column("'m'"),
        latest_metrics.c.run_id,
        latest_metrics.c.key,
        cast(null(), Text),
        latest_metrics.c.value,
        latest_metrics.c.is_nan,
    ).where(latest_metrics.c.run_id.in_(bindparam("ids", expanding=True))),
)

_RUN_LIFECYCLE = select(runs.c.lifecycle_stage).where(runs.c.run_id == bindparam("run_id"))


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        run_id=row.run_id,
        experiment_id=str(row.experiment_id),
        run_name=row.run_name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=row.lifecycle_stage,
    )


def _metric_value(value: float | None, is_nan: bool) -> float:
    return math.nan if is_nan else float(value)  # type: ignore[arg-type]


def _runs_from_rows(conn: Connection, rows: Sequence[Any]) -> list[Run]:
    if not rows:
        return []
    data: dict[str, tuple[dict, dict, dict]] = {r.run_id: ({}, {}, {}) for r in rows}
    for kind, run_id, key, value, num, is_nan in conn.execute(_RUN_DATA, {"ids": list(data)}):
        p, m, t = data[run_id]
        if kind == "p":
            p[key] = value
        elif kind == "t":
            t[key] = value
        else:
            m[key] = _metric_value(num, is_nan)
    return [
        Run(
            _run_info(r),
            RunData(params=data[r.run_id][0], metrics=data[r.run_id][1], tags=data[r.run_id][2]),
        )
        for r in rows
    ]


_INSERT_RUN = insert(runs)
_INSERT_RUN_TAG = insert(run_tags)


def insert_run(conn: Connection, info: RunInfo, tags: dict[str, str]) -> None:
    row = {c.name: getattr(info, c.name) for c in _RUN_COLUMNS}
    row["experiment_id"] = int(info.experiment_id)
    executemany(conn, _INSERT_RUN, [row])
    if tags:
        rows = [{"run_id": info.run_id, "key": k, "value": v} for k, v in tags.items()]
        executemany(conn, _INSERT_RUN_TAG, rows)


def get_run(conn: Connection, run_id: str) -> Run:
    row = conn.execute(_SELECT_RUN, {"run_id": run_id}).first()
    if row is None:
        raise NotFound(f"run '{run_id}' does not exist")
    return _runs_from_rows(conn, [row])[0]


def get_run_info(conn: Connection, run_id: str) -> RunInfo:
    row = conn.execute(_SELECT_RUN, {"run_id": run_id}).first()
    if row is None:
        raise NotFound(f"run '{run_id}' does not exist")
    return _run_info(row)


def require_active_run(conn: Connection, run_id: str) -> None:
    """Raises NotFound for an unknown run, Conflict-like InvalidArgument for a deleted one."""
    stage = conn.execute(_RUN_LIFECYCLE, {"run_id": run_id}).scalar()
    if stage is None:
        raise NotFound(f"run '{run_id}' does not exist")
    if stage != ACTIVE:
        raise InvalidArgument(f"run '{run_id}' is deleted; restore it before logging to it")


def update_run(conn: Connection, run_id: str, **values: Any) -> None:
    result = conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))
    if result.rowcount == 0:
        raise NotFound(f"run '{run_id}' does not exist")


# -- params, metrics, tags -------------------------------------------------------


def insert_params(conn: Connection, run_id: str, items: dict[str, str]) -> None:
    """Inserts params; re-logging the same value is a no-op, a different value is refused."""
    if not items:
        return
    upsert(
        conn,
        params,
        [{"run_id": run_id, "key": k, "value": v} for k, v in items.items()],
        ("run_id", "key"),
        (),
    )
    stored = conn.execute(
        select(params.c.key, params.c.value).where(
            params.c.run_id == run_id, params.c.key.in_(list(items))
        )
    )
    for key, value in stored:
        if items[key] != value:
            raise InvalidArgument(
                f"param '{key}' of run '{run_id}' was logged as {value!r:.80}; "
                f"it cannot be changed to {items[key]!r:.80} (params are immutable)"
            )


def upsert_run_tags(conn: Connection, run_id: str, tags: dict[str, str]) -> None:
    if tags:
        upsert(
            conn,
            run_tags,
            [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()],
            ("run_id", "key"),
            ("value",),
        )


def delete_run_tag(conn: Connection, run_id: str, key: str) -> None:
    result = conn.execute(
        delete(run_tags).where(run_tags.c.run_id == run_id, run_tags.c.key == key)
    )
    if result.rowcount == 0:
        raise NotFound(f"run '{run_id}' has no tag '{key}'")


def _metric_row(run_id: str, m: Metric) -> dict[str, Any]:
    nan = math.isnan(m.value)
    return {
        "run_id": run_id,
        "key": m.key,
        "value": None if nan else m.value,
        "is_nan": nan,
        "step": m.step,
        "timestamp": m.timestamp,
    }


_INSERT_METRIC = metrics.insert()


def insert_metrics(conn: Connection, run_id: str, items: Sequence[Metric]) -> None:
    """Appends to the history and moves each key's latest value (highest step, then time)."""
    if not items:
        return
    rows = [_metric_row(run_id, m) for m in items]
    executemany(conn, _INSERT_METRIC, rows)
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        best = newest.get(row["key"])
        if best is None or (row["step"], row["timestamp"]) >= (best["step"], best["timestamp"]):
            newest[row["key"]] = row
    executemany(conn, _latest_metric_upsert(conn.dialect.name), list(newest.values()))


@cache
def _latest_metric_upsert(dialect: str) -> Any:
    stmt = _dialect_insert(dialect)(latest_metrics)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={c: new[c] for c in ("value", "is_nan", "step", "timestamp")},
        where=(new.step > latest_metrics.c.step)
        | ((new.step == latest_metrics.c.step) & (new.timestamp >= latest_metrics.c.timestamp)),
    )


_METRIC_HISTORY = (
    select(metrics.c.key, metrics.c.value, metrics.c.is_nan, metrics.c.timestamp, metrics.c.step)
    .where(metrics.c.run_id == bindparam("run_id"), metrics.c.key == bindparam("key"))
    .order_by(metrics.c.step, metrics.c.timestamp)
)


def metric_history(conn: Connection, run_id: str, key: str) -> list[Metric]:
    return [
        Metric(r.key, _metric_value(r.value, r.is_nan), r.timestamp, r.step)
        for r in conn.execute(_METRIC_HISTORY, {"run_id": run_id, "key": key})
    ]


# -- search --------------------------------------------------------------------

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
}
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
}


def _kind(prefix: str | None, key: str) -> str:
    kind = _PREFIXES.get(prefix.lower() if prefix else None)
    if kind is None:
        raise InvalidArgument(
            f"unknown field '{prefix}.{key}'; use metrics., params., tags. or attributes."
        )
    if kind == "attributes" and key not in _ATTRIBUTES:
        raise InvalidArgument(
            f"unknown run attribute '{key}'; known: {', '.join(sorted(_ATTRIBUTES))}"
        )
    return kind


def _run_comparison(c: Comparison) -> Any:
    kind = _kind(c.prefix, c.key)
    if kind == "attributes":
        column, numeric = _ATTRIBUTES[c.key]
        check_value_type(c, numeric)
        return compare(column, c.op, c.value)
    table, numeric = {
        "metrics": (latest_metrics, True),
        "params": (params, False),
        "tags": (run_tags, False),
    }[kind]
    check_value_type(c, numeric)
    has_key = (table.c.run_id == runs.c.run_id) & (table.c.key == c.key)
    if c.op == "IS NULL":
        return ~exists().where(has_key)
    if c.op == "IS NOT NULL":
        return exists().where(has_key)
    condition = compare(table.c.value, c.op, c.value)
    if kind == "metrics":
        condition = condition & ~table.c.is_nan
    return exists().where(has_key & condition)


def _run_order(clause: str) -> list[Any]:
    prefix, key, ascending = parse_order_by(clause)
    kind = _kind(prefix, key)
    if kind == "attributes":
        column: Any = _ATTRIBUTES[key][0]
    else:
        table = {"metrics": latest_metrics, "params": params, "tags": run_tags}[kind]
        column = (
            select(table.c.value)
            .where(table.c.run_id == runs.c.run_id, table.c.key == key)
            .scalar_subquery()
        )
    return [(column.asc() if ascending else column.desc()).nulls_last()]


def search_runs(
    conn: Connection,
    experiment_ids: Sequence[int],
    node: Node | None,
    lifecycle_stages: Sequence[str],
    max_results: int,
    order_by: Iterable[str],
    offset: int,
) -> list[Run]:
    query = select(*_RUN_COLUMNS).where(
        runs.c.experiment_id.in_(experiment_ids), runs.c.lifecycle_stage.in_(lifecycle_stages)
    )
    if node is not None:
        query = query.where(to_condition(node, _run_comparison))
    ordering = [o for clause in order_by for o in _run_order(clause)]
    ordering += [runs.c.start_time.desc(), runs.c.run_id]
    rows = conn.execute(query.order_by(*ordering).limit(max_results).offset(offset)).all()
    return _runs_from_rows(conn, rows)


def count_runs(conn: Connection, experiment_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(runs).where(runs.c.experiment_id == experiment_id)
    ).scalar_one()


# -- dialect helpers -----------------------------------------------------------


def _dialect_insert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


@cache
def _upsert_statement(
    dialect: str, table_name: str, keys: tuple[str, ...], updates: tuple[str, ...]
) -> Any:
    from modelreg.store.schema import metadata

    table = metadata.tables[table_name]
    stmt = _dialect_insert(dialect)(table)
    if updates:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in updates}
        )
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def upsert(
    conn: Connection,
    table: Any,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    updates: tuple[str, ...],
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET updates (or DO NOTHING), on both databases."""
    conn.execute(_upsert_statement(conn.dialect.name, table.name, keys, updates), rows)
