"""webhook deliveries: what each webhook was sent, and how it went

Revision ID: 0018
Revises: 0017

Recent deliveries per webhook (status, attempts, the receiver's answer) for
whoever wonders why a CI job did not start, redelivery on request, and
deliveries left pending by a stopped process sent by the next server.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(32), primary_key=True),
        sa.Column(
            "webhook_id",
            sa.String(32),
            sa.ForeignKey("webhooks.webhook_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("response_status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_attempt_time", sa.BigInteger),
        sa.Column("claimed_until", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_webhook_deliveries_webhook_id_creation_time",
        "webhook_deliveries",
        ["webhook_id", "creation_time"],
    )
    op.create_index(
        "ix_webhook_deliveries_status_claimed_until",
        "webhook_deliveries",
        ["status", "claimed_until"],
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
