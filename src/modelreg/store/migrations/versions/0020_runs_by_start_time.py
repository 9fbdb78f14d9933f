"""runs by start time across experiments: an index on runs (start_time DESC, run_id)

Revision ID: 0020
Revises: 0019

A search over more than 20 experiments (``modelreg runs list`` reads every
active one) sorted every run of them all for each page: about 125 ms at
100,000 runs on SQLite, growing with the store. With this index such a page
walks the newest runs of the whole store in order (on SQLite, in windows,
keeping those of the experiments searched; PostgreSQL's planner does it
itself when its statistics say they are a large share of the store).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In a page's order (newest first, ties by id), so reading it in order sorts nothing.
    op.create_index("ix_runs_start_time_run_id", "runs", [sa.text("start_time DESC"), "run_id"])


def downgrade() -> None:
    op.drop_index("ix_runs_start_time_run_id", table_name="runs")
