"""indexes that keep every read flat as the registry grows (issue #17)

Revision ID: 0011
Revises: 0010

- model_versions (model_id, current_stage, version) replaces (model_id,
  current_stage): the newest version in a stage is one index probe, not a
  walk over every version the model has in that stage.
- model_versions (model_id, semver_major, semver_minor, semver_patch): a
  semver range (``models:/m/^1.2``) is resolved from the top of its stretch
  of this index, not by reading every version's semver.
- (key, value) indexes on latest_metrics, params, run_tags,
  model_version_tags and registered_model_tags: a search filtered or ordered
  by ``metrics.x``, ``params.x`` or ``tags.x`` starts from the rows of that
  key instead of reading every run. Text values are indexed by their first
  100 characters (``substr``): a PostgreSQL b-tree entry has a size limit,
  and a param or tag value may be longer.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_PREFIX = "substr(value, 1, 100)"
_SEMVER_PARTS = ["semver_major", "semver_minor", "semver_patch"]
_SEMVER_INDEX = "ix_model_versions_semver_parts"
# table -> the column naming what a row belongs to
_TEXT_VALUES = {
    "params": "run_id",
    "run_tags": "run_id",
    "model_version_tags": "version_id",
    "registered_model_tags": "model_id",
}


def upgrade() -> None:
    op.drop_index("ix_model_versions_model_id_current_stage", table_name="model_versions")
    op.create_index(
        "ix_model_versions_model_id_current_stage_version",
        "model_versions",
        ["model_id", "current_stage", "version"],
    )
    op.create_index(_SEMVER_INDEX, "model_versions", ["model_id", *_SEMVER_PARTS])
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value", "run_id"])
    for table, owner in _TEXT_VALUES.items():
        op.create_index(f"ix_{table}_key_value", table, ["key", sa.text(_PREFIX), owner])


def downgrade() -> None:
    for table in _TEXT_VALUES:
        op.drop_index(f"ix_{table}_key_value", table_name=table)
    op.drop_index("ix_latest_metrics_key_value", table_name="latest_metrics")
    op.drop_index(_SEMVER_INDEX, table_name="model_versions")
    op.drop_index("ix_model_versions_model_id_current_stage_version", table_name="model_versions")
    op.create_index(
        "ix_model_versions_model_id_current_stage", "model_versions", ["model_id", "current_stage"]
    )
