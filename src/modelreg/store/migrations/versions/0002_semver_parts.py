"""semver parts on model versions, for finding the highest one by index

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        for part in ("major", "minor", "patch"):
            batch_op.add_column(
                sa.Column(f"semver_{part}", sa.BigInteger(), nullable=False, server_default="0")
            )
        batch_op.add_column(
            sa.Column("semver_release", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index(
            batch_op.f("ix_model_versions_model_id_semver_major_semver_minor_semver_patch"),
            ["model_id", "semver_major", "semver_minor", "semver_patch"],
            unique=False,
        )
    import semver

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT version_id, semver FROM model_versions")).all()
    for version_id, text in rows:
        parsed = semver.Version.parse(text[1:] if text[:1] in "vV" else text)
        conn.execute(
            sa.text(
                "UPDATE model_versions SET semver_major = :a, semver_minor = :b, "
                "semver_patch = :c, semver_release = :r WHERE version_id = :id"
            ),
            {
                "a": parsed.major,
                "b": parsed.minor,
                "c": parsed.patch,
                "r": not parsed.prerelease,
                "id": version_id,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_model_versions_model_id_semver_major_semver_minor_semver_patch")
        )
        for column in ("semver_release", "semver_patch", "semver_minor", "semver_major"):
            batch_op.drop_column(column)
