"""MLflow 3's logged models: the model, its tags, params, metrics, files and runs

Revision ID: 0012
Revises: 0011

``mlflow.<flavor>.log_model`` in MLflow 3 creates a *logged model* with its own
id and files, then links it to the run. These tables keep them as modelreg
entities (see modelreg.store.schema_logged_models); nothing existing changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _model_id(primary_key: bool = True) -> sa.Column:
    return sa.Column(
        "model_id",
        sa.String(length=64),
        sa.ForeignKey(
            "logged_models.model_id",
            ondelete="CASCADE",
        ),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(length=64), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("source_run_id", sa.String(length=32)),
        sa.Column("model_type", sa.String(length=250)),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_message", sa.Text()),
        sa.Column("lifecycle_stage", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("artifact_location", sa.Text(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_time", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_logged_models_experiment_id_creation_time",
        "logged_models",
        ["experiment_id", "creation_time"],
    )
    op.create_index("ix_logged_models_source_run_id", "logged_models", ["source_run_id"])
    for table in ("logged_model_tags", "logged_model_params"):
        op.create_table(
            table,
            _model_id(),
            sa.Column("key", sa.String(length=250), primary_key=True),
            sa.Column("value", sa.Text(), nullable=False),
            sqlite_with_rowid=False,
        )
    op.create_table(
        "logged_model_metrics",
        _model_id(primary_key=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Float(precision=53)),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.String(length=32)),
        sa.Column("dataset_name", sa.String(length=500)),
        sa.Column("dataset_digest", sa.String(length=64)),
    )
    op.create_index(
        "ix_logged_model_metrics_model_id_key", "logged_model_metrics", ["model_id", "key"]
    )
    op.create_table(
        "logged_model_artifacts",
        _model_id(),
        sa.Column("path", sa.Text(), primary_key=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_logged_model_artifacts_digest", "logged_model_artifacts", ["digest"])
    op.create_table(
        "run_logged_models",
        sa.Column(
            "run_id",
            sa.String(length=32),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _model_id(),
        sa.Column("direction", sa.String(length=8), primary_key=True),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_run_logged_models_model_id", "run_logged_models", ["model_id"])


def downgrade() -> None:
    for table in (
        "run_logged_models",
        "logged_model_artifacts",
        "logged_model_metrics",
        "logged_model_params",
        "logged_model_tags",
        "logged_models",
    ):
        op.drop_table(table)
