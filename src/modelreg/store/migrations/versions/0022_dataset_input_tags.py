"""dataset inputs keep their tags: run_inputs.tags

Revision ID: 0022
Revises: 0021

A run's dataset input keeps the tags it was logged with besides its context (MLflow's
``log_input(tags=…)``), as JSON. Inputs an MLflow client logged before this revision
kept their tags inside the source (``{"mlflow_dataset": …, "tags": …}``); they move
here, less the context, which is the input's ``context`` already.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# modelreg.datasets.MLFLOW_DESCRIPTION, CONTEXT_TAG and the MLflow endpoints' context of
# an input logged without one, as they were at this revision.
_DESCRIPTION = "mlflow_dataset"
_CONTEXT = "mlflow.data.context"
_NO_CONTEXT = "unspecified"


def _mlflow_kept(source: str) -> dict | None:
    """What the source of an input an MLflow client logged keeps; None for any other."""
    try:
        kept = json.loads(source)
    except ValueError:
        return None
    if not isinstance(kept, dict) or not isinstance(kept.get(_DESCRIPTION), dict):
        return None
    return kept


def upgrade() -> None:
    op.add_column("run_inputs", sa.Column("tags", sa.Text))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT run_id, dataset_id, context, source FROM run_inputs "
            "WHERE source LIKE '{%' AND source LIKE '%\"tags\"%'"
        )
    ).all()
    update = sa.text(
        "UPDATE run_inputs SET source = :source, tags = :tags "
        "WHERE run_id = :run_id AND dataset_id = :dataset_id AND context = :context"
    )
    for run_id, dataset_id, context, source in rows:
        if (kept := _mlflow_kept(source)) is None:
            continue
        tags = kept.pop("tags", None) or {}
        others = {k: v for k, v in tags.items() if k != _CONTEXT}
        conn.execute(
            update,
            {
                "source": json.dumps(kept, sort_keys=True),
                "tags": json.dumps(others) if others else None,
                "run_id": run_id,
                "dataset_id": dataset_id,
                "context": context,
            },
        )


def downgrade() -> None:
    # The tags of inputs an MLflow client logged go back into their source, with the
    # context as the tag it came as; modelreg's own inputs had none before.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT run_id, dataset_id, context, source, tags FROM run_inputs "
            "WHERE source LIKE '{%'"
        )
    ).all()
    update = sa.text(
        "UPDATE run_inputs SET source = :source "
        "WHERE run_id = :run_id AND dataset_id = :dataset_id AND context = :context"
    )
    for run_id, dataset_id, context, source, tags in rows:
        if (kept := _mlflow_kept(source)) is None:
            continue
        sent = {} if context == _NO_CONTEXT else {_CONTEXT: context}
        kept["tags"] = {**sent, **json.loads(tags or "{}")}
        source = json.dumps(kept, sort_keys=True)
        conn.execute(
            update,
            {"source": source, "run_id": run_id, "dataset_id": dataset_id, "context": context},
        )
    # Not batch mode: SQLite drops a column itself since 3.35, without rebuilding.
    op.execute("ALTER TABLE run_inputs DROP COLUMN tags")
