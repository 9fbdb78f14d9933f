"""SQL for model cards, scoring weights and policies, datasets and lineage, retention, webhooks.

Every function takes an open connection; the governance services hold the
rules and the transactions. JSON documents (cards, weights, policies, webhook
event lists) are stored as text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from modelreg.datasets import CONTEXT_TAG, MLFLOW_DESCRIPTION, Dataset, DatasetInput
from modelreg.store.by_run import by_run, rows_of_runs
from modelreg.store.schema import (
    datasets,
    latest_metrics,
    model_aliases,
    model_cards,
    model_governance,
    model_version_parents,
    model_versions,
    registered_models,
    run_inputs,
    runs,
    webhooks,
)
from modelreg.store.upsert import upsert

rm = registered_models
mv = model_versions

# -- model cards -------------------------------------------------------------------


def card(conn: Connection, version_id: int) -> tuple[dict[str, Any], int] | None:
    """``(stored card, last update time)`` of a version, or ``None`` when it has none."""
    row = conn.execute(
        select(model_cards.c.card, model_cards.c.last_updated_time).where(
            model_cards.c.version_id == version_id
        )
    ).first()
    return None if row is None else (json.loads(row.card), row.last_updated_time)


def upsert_card(conn: Connection, version_id: int, stored: dict[str, Any], now: int) -> None:
    upsert(
        conn,
        model_cards,
        [{"version_id": version_id, "card": json.dumps(stored), "last_updated_time": now}],
        ("version_id",),
        ("card", "last_updated_time"),
    )


def delete_card(conn: Connection, version_id: int) -> None:
    conn.execute(delete(model_cards).where(model_cards.c.version_id == version_id))


def cards_by_version(conn: Connection, model_id: int, numbers: Sequence[int]) -> dict[int, dict]:
    """Stored cards of some versions of a model, by version number."""
    rows = conn.execute(
        select(mv.c.version, model_cards.c.card)
        .join_from(model_cards, mv, mv.c.version_id == model_cards.c.version_id)
        .where(mv.c.model_id == model_id, mv.c.version.in_(list(numbers)))
    )
    return {r.version: json.loads(r.card) for r in rows}


# -- per-model settings: scoring weights, promotion policy --------------------------------


def setting(conn: Connection, model_id: int, column: str) -> Any:
    """The JSON value of ``scoring_weights`` or ``promotion_policy``, or ``None``."""
    text = conn.execute(_setting_statement(column), {"model_id": model_id}).scalar()
    return None if text is None else json.loads(text)


@cache
def _setting_statement(column: str) -> Any:
    # One per setting (two exist), built once: read before every promotion.
    g = model_governance
    return select(g.c[column]).where(g.c.model_id == bindparam("model_id"))


def set_setting(conn: Connection, model_id: int, column: str, value: Any) -> None:
    text = None if value is None else json.dumps(value)
    upsert(conn, model_governance, [{"model_id": model_id, column: text}], ("model_id",), (column,))


# -- metrics and params of source runs -------------------------------------------------


def latest_metrics_of(conn: Connection, run_ids: Iterable[str]) -> dict[str, dict[str, float]]:
    """The latest value of each metric of each run (NaN kept as NaN), by run id."""
    ids = sorted(set(run_ids))
    out: dict[str, dict[str, float]] = {run_id: {} for run_id in ids}
    if not ids:
        return out
    t = latest_metrics
    rows = conn.execute(
        select(t.c.run_id, t.c.key, t.c.value, t.c.is_nan).where(t.c.run_id.in_(ids))
    )
    for run_id, key, value, is_nan in rows:
        out[run_id][key] = math.nan if is_nan else float(value)
    return out


# -- datasets and run inputs ---------------------------------------------------------------

_DATASET_ID = select(datasets.c.dataset_id).where(
    datasets.c.name == bindparam("name"), datasets.c.digest == bindparam("digest")
)


def _dataset_id(conn: Connection, d: Dataset, now: int) -> int:
    """The id of dataset (name, digest), recorded if new: its identity only."""
    row = {"name": d.name, "digest": d.digest, "creation_time": now}
    upsert(conn, datasets, [row], ("name", "digest"), ())
    return conn.execute(_DATASET_ID, {"name": d.name, "digest": d.digest}).scalar_one()


def log_run_inputs(conn: Connection, run_id: str, logged: Sequence[DatasetInput], now: int) -> None:
    """Records datasets as inputs of the run, each in its context, with its tags and its
    description as this run gives it (logging one again in the same context changes
    nothing).

    The description is the run's own: another run logging the same name and
    digest neither sees nor changes it.
    """
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for item in logged:
        d = item.dataset
        rows.setdefault(
            (_dataset_id(conn, d, now), item.context),
            {
                "run_id": run_id,
                "timestamp": now,
                "source": d.source,
                "data_schema": None if d.schema is None else json.dumps(d.schema),
                "num_rows": d.num_rows,
                "tags": json.dumps(item.other_tags) if item.other_tags else None,
            },
        )
    upsert(
        conn,
        run_inputs,
        [{"dataset_id": i, "context": c, **row} for (i, c), row in rows.items()],
        ("run_id", "dataset_id", "context"),
        (),
    )


def move_shared_descriptions(conn: Connection) -> None:
    """Copies descriptions kept on ``datasets`` (schemas before 0010, e.g. in an
    imported archive) onto the input rows that lack one, then clears them there."""
    for column in ("source", "data_schema", "num_rows"):
        shared = (
            select(datasets.c[column])
            .where(datasets.c.dataset_id == run_inputs.c.dataset_id)
            .scalar_subquery()
        )
        conn.execute(
            update(run_inputs).where(run_inputs.c[column].is_(None)).values({column: shared})
        )
    conn.execute(update(datasets).values(source=None, data_schema=None, num_rows=None))


def move_input_tags_out_of_sources(conn: Connection) -> None:
    """Moves the tags that inputs an MLflow client logged kept inside their source
    (schemas before 0022, e.g. in an imported archive) to the inputs' own tags, less the
    context, which is the input's ``context`` already."""
    r = run_inputs.c
    found = conn.execute(
        select(r.run_id, r.dataset_id, r.context, r.source).where(r.source.like('{%"tags"%'))
    ).all()
    for row in found:
        try:
            kept = json.loads(row.source)
        except ValueError:
            continue
        if not isinstance(kept, dict) or not isinstance(kept.get(MLFLOW_DESCRIPTION), dict):
            continue
        others = {k: v for k, v in (kept.pop("tags", None) or {}).items() if k != CONTEXT_TAG}
        conn.execute(
            update(run_inputs)
            .where(r.run_id == row.run_id, r.dataset_id == row.dataset_id)
            .where(r.context == row.context)
            .values(
                source=json.dumps(kept, sort_keys=True),
                tags=json.dumps(others) if others else None,
            )
        )


_INPUTS = select(
    run_inputs.c.run_id,
    run_inputs.c.context,
    datasets.c.name,
    datasets.c.digest,
    run_inputs.c.source,
    run_inputs.c.data_schema,
    run_inputs.c.num_rows,
    run_inputs.c.timestamp,
    run_inputs.c.dataset_id,
    run_inputs.c.tags,
).join_from(run_inputs, datasets, datasets.c.dataset_id == run_inputs.c.dataset_id)
_INPUTS_OF = by_run(_INPUTS, run_inputs.c.run_id)


def inputs_of(conn: Connection, run_ids: Iterable[str]) -> dict[str, list[DatasetInput]]:
    """The datasets each run used, with their context and the run's own description,
    in the order they were logged."""
    ids = sorted(set(run_ids))
    out: dict[str, list[DatasetInput]] = {run_id: [] for run_id in ids}
    if not ids:
        return out
    # Ordered here, not by the database: a page of runs' inputs is read by the primary
    # key, and sorting them there would make a search's page sort a result.
    rows = rows_of_runs(conn, _INPUTS_OF, ids).all()
    for r in sorted(rows, key=lambda r: (r.timestamp, r.dataset_id, r.context)):
        schema = None if r.data_schema is None else json.loads(r.data_schema)
        d = Dataset(r.name, r.digest, r.source, schema, r.num_rows)
        tags = {} if r.tags is None else json.loads(r.tags)
        out[r.run_id].append(DatasetInput(d, r.context, tags))
    return out


# -- fine-tuning parents -------------------------------------------------------------------------


def insert_parent(
    conn: Connection, version_id: int, parent_version_id: int, parent_name: str, parent_number: int
) -> None:
    conn.execute(
        insert(model_version_parents).values(
            version_id=version_id,
            parent_version_id=parent_version_id,
            parent_model_name=parent_name,
            parent_version=parent_number,
        )
    )


def parent_of(conn: Connection, version_id: int) -> Any:
    """``(parent_version_id, parent_model_name, parent_version)`` or ``None``."""
    p = model_version_parents
    return conn.execute(
        select(p.c.parent_version_id, p.c.parent_model_name, p.c.parent_version).where(
            p.c.version_id == version_id
        )
    ).first()


def children_of(conn: Connection, version_ids: Sequence[int]) -> list[Any]:
    """Versions derived from any of ``version_ids``: rows of ``parent_version_id`` and the
    child's ``version_id, name, version, semver, current_stage, run_id``."""
    if not version_ids:
        return []
    p = model_version_parents
    return list(
        conn.execute(
            select(
                p.c.parent_version_id,
                mv.c.version_id,
                rm.c.name,
                mv.c.version,
                mv.c.semver,
                mv.c.current_stage,
                mv.c.run_id,
            )
            .join_from(p, mv, mv.c.version_id == p.c.version_id)
            .join(rm, rm.c.model_id == mv.c.model_id)
            .where(p.c.parent_version_id.in_(list(version_ids)))
            .order_by(rm.c.name, mv.c.version)
        ).all()
    )


_VERSION_SUMMARY = (
    select(
        mv.c.version_id,
        rm.c.name,
        mv.c.version,
        mv.c.semver,
        mv.c.current_stage,
        mv.c.run_id,
    )
    .join_from(mv, rm, rm.c.model_id == mv.c.model_id)
    .where(mv.c.version_id == bindparam("version_id"))
)


def version_summary(conn: Connection, version_id: int) -> Any:
    """``(version_id, name, version, semver, current_stage, run_id)`` of a version, or None."""
    return conn.execute(_VERSION_SUMMARY, {"version_id": version_id}).first()


# -- visibility -----------------------------------------------------------------------------------


def model_names(conn: Connection, where: Any) -> set[str]:
    """Names of the registered models matching ``where`` (a condition on ``registered_models``)."""
    return set(conn.execute(select(rm.c.name).where(where)).scalars())


def run_ids(conn: Connection, where: Any) -> set[str]:
    """Ids of the runs matching ``where`` (a condition on ``runs``)."""
    return set(conn.execute(select(runs.c.run_id).where(where)).scalars())


# -- retention ------------------------------------------------------------------------------------


def versions_newest_first(conn: Connection, model_id: int) -> list[Any]:
    """``(version_id, version, current_stage, has_alias)`` of every version, newest first."""
    aliased = (
        select(func.count())
        .select_from(model_aliases)
        .where(
            model_aliases.c.model_id == mv.c.model_id, model_aliases.c.version_id == mv.c.version_id
        )
        .correlate(mv)
        .scalar_subquery()
    )
    return list(
        conn.execute(
            select(
                mv.c.version_id, mv.c.version, mv.c.current_stage, (aliased > 0).label("aliased")
            )
            .where(mv.c.model_id == model_id)
            .order_by(mv.c.version.desc())
        ).all()
    )


def set_stages(conn: Connection, version_ids: Sequence[int], stage: str, now: int) -> None:
    if version_ids:
        conn.execute(
            update(mv)
            .where(mv.c.version_id.in_(list(version_ids)))
            .values(current_stage=stage, last_updated_time=now)
        )


# -- webhooks --------------------------------------------------------------------------------------

_WEBHOOK_COLUMNS = (
    webhooks.c.webhook_id,
    webhooks.c.url,
    webhooks.c.events,
    webhooks.c.secret,
    webhooks.c.model_id,
    rm.c.name.label("model_name"),
    webhooks.c.description,
    webhooks.c.user_id,
    webhooks.c.creation_time,
    webhooks.c.name,
    webhooks.c.status,
    webhooks.c.payload_format,
    webhooks.c.last_updated_time,
)
_WEBHOOK_FROM = webhooks.outerjoin(rm, rm.c.model_id == webhooks.c.model_id)


def insert_webhook(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(webhooks).values(**{**row, "events": json.dumps(list(row["events"]))}))


def any_webhook(conn: Connection) -> bool:
    """Whether any webhook exists (most registries have none; one index probe tells)."""
    return conn.execute(select(webhooks.c.webhook_id).limit(1)).first() is not None


def webhook_rows(
    conn: Connection, webhook_id: str | None = None, model_id: int | None = None
) -> list[dict[str, Any]]:
    """Webhooks as dicts of their columns plus ``model_name`` (the secret included, for
    signing), oldest first; filtered when asked."""
    query = select(*_WEBHOOK_COLUMNS).select_from(_WEBHOOK_FROM)
    if webhook_id is not None:
        query = query.where(webhooks.c.webhook_id == webhook_id)
    if model_id is not None:
        query = query.where(webhooks.c.model_id == model_id)
    rows = conn.execute(query.order_by(webhooks.c.creation_time, webhooks.c.webhook_id)).all()
    return [{**r._mapping, "events": tuple(json.loads(r.events))} for r in rows]


def update_webhook(conn: Connection, webhook_id: str, changes: dict[str, Any]) -> None:
    """Sets the given columns of a webhook (``events`` as a sequence)."""
    if "events" in changes:
        changes = {**changes, "events": json.dumps(list(changes["events"]))}
    conn.execute(update(webhooks).where(webhooks.c.webhook_id == webhook_id).values(**changes))


def delete_webhook(conn: Connection, webhook_id: str) -> None:
    conn.execute(delete(webhooks).where(webhooks.c.webhook_id == webhook_id))
