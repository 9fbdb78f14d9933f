"""each metric point once: a unique (run, key, step, timestamp, value) index

Revision ID: 0014
Revises: 0013

Logging a point that a run already has (a retried request whose first answer
was lost, an MLflow client replaying a batch) added it to the history again,
where MLflow's server keeps it once. The (run, key, step) index becomes a
unique one over the whole point; existing repeats are removed first, keeping
one of each. A NaN is stored as a NULL value, which a unique index does not
compare, so repeated NaN points stay as they are.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_OLD = "ix_metrics_run_id_key_step"
_NEW = "ix_metrics_run_id_key_step_timestamp_value"
_POINT = ("run_id", "key", "step", "timestamp", "value")


def upgrade() -> None:
    same = " AND ".join(f"a.{c} = b.{c}" for c in _POINT)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DELETE FROM metrics a USING metrics b WHERE a.ctid > b.ctid AND {same}")
    else:
        columns = ", ".join(_POINT)
        op.execute(
            "DELETE FROM metrics WHERE value IS NOT NULL AND rowid NOT IN "
            f"(SELECT min(rowid) FROM metrics WHERE value IS NOT NULL GROUP BY {columns})"
        )
    op.drop_index(_OLD, table_name="metrics")
    op.create_index(_NEW, "metrics", list(_POINT), unique=True)


def downgrade() -> None:
    op.drop_index(_NEW, table_name="metrics")
    op.create_index(_OLD, "metrics", ["run_id", "key", "step"])
