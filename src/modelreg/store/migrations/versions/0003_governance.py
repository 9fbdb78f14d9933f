"""governance: model cards, scoring weights and promotion policies, datasets, lineage, webhooks

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_cards",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("card", sa.Text(), nullable=False),
        sa.Column("last_updated_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.version_id"],
            name=op.f("fk_model_cards_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_model_cards")),
    )
    op.create_table(
        "model_governance",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("scoring_weights", sa.Text(), nullable=True),
        sa.Column("promotion_policy", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.model_id"],
            name=op.f("fk_model_governance_model_id_registered_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_governance")),
    )
    op.create_table(
        "datasets",
        sa.Column("dataset_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("data_schema", sa.Text(), nullable=True),
        sa.Column("num_rows", sa.BigInteger(), nullable=True),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", "digest", name=op.f("uq_datasets_name_digest")),
    )
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.dataset_id"],
            name=op.f("fk_run_inputs_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_run_inputs_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "dataset_id", "context", name=op.f("pk_run_inputs")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("run_inputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_inputs_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "model_version_parents",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("parent_version_id", sa.Integer(), nullable=True),
        sa.Column("parent_model_name", sa.String(length=256), nullable=False),
        sa.Column("parent_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_version_id"],
            ["model_versions.version_id"],
            name=op.f("fk_model_version_parents_parent_version_id_model_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.version_id"],
            name=op.f("fk_model_version_parents_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_model_version_parents")),
    )
    with op.batch_alter_table("model_version_parents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_version_parents_parent_version_id"),
            ["parent_version_id"],
            unique=False,
        )

    op.create_table(
        "webhooks",
        sa.Column("webhook_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.model_id"],
            name=op.f("fk_webhooks_model_id_registered_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("webhooks")
    with op.batch_alter_table("model_version_parents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_version_parents_parent_version_id"))

    op.drop_table("model_version_parents")
    with op.batch_alter_table("run_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_inputs_dataset_id"))

    op.drop_table("run_inputs")
    op.drop_table("datasets")
    op.drop_table("model_governance")
    op.drop_table("model_cards")
