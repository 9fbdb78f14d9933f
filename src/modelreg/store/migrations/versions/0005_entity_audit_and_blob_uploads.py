"""audit events about users, tokens and experiments; who uploaded each blob

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot drop NOT NULL in place: batch mode copies the table, rows
    # and event ids included. Existing events are about models, as the
    # server default says.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("entity_type", sa.String(length=16), server_default="model", nullable=False)
        )
        batch_op.add_column(sa.Column("entity_id", sa.String(length=256), nullable=True))
        batch_op.alter_column("model_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("model_name", existing_type=sa.String(length=256), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_audit_events_entity_type_entity_id_event_id"),
            ["entity_type", "entity_id", "event_id"],
            unique=False,
            sqlite_where=sa.text("entity_type <> 'model'"),
            postgresql_where=sa.text("entity_type <> 'model'"),
        )

    op.create_table(
        "blob_uploads",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_blob_uploads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", "user_id", name=op.f("pk_blob_uploads")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("blob_uploads")
    # The trail is never cut: events about other entities are kept under the
    # registry-wide model id 0 that 0004's NOT NULL columns allow.
    op.execute(
        sa.text(
            "UPDATE audit_events SET model_id = 0, model_name = '' WHERE entity_type <> 'model'"
        )
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_entity_type_entity_id_event_id"))
        batch_op.alter_column("model_name", existing_type=sa.String(length=256), nullable=False)
        batch_op.alter_column("model_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("entity_id")
        batch_op.drop_column("entity_type")
