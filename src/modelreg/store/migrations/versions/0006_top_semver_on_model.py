"""the version with the highest semver kept on its registered model

Revision ID: 0006
Revises: 0005

Registering a version reads the highest semver of its model to bump it. 0002
found it with an index over the semver parts of every version; the model row,
which each registration updates anyway, now names it, so that index (one more
b-tree written per registration) goes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PARTS_INDEX = "ix_model_versions_model_id_semver_major_semver_minor_semver_patch"


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: SQLite's batch mode would copy the
    # table, and dropping the old one would cascade to every model's versions.
    op.add_column("registered_models", sa.Column("top_version", sa.Integer(), nullable=True))
    op.add_column(
        "registered_models", sa.Column("top_semver", sa.String(length=128), nullable=True)
    )
    op.drop_index(op.f(_PARTS_INDEX), table_name="model_versions")
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT model_id, version, semver FROM model_versions")).all()
    top: dict[int, tuple[tuple, int, str]] = {}
    for model_id, version, text in rows:
        key = (_precedence(text), -version)
        if model_id not in top or key > top[model_id][0]:
            top[model_id] = (key, version, text)
    for model_id, (_key, version, text) in top.items():
        conn.execute(
            sa.text(
                "UPDATE registered_models SET top_version = :v, top_semver = :s WHERE model_id = :m"
            ),
            {"v": version, "s": text, "m": model_id},
        )


def _precedence(text: str) -> tuple:
    # SemVer 2.0 precedence, as modelreg.versioning.sort_key computes it then
    # (a migration keeps its own copy: it must not change when that module does).
    import semver

    parsed = semver.Version.parse(text[1:] if text[:1] in "vV" else text)
    if not parsed.prerelease:
        return (parsed.major, parsed.minor, parsed.patch, 1, ())
    identifiers = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in parsed.prerelease.split(".")
    )
    return (parsed.major, parsed.minor, parsed.patch, 0, identifiers)


def downgrade() -> None:
    op.create_index(
        op.f(_PARTS_INDEX),
        "model_versions",
        ["model_id", "semver_major", "semver_minor", "semver_patch"],
        unique=False,
    )
    # ALTER TABLE … DROP COLUMN: SQLite has it since 3.35, and it copies no table.
    op.execute(sa.text("ALTER TABLE registered_models DROP COLUMN top_semver"))
    op.execute(sa.text("ALTER TABLE registered_models DROP COLUMN top_version"))
