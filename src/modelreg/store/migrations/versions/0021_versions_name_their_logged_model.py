"""versions name their logged model: model_versions.logged_model_id

Revision ID: 0021
Revises: 0020

A version registered from an MLflow 3 logged model (source ``models:/m-<id>``), or
from another version that was, names that logged model (``ModelVersion.model_id``).
Versions stored before this revision get it from their source: directly for a
``models:/m-<id>`` source, through the versions named for a ``models:/<name>/<n>``
one.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The id form of modelreg.logged_models.LOGGED_MODEL_ID_RE, as it was at this revision.
_LOGGED = re.compile(r"models:/(m-[0-9a-f]{32})(?:/.*)?")
_VERSION = re.compile(r"models:/([^/]+)/([0-9]+)")


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("logged_model_id", sa.String(64)))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT v.version_id, m.name, v.version, v.source FROM model_versions v "
            "JOIN registered_models m ON m.model_id = v.model_id "
            "WHERE v.source LIKE 'models:/%'"
        )
    ).all()
    sources = {(name, version): source for _id, name, version, source in rows}

    def logged_model_of(source: str, depth: int = 0) -> str | None:
        if found := _LOGGED.fullmatch(source):
            return found.group(1)
        found = _VERSION.fullmatch(source)
        if found is None or depth > 100:  # a chain of copies ends; a cycle cannot be stored
            return None
        parent = sources.get((found.group(1), int(found.group(2))))
        return None if parent is None else logged_model_of(parent, depth + 1)

    update = sa.text("UPDATE model_versions SET logged_model_id = :m WHERE version_id = :id")
    for version_id, _name, _version, source in rows:
        if (model_id := logged_model_of(source)) is not None:
            conn.execute(update, {"m": model_id, "id": version_id})


def downgrade() -> None:
    # Not batch mode: on SQLite that rebuilds the table, and dropping the old one would
    # cascade to the versions' tags and aliases. SQLite drops a column itself since 3.35.
    op.execute("ALTER TABLE model_versions DROP COLUMN logged_model_id")
