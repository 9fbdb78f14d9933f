"""SQL for experiments, runs, params, metrics and tags.

Every function takes an open connection; the caller (the tracking service)
decides the transaction. Statements used on hot paths are built once (at
import time, or once per set of columns), so a call only binds parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from modelreg.datasets import DatasetInput
from modelreg.entities import (
    Experiment,
    LifecycleStage,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.logged_models import RunModelLink
from modelreg.store import keyset
from modelreg.store.by_run import by_run, rows_of_runs
from modelreg.store.governance import inputs_of
from modelreg.store.json_agg import json_dict, json_object_agg
from modelreg.store.keyset import SortKey
from modelreg.store.logged_models import run_links
from modelreg.store.lookalikes import claim_name
from modelreg.store.schema import (
    experiment_tags,
    experiments,
    latest_metrics,
    metrics,
    params,
    run_inputs,
    run_tags,
    runs,
)
from modelreg.store.schema_logged_models import run_logged_models
from modelreg.store.upsert import dialect_insert, upsert

ACTIVE = LifecycleStage.ACTIVE
DELETED = LifecycleStage.DELETED

# -- experiments ---------------------------------------------------------------


def insert_experiment(
    conn: Connection, name: str, artifact_location: str | None, tags: dict[str, str], now: int
) -> str:
    key = claim_name(conn, "experiment", name)
    try:
        with conn.begin_nested():
            experiment_id = conn.execute(
                insert(experiments)
                .values(
                    name=name,
                    name_key=key,
                    artifact_location="",
                    lifecycle_stage=ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
                .returning(experiments.c.experiment_id)
            ).scalar_one()
    except SAIntegrityError as exc:
        raise AlreadyExists(f"an experiment named '{name}' already exists") from exc
    location = artifact_location or f"modelreg-artifacts:/{experiment_id}"
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


def delete_experiment_tag(conn: Connection, experiment_id: int, key: str) -> bool:
    """Removes a tag of the experiment; ``False`` when it had none by that key."""
    result = conn.execute(
        experiment_tags.delete().where(
            experiment_tags.c.experiment_id == experiment_id, experiment_tags.c.key == key
        )
    )
    return result.rowcount > 0


_EXPERIMENT_COLUMNS = (
    experiments.c.experiment_id,
    experiments.c.name,
    experiments.c.artifact_location,
    experiments.c.lifecycle_stage,
    experiments.c.creation_time,
    experiments.c.last_update_time,
)
_EXPERIMENT_TAGS = select(
    experiment_tags.c.experiment_id, experiment_tags.c.key, experiment_tags.c.value
).where(experiment_tags.c.experiment_id.in_(bindparam("ids", expanding=True)))
_EXPERIMENT_BY_ID = select(*_EXPERIMENT_COLUMNS).where(
    experiments.c.experiment_id == bindparam("experiment_id")
)


def _experiments_from_rows(conn: Connection, rows: Sequence[Any]) -> list[Experiment]:
    if not rows:
        return []
    tags: dict[int, dict[str, str]] = {r[0]: {} for r in rows}
    for experiment_id, key, value in conn.execute(_EXPERIMENT_TAGS, {"ids": list(tags)}).all():
        tags[experiment_id][key] = value
    return [
        Experiment(str(id_), name, location, stage, tags[id_], created, updated)
        for id_, name, location, stage, created, updated in rows
    ]


def fetch_experiments(conn: Connection, where: Any) -> list[Experiment]:
    """Experiments matching ``where``, with their tags."""
    return _experiments_from_rows(
        conn, conn.execute(select(*_EXPERIMENT_COLUMNS).where(where)).all()
    )


def page_experiments(
    conn: Connection, where: Any, keys: Sequence[SortKey], limit: int, last: Any
) -> tuple[list[Experiment], list[Any] | None]:
    """A keyset page of experiments matching ``where`` in the order of ``keys``."""
    query = select(*_EXPERIMENT_COLUMNS).where(where)
    rows, next_key = keyset.page(conn, query, keys, last, limit)
    return _experiments_from_rows(conn, [r[: len(_EXPERIMENT_COLUMNS)] for r in rows]), next_key


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
    params = {"experiment_id": experiment_id_int(experiment_id)}
    row = conn.execute(_EXPERIMENT_HEAD, params).first()
    if row is None:
        raise NotFound(f"experiment '{experiment_id}' does not exist")
    return row[0], row[1]


def get_experiment(conn: Connection, experiment_id: Any) -> Experiment:
    params = {"experiment_id": experiment_id_int(experiment_id)}
    found = _experiments_from_rows(conn, conn.execute(_EXPERIMENT_BY_ID, params).all())
    if not found:
        raise NotFound(f"experiment '{experiment_id}' does not exist")
    return found[0]


def set_experiment_fields(conn: Connection, experiment_id: Any, now: int, **values: Any) -> None:
    if "name" in values:
        own = experiment_id_int(experiment_id)
        values["name_key"] = claim_name(conn, "experiment", values["name"], own)
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


def set_experiment_runs_stage(conn: Connection, experiment_id: Any, stage: str) -> None:
    """Moves every run of the experiment to ``stage`` (with the experiment, as MLflow)."""
    conn.execute(
        update(runs)
        .where(runs.c.experiment_id == experiment_id_int(experiment_id))
        .where(runs.c.lifecycle_stage != stage)
        .values(lifecycle_stage=stage)
    )


# -- runs ----------------------------------------------------------------------

RUN_COLUMNS = (
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


def _as_json(table: Any) -> Any:
    """A run's rows of ``table`` as one JSON object, riding along with the run's row."""
    return (
        select(json_object_agg(table.c.key, table.c.value))
        .where(table.c.run_id == runs.c.run_id)
        .correlate(runs)
        .scalar_subquery()
    )


def _has_rows(table: Any) -> Any:
    """Whether the run has rows in ``table``, riding along with the run's row: the run's
    inputs and model links are read for the runs that have some (most have none)."""
    return select(table.c.run_id).where(table.c.run_id == runs.c.run_id).correlate(runs).exists()


# A run's params and tags come as JSON: with its row when one run is read, in
# one query for a page of runs (not in the page's own query, where SQLite would
# pay for them on every run it sorts), with whether it has inputs and model links.
# Its latest metrics are a query of their own (floats do not survive SQLite's JSON).
_RUN_TEXT = (
    _as_json(params),
    _as_json(run_tags),
    _has_rows(run_inputs),
    _has_rows(run_logged_models),
)
_N = len(RUN_COLUMNS)
_SELECT_RUN_INFO = select(*RUN_COLUMNS).where(runs.c.run_id == bindparam("run_id"))
_SELECT_RUN = _SELECT_RUN_INFO.add_columns(*_RUN_TEXT)
_PAGE_TEXT = select(runs.c.run_id, *_RUN_TEXT).where(
    runs.c.run_id.in_(bindparam("ids", expanding=True))
)

# One run binds its id alone: a list costs SQLAlchemy more to expand than the
# lookup itself, and most reads are of one run.
_LATEST = select(
    latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value, latest_metrics.c.is_nan
)
_RUN_METRICS = by_run(_LATEST, latest_metrics.c.run_id)


def latest_metric_positions(
    conn: Connection, run_ids: Sequence[str]
) -> dict[str, dict[str, tuple[int, int]]]:
    """``run_id → key → (step, timestamp)`` of each run's latest metric values."""
    out: dict[str, dict[str, tuple[int, int]]] = {run_id: {} for run_id in run_ids}
    if run_ids:
        lm = latest_metrics.c
        query = select(lm.run_id, lm.key, lm.step, lm.timestamp).where(lm.run_id.in_(run_ids))
        for run_id, key, step, timestamp in conn.execute(query):
            out[run_id][key] = (step, timestamp)
    return out


_RUN_LIFECYCLE = select(runs.c.lifecycle_stage).where(runs.c.run_id == bindparam("run_id"))


def _run_info(row: Any) -> RunInfo:
    """The info of a row that starts with ``RUN_COLUMNS``."""
    run_id, experiment_id, name, user, status, start, end, artifact_uri, stage = row[:_N]
    return RunInfo(run_id, str(experiment_id), name, user, status, start, end, artifact_uri, stage)


def runs_from_rows(conn: Connection, rows: Sequence[Any]) -> list[Run]:
    """The runs of a page of rows of ``RUN_COLUMNS``."""
    if not rows:
        return []
    found = conn.execute(_PAGE_TEXT, {"ids": [r[0] for r in rows]})
    text = {run_id: rest for run_id, *rest in found}
    # .get: on PostgreSQL a run purged between the two statements has no row here.
    return _runs(conn, [(r, *text.get(r[0], (None, None, False, False))) for r in rows])


def _runs(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> list[Run]:
    """The runs of (row of ``RUN_COLUMNS``, params JSON, tags JSON, has inputs, has model
    links) tuples, as ``_RUN_TEXT`` gives them."""
    ids = [row[0] for row, *_ in rows]
    metrics_: dict[str, dict[str, float]] = {run_id: {} for run_id in ids}
    for run_id, key, value, is_nan in rows_of_runs(conn, _RUN_METRICS, ids).all():
        metrics_[run_id][key] = math.nan if is_nan else value
    datasets = inputs_of(conn, [row[0] for row, _, _, used, _ in rows if used])
    models = run_links(conn, [row[0] for row, _, _, _, linked in rows if linked])
    return [
        Run(
            _run_info(row),
            RunData(json_dict(p), metrics_[row[0]], json_dict(t)),
            *_inputs_and_outputs(datasets.get(row[0], []), models.get(row[0], ())),
        )
        for row, p, t, _, _ in rows
    ]


def _inputs_and_outputs(
    datasets: list[DatasetInput], links: Sequence[RunModelLink]
) -> tuple[RunInputs, RunOutputs]:
    used = [LoggedModelInput(link.model_id) for link in links if link.direction == "input"]
    made = [
        LoggedModelOutput(link.model_id, link.step) for link in links if link.direction == "output"
    ]
    return RunInputs(datasets, used), RunOutputs(made)


_INSERT_RUN = insert(runs)
_INSERT_RUN_TAG = insert(run_tags)


def insert_run(conn: Connection, info: RunInfo, tags: dict[str, str]) -> None:
    row = {c.name: getattr(info, c.name) for c in RUN_COLUMNS}
    row["experiment_id"] = int(info.experiment_id)
    conn.execute(_INSERT_RUN, row)
    if tags:
        rows = [{"run_id": info.run_id, "key": k, "value": v} for k, v in tags.items()]
        conn.execute(_INSERT_RUN_TAG, rows)


def get_run(conn: Connection, run_id: str) -> Run:
    row = conn.execute(_SELECT_RUN, {"run_id": run_id}).first()
    if row is None:
        raise NotFound(f"run '{run_id}' does not exist")
    return _runs(conn, [(row, *row[_N:])])[0]


def get_run_info(conn: Connection, run_id: str) -> RunInfo:
    row = conn.execute(_SELECT_RUN_INFO, {"run_id": run_id}).first()
    if row is None:
        raise NotFound(f"run '{run_id}' does not exist")
    return _run_info(row)


def run_exists(conn: Connection, run_id: str) -> bool:
    """Whether the run exists (deleted or not)."""
    return conn.execute(_RUN_LIFECYCLE, {"run_id": run_id}).first() is not None


def require_active_run(conn: Connection, run_id: str) -> None:
    """Raises NotFound for an unknown run, Conflict-like InvalidArgument for a deleted one."""
    row = conn.execute(_RUN_LIFECYCLE, {"run_id": run_id}).first()
    if row is None:
        raise NotFound(f"run '{run_id}' does not exist")
    if row[0] != ACTIVE:
        raise InvalidArgument(f"run '{run_id}' is deleted; restore it before logging to it")


@cache
def _update_run_statement(columns: tuple[str, ...]) -> Any:
    # One prebuilt statement per set of columns (a handful exist), not one per call.
    return (
        update(runs)
        .where(runs.c.run_id == bindparam("run_id_"))
        .values({c: bindparam(c) for c in columns})
    )


def update_run(conn: Connection, run_id: str, **values: Any) -> None:
    statement = _update_run_statement(tuple(values))
    if conn.execute(statement, {**values, "run_id_": run_id}).rowcount == 0:
        raise NotFound(f"run '{run_id}' does not exist")


# -- params, metrics, tags -------------------------------------------------------


_STORED_PARAMS = select(params.c.key, params.c.value).where(
    params.c.run_id == bindparam("run_id"), params.c.key.in_(bindparam("keys", expanding=True))
)


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
    stored = conn.execute(_STORED_PARAMS, {"run_id": run_id, "keys": list(items)})
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


@cache
def _insert_metric(dialect: str) -> Any:
    # A point the run has already is kept once (a retried request, a replayed batch).
    return dialect_insert(dialect, metrics).on_conflict_do_nothing()


def insert_metrics(conn: Connection, run_id: str, items: Sequence[Metric]) -> None:
    """Appends to the history and moves each key's latest value: the highest step, then
    time, then value, as on MLflow (a NaN never wins a tie, nor loses one)."""
    if not items:
        return
    rows = [_metric_row(run_id, m) for m in items]
    conn.execute(_insert_metric(conn.dialect.name), rows)
    newest: dict[str, tuple[tuple[int, int, float], dict[str, Any]]] = {}
    for m, row in zip(items, rows, strict=True):
        order = (m.step, m.timestamp, m.value)
        best = newest.get(m.key)
        if best is None or order > best[0]:
            newest[m.key] = (order, row)
    conn.execute(_latest_metric_upsert(conn.dialect.name), [row for _, row in newest.values()])


@cache
def _latest_metric_upsert(dialect: str) -> Any:
    stmt = dialect_insert(dialect, latest_metrics)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={c: new[c] for c in ("value", "is_nan", "step", "timestamp")},
        where=tuple_(new.step, new.timestamp, new.value)
        > tuple_(latest_metrics.c.step, latest_metrics.c.timestamp, latest_metrics.c.value),
    )
