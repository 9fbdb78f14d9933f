"""the answers to requests sent with an Idempotency-Key; modelreg's own names for run tags
and artifact locations that were stored under MLflow's names

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("principal", "idempotency_key", name=op.f("pk_idempotency_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_creation_time"), ["creation_time"], unique=False
        )

    _rename(TAG_RENAMES, OLD_SCHEME, NEW_SCHEME)


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    _rename({new: old for old, new in TAG_RENAMES.items()}, NEW_SCHEME, OLD_SCHEME)


# As modelreg.store.modelreg_names had them when this migration was written.
OLD_SCHEME = "mlflow-artifacts:"
NEW_SCHEME = "modelreg-artifacts:"
TAG_RENAMES = {
    "mlflow.source.git.commit": "modelreg.source.git.commit",
    "mlflow.source.git.branch": "modelreg.source.git.branch",
    "mlflow.source.git.repoURL": "modelreg.source.git.repoURL",
    "mlflow.parentRunId": "modelreg.parentRunId",
    "mlflow.note.content": "modelreg.note.content",
}
_LOCATIONS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("model_versions", "source"),
)


def _rename(tags: dict[str, str], old_scheme: str, new_scheme: str) -> None:
    for old, new in tags.items():
        op.execute(
            sa.text("UPDATE run_tags SET key = :new WHERE key = :old").bindparams(old=old, new=new)
        )
    for table, column in _LOCATIONS:
        op.execute(
            sa.text(
                f"UPDATE {table} SET {column} = :new || substr({column}, :cut) "
                f"WHERE {column} LIKE :pattern"
            ).bindparams(new=new_scheme, cut=len(old_scheme) + 1, pattern=old_scheme + "%")
        )
