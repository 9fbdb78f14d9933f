"""look-alike keys on names and aliases; dataset descriptions kept per run

Revision ID: 0010
Revises: 0009

Names that look alike (``сhampion`` and ``champion``) are one name: models,
experiments and aliases (per model) keep the SHA-256 of their look-alike key
(modelreg.lookalike) under a unique index. Existing rows get their keys here;
of rows that already looked alike, the oldest keeps the key and the others
none (they keep their names; nothing new may look like any of them).

A dataset's source, schema and row count were kept once per (name, digest),
the first logged, and shown in every run that logged the pair: a user read
another's hidden source, or planted theirs in an admin's lineage, by
logging the same name and digest. The description now lives on the run's
input row (run_inputs), so it follows the run; the shared copy is cleared.
"""

import hashlib
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_KEYED = [
    ("experiments", "name_key", ["name"], ["experiment_id"], []),
    ("registered_models", "name_key", ["name"], ["model_id"], []),
    ("model_aliases", "alias_key", ["alias"], ["model_id", "alias"], ["model_id"]),
]
_DESCRIPTION: list[tuple[str, sa.types.TypeEngine[Any]]] = [
    ("source", sa.Text()),
    ("data_schema", sa.Text()),
    ("num_rows", sa.BigInteger()),
]


def _digest(name: str) -> str:
    # The key as modelreg.lookalike computes it in this release; the stored keys
    # are only right while that function (and its Unicode data) stays the same,
    # and a change to either comes with a migration that recomputes them.
    from modelreg.lookalike import lookalike_key

    return hashlib.sha256(lookalike_key(name).encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    conn = op.get_bind()
    for table, key, (name,), ids, scope in _KEYED:
        op.add_column(table, sa.Column(key, sa.String(length=64), nullable=True))
        rows = conn.execute(
            sa.text(f"SELECT {', '.join(ids)}, {name} FROM {table} ORDER BY {', '.join(ids)}")
        ).all()
        taken = set()
        where = " AND ".join(f"{i} = :{i}" for i in ids)
        for row in rows:
            values = dict(zip(ids, row, strict=False))
            digest = _digest(row[-1])
            claim = (*(values[s] for s in scope), digest)
            if claim not in taken:
                taken.add(claim)
                conn.execute(
                    sa.text(f"UPDATE {table} SET {key} = :key WHERE {where}"),
                    {**values, "key": digest},
                )
        op.create_index(f"ix_{table}_{'_'.join([*scope, key])}", table, [*scope, key], unique=True)
    for column, kind in _DESCRIPTION:
        op.add_column("run_inputs", sa.Column(column, kind, nullable=True))
        op.execute(
            sa.text(
                f"UPDATE run_inputs SET {column} = (SELECT datasets.{column} FROM datasets"
                " WHERE datasets.dataset_id = run_inputs.dataset_id)"
            )
        )
    op.execute(sa.text("UPDATE datasets SET source = NULL, data_schema = NULL, num_rows = NULL"))


def downgrade() -> None:
    # Back to one description per dataset: the one its earliest input row holds.
    for column, _kind in _DESCRIPTION:
        op.execute(
            sa.text(
                f"UPDATE datasets SET {column} = (SELECT r.{column} FROM run_inputs r"
                " WHERE r.dataset_id = datasets.dataset_id"
                " ORDER BY r.timestamp, r.run_id, r.context LIMIT 1)"
            )
        )
    # ALTER TABLE … DROP COLUMN: SQLite has it since 3.35, and it copies no table.
    for column, _kind in reversed(_DESCRIPTION):
        op.execute(sa.text(f"ALTER TABLE run_inputs DROP COLUMN {column}"))
    for table, key, _name, _ids, scope in reversed(_KEYED):
        op.drop_index(f"ix_{table}_{'_'.join([*scope, key])}", table_name=table)
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {key}"))
