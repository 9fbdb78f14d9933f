"""an index for one version's history: audit events by (model, version, event)

Revision ID: 0013
Revises: 0012

A version page shows the newest events of that version. With only the
(model, event) index, finding them walks the whole model's trail, which
grows with every version (20,000 versions: tens of thousands of events);
this index answers a page of one version's events in one seek.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_NAME = "ix_audit_events_model_id_version_event_id"


def upgrade() -> None:
    op.create_index(_NAME, "audit_events", ["model_id", "version", "event_id"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="audit_events")
