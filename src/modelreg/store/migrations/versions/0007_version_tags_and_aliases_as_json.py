"""each version's tags and aliases as JSON on its row, kept by triggers

Revision ID: 0007
Revises: 0006

A page of versions used to look up each version's tags and aliases with two
correlated subqueries per row: a fifth of a 200-version search. The version
row now carries both as JSON (NULL when there are none). Triggers on the two
tables rewrite them on every insert, update and delete, so every writer keeps
them right, the registry's own code, an import or a hand-run SQL statement
alike; the tables stay the truth that filters and uniqueness use.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# column -> (table, the JSON of one version's rows). ``{row}`` is what names the
# version: NEW or OLD in a trigger, model_versions when filling the column.
_SQLITE_JSON = {
    "tags_json": (
        "model_version_tags",
        "SELECT CASE WHEN count(*) > 0 THEN json_group_object(key, value) END FROM"
        " (SELECT key, value FROM model_version_tags WHERE version_id = {row}.version_id"
        " ORDER BY key)",
    ),
    "aliases_json": (
        "model_aliases",
        # model_id first: the primary key (model_id, alias) serves the lookup.
        "SELECT CASE WHEN count(*) > 0 THEN json_group_object(alias, 1) END FROM"
        " (SELECT alias FROM model_aliases"
        " WHERE model_id = {row}.model_id AND version_id = {row}.version_id ORDER BY alias)",
    ),
}
_POSTGRES_JSON = {
    "tags_json": (
        "model_version_tags",
        "SELECT CAST(json_object_agg(key, value ORDER BY key) AS TEXT) FROM model_version_tags"
        " WHERE version_id = {row}.version_id HAVING count(*) > 0",
    ),
    "aliases_json": (
        "model_aliases",
        "SELECT CAST(json_object_agg(alias, 1 ORDER BY alias) AS TEXT) FROM model_aliases"
        " WHERE model_id = {row}.model_id AND version_id = {row}.version_id"
        " HAVING count(*) > 0",
    ),
}


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("tags_json", sa.Text(), nullable=True))
    op.add_column("model_versions", sa.Column("aliases_json", sa.Text(), nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, (table, query) in (_SQLITE_JSON if sqlite else _POSTGRES_JSON).items():
        _refresh_all(column, query)
        if sqlite:
            _sqlite_triggers(column, table, query)
        else:
            _postgres_trigger(column, table, query)


def _refresh_all(column: str, query: str) -> None:
    one = query.format(row="model_versions")
    op.execute(sa.text(f"UPDATE model_versions SET {column} = ({one})"))


def _set(column: str, query: str, row: str) -> str:
    return (
        f"UPDATE model_versions SET {column} = ({query.format(row=row)})"
        f" WHERE version_id = {row}.version_id;"
    )


def _sqlite_triggers(column: str, table: str, query: str) -> None:
    name = f"{table}_{column}"
    # An update may move a row to another version (an alias set to a new one).
    for event, rows in (("insert", ["NEW"]), ("update", ["OLD", "NEW"]), ("delete", ["OLD"])):
        body = " ".join(_set(column, query, row) for row in rows)
        op.execute(
            sa.text(
                f"CREATE TRIGGER {name}_{event} AFTER {event.upper()} ON {table} BEGIN {body} END"
            )
        )


def _postgres_trigger(column: str, table: str, query: str) -> None:
    name = f"{table}_{column}"
    op.execute(
        sa.text(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {_set(column, query, 'OLD')} END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_set(column, query, 'NEW')} END IF; "
            "RETURN NULL; END $$"
        )
    )
    op.execute(
        sa.text(
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, (table, _query) in _SQLITE_JSON.items():
        name = f"{table}_{column}"
        if sqlite:
            for event in ("insert", "update", "delete"):
                op.execute(sa.text(f"DROP TRIGGER {name}_{event}"))
        else:
            op.execute(sa.text(f"DROP TRIGGER {name} ON {table}"))
            op.execute(sa.text(f"DROP FUNCTION {name}()"))
    # ALTER TABLE … DROP COLUMN: SQLite has it since 3.35, and it copies no table.
    op.execute(sa.text("ALTER TABLE model_versions DROP COLUMN aliases_json"))
    op.execute(sa.text("ALTER TABLE model_versions DROP COLUMN tags_json"))
