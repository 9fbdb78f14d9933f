"""SQL for logged models: the model rows, their tags, params, metrics, files and run links.

Every function takes an open connection; the logged-model service decides
the transaction. Searches are one query for the page of ids (filter, order
and offset in SQL) and one per child table for that page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)

from modelreg.blobs.base import BlobRef
from modelreg.entities import Metric
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import (
    MODEL_VERSIONS_TAG,
    LoggedModel,
    LoggedModelMetric,
    RunModelLink,
)
from modelreg.store import keyset
from modelreg.store.by_run import by_run, rows_of_runs
from modelreg.store.filter_sql import check_value_type, compare, to_condition
from modelreg.store.schema import metrics as run_metrics
from modelreg.store.schema import runs
from modelreg.store.schema_logged_models import (
    logged_model_artifacts,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_logged_models,
)
from modelreg.store.search_filter import Comparison, parse_filter
from modelreg.store.upsert import upsert

T = logged_models.c

# Filter and order_by names (MLflow's, and modelreg's own) → columns.
ATTRIBUTES: dict[str, Any] = {
    "model_id": T.model_id,
    "name": T.name,
    "model_type": T.model_type,
    "status": T.status,
    "source_run_id": T.source_run_id,
    "experiment_id": T.experiment_id,
    "creation_time": T.creation_time,
    "creation_timestamp": T.creation_time,
    "last_updated_time": T.last_updated_time,
    "last_updated_timestamp": T.last_updated_time,
}
_NUMERIC = {"experiment_id", "creation_time", "creation_timestamp"} | {
    "last_updated_time",
    "last_updated_timestamp",
}


def insert_model(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(logged_models), [row])


def set_fields(conn: Connection, model_id: str, now: int, **values: Any) -> None:
    """Updates columns of a model and its ``last_updated_time``; raises ``NotFound``."""
    result = conn.execute(
        update(logged_models).where(T.model_id == model_id).values(last_updated_time=now, **values)
    )
    if result.rowcount == 0:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")


def require_model(conn: Connection, model_id: str, allow_deleted: bool = False) -> Any:
    """The model's row (with ``for update`` semantics left to the caller); raises ``NotFound``."""
    row = conn.execute(select(logged_models).where(T.model_id == model_id)).first()
    if row is None or (row.lifecycle_stage != "active" and not allow_deleted):
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return row


def upsert_key_values(conn: Connection, kind: str, model_id: str, items: dict[str, str]) -> None:
    """Sets tags (``kind="tags"``) or params (``"params"``) of a model."""
    table = logged_model_tags if kind == "tags" else logged_model_params
    rows = [{"model_id": model_id, "key": k, "value": v} for k, v in items.items()]
    upsert(conn, table, rows, ("model_id", "key"), ("value",))


def note_model_version(conn: Connection, model_id: str, name: str, version: int, now: int) -> None:
    """Adds ``{"name", "version"}`` to the model's ``mlflow.modelVersions`` tag (once), as
    MLflow's server does when a version is registered from a logged model; a model that
    is gone is left alone. The model's row is locked first, so registrations from one
    model at once queue on it instead of losing an entry."""
    locked = select(T.model_id).where(T.model_id == model_id).with_for_update()
    if conn.execute(locked).first() is None:
        return
    tag = logged_model_tags.c
    current = conn.execute(
        select(tag.value).where(tag.model_id == model_id, tag.key == MODEL_VERSIONS_TAG)
    ).scalar()
    try:
        listed = json.loads(current) if current else []
    except ValueError:
        listed = []
    listed = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
    if any(e.get("name") == name and str(e.get("version")) == str(version) for e in listed):
        return
    listed.append({"name": name, "version": version})
    upsert_key_values(conn, "tags", model_id, {MODEL_VERSIONS_TAG: json.dumps(listed)})
    set_fields(conn, model_id, now)


def delete_tag(conn: Connection, model_id: str, key: str) -> None:
    result = conn.execute(
        delete(logged_model_tags).where(
            logged_model_tags.c.model_id == model_id, logged_model_tags.c.key == key
        )
    )
    if result.rowcount == 0:
        raise NotFound(f"No tag with key '{key}' found for logged model with ID '{model_id}'.")


def insert_metrics(conn: Connection, model_id: str, items: Sequence[LoggedModelMetric]) -> None:
    rows = []
    for item in items:
        nan = math.isnan(item.metric.value)
        rows.append(
            {
                "model_id": model_id,
                "key": item.metric.key,
                "value": None if nan else item.metric.value,
                "is_nan": nan,
                "step": item.metric.step,
                "timestamp": item.metric.timestamp,
                "run_id": item.run_id,
                "dataset_name": item.dataset_name,
                "dataset_digest": item.dataset_digest,
            }
        )
    if rows:
        conn.execute(insert(logged_model_metrics), rows)


def copy_run_metrics(conn: Connection, model_id: str, run_id: str, step: int) -> None:
    """The run's metric values at ``step`` become the model's too (as MLflow's
    ``log_model`` does for the model it makes), each once however often this runs."""
    m, lm = run_metrics.c, logged_model_metrics.c
    columns = ("key", "value", "is_nan", "step", "timestamp", "run_id")
    already = exists().where(
        lm.model_id == model_id,
        lm.run_id == m.run_id,
        lm.key == m.key,
        lm.step == m.step,
        lm.timestamp == m.timestamp,
    )
    values = select(literal(model_id), *(m[c] for c in columns)).where(
        m.run_id == run_id, m.step == step, ~already
    )
    conn.execute(insert(logged_model_metrics).from_select(["model_id", *columns], values))


def experiment_of(conn: Connection, model_id: str) -> int | None:
    """The experiment of a logged model (deleted ones too); ``None`` for an unknown id."""
    return conn.execute(select(T.experiment_id).where(T.model_id == model_id)).scalar()


def existing_ids(conn: Connection, model_ids: Iterable[str]) -> set[str]:
    wanted = list(model_ids)
    if not wanted:
        return set()
    return set(conn.execute(select(T.model_id).where(T.model_id.in_(wanted))).scalars())


# -- reading ---------------------------------------------------------------------


def load_models(conn: Connection, model_ids: Sequence[str]) -> list[LoggedModel]:
    """The models with these ids, in this order, with tags, params and metrics."""
    if not model_ids:
        return []
    rows = {
        r.model_id: r for r in conn.execute(select(logged_models).where(T.model_id.in_(model_ids)))
    }
    tags = _key_values(conn, logged_model_tags, model_ids)
    params = _key_values(conn, logged_model_params, model_ids)
    metrics: dict[str, list[LoggedModelMetric]] = {}
    m = logged_model_metrics.c
    query = (
        select(logged_model_metrics)
        .where(m.model_id.in_(model_ids))
        .order_by(m.model_id, m.key, m.step, m.timestamp)
    )
    for r in conn.execute(query):
        value = math.nan if r.is_nan else r.value
        metric = Metric(r.key, value, r.timestamp, r.step)
        item = LoggedModelMetric(metric, r.run_id, r.dataset_name, r.dataset_digest, r.model_id)
        metrics.setdefault(r.model_id, []).append(item)
    return [
        _model(rows[i], tags.get(i, {}), params.get(i, {}), metrics.get(i, []))
        for i in model_ids
        if i in rows
    ]


def _key_values(
    conn: Connection, table: Any, model_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    query = select(table.c.model_id, table.c.key, table.c.value).where(
        table.c.model_id.in_(model_ids)
    )
    for model_id, key, value in conn.execute(query.order_by(table.c.model_id, table.c.key)):
        out.setdefault(model_id, {})[key] = value
    return out


def _model(row: Any, tags: dict, params: dict, metrics: list) -> LoggedModel:
    return LoggedModel(
        model_id=row.model_id,
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        status=row.status,
        creation_timestamp=row.creation_time,
        last_updated_timestamp=row.last_updated_time,
        source_run_id=row.source_run_id,
        model_type=row.model_type,
        status_message=row.status_message,
        lifecycle_stage=row.lifecycle_stage,
        user_id=row.user_id,
        tags=tags,
        params=params,
        metrics=metrics,
    )


def search_ids(
    conn: Connection,
    experiment_ids: Sequence[int],
    filter_string: str | None,
    order_by: Sequence[Sequence[Any]],
    page_token: str | None,
    limit: int,
    datasets: Sequence[tuple[str, str | None]] = (),
) -> tuple[list[str], list[Any] | None]:
    """One page of ids of active models in these experiments that match the filter, and
    the sort key to continue after (``None`` on the last page).

    ``datasets`` (``(name, digest)`` pairs, the digest optional) limits the filter's
    metric comparisons to values measured on one of them, as MLflow does; with no metric
    comparison, it keeps the models with any metric measured on one of them.

    ``order_by`` is ``(attribute, ascending)`` pairs, or ``("metrics.<key>", ascending,
    dataset_name, dataset_digest)`` (the dataset optional) for the metric's latest value,
    models without one last; the default is newest first. Pages go by key
    (:mod:`modelreg.store.keyset`), the model id ending every ordering.
    """
    node = parse_filter(filter_string)
    on_datasets = _on_datasets(datasets)
    compares_metrics = False

    def comparison(c: Comparison) -> Any:
        nonlocal compares_metrics
        compares_metrics = compares_metrics or (c.prefix or "").lower() in ("metric", "metrics")
        return _comparison(c, on_datasets)

    condition = to_condition(node, comparison) if node is not None else true()
    if on_datasets is not None and not compares_metrics:
        m = logged_model_metrics.c
        condition = condition & exists().where(m.model_id == T.model_id, on_datasets)
    query = select(T.model_id).where(
        T.experiment_id.in_(experiment_ids), T.lifecycle_stage == "active", condition
    )
    keys = []
    for name, ascending, *dataset in order_by:
        if isinstance(name, str) and name.startswith("metrics."):
            value = _latest_metric(name.removeprefix("metrics."), *dataset)
            keys.append(keyset.SortKey(value, ascending, nullable=True))
            continue
        column = ATTRIBUTES.get(name)
        if column is None:
            raise InvalidArgument(f"Invalid order_by field name: {name}")
        keys.append(keyset.SortKey(column, ascending, nullable=column.nullable))
    if not keys:
        keys = [keyset.SortKey(T.creation_time, ascending=False)]
    # Ids sort in the order models were made: ties go the way of the last key.
    keys.append(keyset.SortKey(T.model_id, ascending=keys[-1].ascending))
    last = keyset.decode_token(page_token)
    keyset.check_fits(last, keys, page_token)
    rows, next_key = keyset.page(conn, query, keys, last, limit)
    return [row.model_id for row in rows], next_key


def _latest_metric(
    key: str, dataset_name: str | None = None, dataset_digest: str | None = None
) -> Any:
    """A model's latest value of metric ``key`` (newest time, then step, as MLflow orders
    them), for one dataset when named."""
    m = logged_model_metrics.c
    where = [m.model_id == T.model_id, m.key == key]
    if dataset_name:
        where.append(m.dataset_name == dataset_name)
    if dataset_digest:
        where.append(m.dataset_digest == dataset_digest)
    newest = select(m.value).where(*where).order_by(m.timestamp.desc(), m.step.desc(), m.run_id)
    return newest.limit(1).scalar_subquery()


def _on_datasets(datasets: Sequence[tuple[str, str | None]]) -> Any:
    """A metric row's condition of being measured on one of ``datasets`` (None: any)."""
    if not datasets:
        return None
    m = logged_model_metrics.c
    return or_(
        *(
            and_(m.dataset_name == name, m.dataset_digest == digest if digest else true())
            for name, digest in datasets
        )
    )


def _comparison(c: Comparison, on_datasets: Any = None) -> Any:
    prefix = (c.prefix or "attributes").lower()
    if prefix in ("attribute", "attributes"):
        column = ATTRIBUTES.get(c.key)
        if column is None:
            raise InvalidArgument(f"Invalid attribute key '{c.key}' specified.")
        check_value_type(c, c.key in _NUMERIC)
        return compare(column, c.op, c.value)
    if prefix in ("tag", "tags", "param", "params"):
        table = logged_model_tags if prefix.startswith("tag") else logged_model_params
        check_value_type(c, numeric=False)
        return exists().where(
            table.c.model_id == T.model_id,
            table.c.key == c.key,
            compare(table.c.value, c.op, c.value),
        )
    if prefix in ("metric", "metrics"):
        m = logged_model_metrics.c
        check_value_type(c, numeric=True)
        return exists().where(
            m.model_id == T.model_id,
            m.key == c.key,
            compare(m.value, c.op, c.value),
            true() if on_datasets is None else on_datasets,
        )
    raise InvalidArgument(f"Invalid entity type '{c.prefix}' in filter")


# -- files -----------------------------------------------------------------------


def entries(conn: Connection, model_id: str, prefix: str = "") -> dict[str, BlobRef]:
    """The model's files at or below ``prefix``, by path."""
    a = logged_model_artifacts.c
    below = prefix + "/"
    where = (
        true() if not prefix else (a.path == prefix) | (func.substr(a.path, 1, len(below)) == below)
    )
    rows = conn.execute(
        select(a.path, a.digest, a.size).where(a.model_id == model_id, where).order_by(a.path)
    )
    return {row.path: BlobRef(row.digest, row.size) for row in rows}


def upsert_entries(conn: Connection, model_id: str, items: dict[str, BlobRef]) -> None:
    rows = [
        {"model_id": model_id, "path": p, "digest": r.digest, "size": r.size}
        for p, r in items.items()
    ]
    upsert(conn, logged_model_artifacts, rows, ("model_id", "path"), ("digest", "size"))


def referenced_digests(conn: Connection) -> set[str]:
    return set(conn.execute(select(logged_model_artifacts.c.digest).distinct()).scalars())


# -- runs ------------------------------------------------------------------------


def link_runs(conn: Connection, run_id: str, links: Sequence[RunModelLink]) -> None:
    rows = [
        {"run_id": run_id, "model_id": x.model_id, "direction": x.direction, "step": x.step}
        for x in links
    ]
    upsert(conn, run_logged_models, rows, ("run_id", "model_id", "direction"), ("step",))


_RUN_LINKS = by_run(
    select(
        run_logged_models.c.run_id,
        run_logged_models.c.model_id,
        run_logged_models.c.direction,
        run_logged_models.c.step,
    ).order_by(run_logged_models.c.run_id, run_logged_models.c.model_id),
    run_logged_models.c.run_id,
)


def run_links(conn: Connection, run_ids: Sequence[str]) -> dict[str, list[RunModelLink]]:
    """Each run's links to logged models, outputs and inputs, in model id order."""
    out: dict[str, list[RunModelLink]] = {}
    if not run_ids:
        return out
    for row in rows_of_runs(conn, _RUN_LINKS, run_ids):
        out.setdefault(row.run_id, []).append(RunModelLink(row.model_id, row.direction, row.step))
    return out


def model_links(conn: Connection, model_id: str, limit: int) -> list[Any]:
    """The active runs linked to the model (``run_id``, ``experiment_id``, ``direction``,
    ``step``), newest run first, at most ``limit`` (from the links' model index)."""
    r = run_logged_models.c
    query = (
        select(r.run_id, runs.c.experiment_id, r.direction, r.step)
        .join(runs, runs.c.run_id == r.run_id)
        .where(r.model_id == model_id, runs.c.lifecycle_stage == "active")
        .order_by(runs.c.start_time.desc(), r.run_id, r.direction)
        .limit(limit)
    )
    return list(conn.execute(query))


def models_of_run(conn: Connection, run_id: str) -> list[str]:
    """The ids of the models the run made, oldest first (lineage)."""
    query = (
        select(T.model_id)
        .where(T.source_run_id == run_id, T.lifecycle_stage == "active")
        .order_by(T.creation_time, T.model_id)
    )
    return list(conn.execute(query).scalars())
