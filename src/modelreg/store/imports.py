"""SQL for importing another tracking server's history: rows written as they were there.

The import service (``modelreg.services.imports``) keeps ids, times and
version numbers from the source, which the everyday statements allocate
themselves; these statements take them as given. Each is safe to repeat:
what exists is updated or left alone, never duplicated.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select, update

from modelreg.entities import Metric, RunInfo
from modelreg.store.lookalikes import claim_name
from modelreg.store.schema import (
    audit_events,
    experiments,
    latest_metrics,
    metrics,
    registered_models,
    runs,
)
from modelreg.store.tracking import insert_metrics, upsert_experiment_tags, upsert_run_tags

IMPORT_ACTION = "import_mlflow"


def import_recorded(
    conn: Connection, entity_type: str, entity_id: str, model_id: int | None = None
) -> bool:
    """Whether an import event exists for the entity (for a model or version: by its model id)."""
    query = select(audit_events.c.event_id).where(audit_events.c.action == IMPORT_ACTION)
    if model_id is not None:
        query = query.where(audit_events.c.model_id == model_id)
        if entity_type == "version":
            query = query.where(audit_events.c.version == int(entity_id))
        else:
            query = query.where(audit_events.c.version.is_(None))
    else:
        query = query.where(
            audit_events.c.entity_type == entity_type, audit_events.c.entity_id == entity_id
        )
    return conn.execute(query.limit(1)).first() is not None


def insert_experiment_as_is(
    conn: Connection,
    name: str,
    lifecycle_stage: str,
    creation_time: int,
    last_update_time: int,
    tags: dict[str, str],
) -> str:
    """Inserts an experiment with its original stage and times; returns its new id."""
    experiment_id = conn.execute(
        insert(experiments)
        .values(
            name=name,
            name_key=claim_name(conn, "experiment", name),
            artifact_location="",
            lifecycle_stage=lifecycle_stage,
            creation_time=creation_time,
            last_update_time=last_update_time,
        )
        .returning(experiments.c.experiment_id)
    ).scalar_one()
    conn.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(artifact_location=f"modelreg-artifacts:/{experiment_id}")
    )
    upsert_experiment_tags(conn, experiment_id, tags)
    return str(experiment_id)


def update_experiment_as_is(
    conn: Connection, experiment_id: int, lifecycle_stage: str, tags: dict[str, str]
) -> None:
    """Brings an existing experiment's stage and tags to the source's."""
    conn.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(lifecycle_stage=lifecycle_stage)
    )
    upsert_experiment_tags(conn, experiment_id, tags)


def upsert_run_as_is(conn: Connection, info: RunInfo, tags: dict[str, str]) -> None:
    """Inserts the run with its own id (or updates its row when an earlier attempt made it)."""
    row = {
        "experiment_id": int(info.experiment_id),
        "run_name": info.run_name,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": info.lifecycle_stage,
        "artifact_uri": info.artifact_uri,
    }
    found = conn.execute(select(runs.c.run_id).where(runs.c.run_id == info.run_id)).first()
    if found is None:
        conn.execute(insert(runs).values(run_id=info.run_id, **row))
    else:
        conn.execute(update(runs).where(runs.c.run_id == info.run_id).values(**row))
    upsert_run_tags(conn, info.run_id, tags)


def replace_metric_history(
    conn: Connection, run_id: str, key: str, points: Sequence[Metric], replace: bool
) -> None:
    """Writes points of one metric; ``replace`` first drops what an earlier attempt wrote."""
    if replace:
        conn.execute(delete(metrics).where(metrics.c.run_id == run_id, metrics.c.key == key))
        conn.execute(
            delete(latest_metrics).where(
                latest_metrics.c.run_id == run_id, latest_metrics.c.key == key
            )
        )
    insert_metrics(conn, run_id, points)


def raise_last_version(conn: Connection, model_id: int, version: int) -> None:
    """Keeps the model's version counter at or above an imported version number, so
    versions registered later never take a number the source had."""
    rm = registered_models
    conn.execute(
        update(rm)
        .where(rm.c.model_id == model_id, rm.c.last_version < version)
        .values(last_version=version)
    )


def set_model_times(conn: Connection, model_id: int, creation: int, last_updated: int) -> None:
    rm = registered_models
    conn.execute(
        update(rm)
        .where(rm.c.model_id == model_id)
        .values(creation_time=creation, last_updated_time=last_updated)
    )
