"""Tables of MLflow 3's logged models (migration 0012), on the shared ``metadata``.

A logged model is what ``mlflow.<flavor>.log_model`` creates since MLflow 3:
a model with its own id (``m-<32 hex>``), files, params, tags and metrics,
made in an experiment and usually by a run. Its files are a manifest of
content-addressed blobs like a run's, so registering it copies rows, not
bytes. They join the schema's ``metadata``; :mod:`modelreg.store.all_tables`
is where the whole schema is taken from.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from modelreg.store.schema import metadata

__all__ = [
    "logged_model_artifacts",
    "logged_model_metrics",
    "logged_model_params",
    "logged_model_tags",
    "logged_models",
    "run_logged_models",
]


def _model_id(primary_key: bool = True) -> Column:
    return Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(250), nullable=False),
    # The run that made it; kept as written, so the model outlives the run.
    Column("source_run_id", String(32)),
    Column("model_type", String(250)),
    # PENDING until the client has uploaded the files, then READY or FAILED.
    Column("status", String(16), nullable=False),
    Column("status_message", Text),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Index(None, "experiment_id", "creation_time"),
    Index(None, "source_run_id"),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    _model_id(),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    _model_id(),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

# Metrics logged for the model (``log_metric(..., model_id=…)``), with the run
# and the dataset they were measured in; NaN kept as a flag as for run metrics.
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    _model_id(primary_key=False),
    Column("key", String(250), nullable=False),
    Column("value", Float(53)),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("run_id", String(32)),
    Column("dataset_name", String(500)),
    Column("dataset_digest", String(64)),
    Index(None, "model_id", "key"),
)

logged_model_artifacts = Table(
    "logged_model_artifacts",
    metadata,
    _model_id(),
    Column("path", Text, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index(None, "digest"),
)

# A run's model outputs (the models it logged) and inputs (models it used).
run_logged_models = Table(
    "run_logged_models",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    _model_id(),
    Column("direction", String(8), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Index(None, "model_id"),
    sqlite_with_rowid=False,
)
