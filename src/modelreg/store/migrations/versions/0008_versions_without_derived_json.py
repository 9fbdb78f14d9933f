"""versions without the trigger-kept JSON copies of their tags and aliases

Revision ID: 0008
Revises: 0007

0007 copied each version's tags and aliases into JSON columns on its row,
rewritten by triggers. On PostgreSQL two transactions inserting tags on one
version at once each rewrote the copy from what they saw, so one tag could
go missing from it. Versions are now read with their tags and aliases from
their own tables, in the same query (correlated subqueries: two index lookups
per version), so the copies, their triggers and the rule that every writer
must take the model's lock go: this migration undoes 0007, and indexes
aliases by version for those lookups.
"""

from types import ModuleType

from alembic import op
from alembic.script import ScriptDirectory

from modelreg.store.migrate import alembic_config

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_INDEX = "ix_model_aliases_version_id"


def _migration_0007() -> ModuleType:
    return ScriptDirectory.from_config(alembic_config()).get_revision("0007").module


def upgrade() -> None:
    _migration_0007().downgrade()  # drops the triggers and the JSON columns
    op.create_index(_INDEX, "model_aliases", ["version_id"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="model_aliases")
    _migration_0007().upgrade()  # adds the columns, fills them and sets the triggers
