"""webhooks: a name, an on/off status, a payload format, a last-updated time

Revision ID: 0017
Revises: 0016

MLflow's webhooks API (``MlflowClient.create_webhook``) names each webhook,
can disable it without deleting it, and posts MLflow's payloads; modelreg's
own webhooks gain the same name, status and update time, and keep their
payload format (``modelreg``) by default.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_COLUMNS = ("name", "status", "payload_format", "last_updated_time")


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("name", sa.String(256)))
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="ACTIVE")
        )
        batch.add_column(
            sa.Column("payload_format", sa.String(16), nullable=False, server_default="modelreg")
        )
        batch.add_column(sa.Column("last_updated_time", sa.BigInteger))
    op.execute("UPDATE webhooks SET last_updated_time = creation_time")


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        for column in _COLUMNS:
            batch.drop_column(column)
