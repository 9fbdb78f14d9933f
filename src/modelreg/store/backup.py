"""SQL for export and import: every table's rows, read in one snapshot, written back as they were.

Tables are handled in foreign-key order (``metadata.sorted_tables``), rows as
tuples in column order. Identifiers (experiment, model, version ids …) are
copied as they are, so references between rows and the ids users have seen
stay valid; PostgreSQL's sequences are then moved past them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Integer, Table, delete, func, insert, select, text

from modelreg.store.all_tables import metadata
from modelreg.store.database import Database
from modelreg.store.schema import experiments, metrics
from modelreg.store.upsert import dialect_insert

DEFAULT_EXPERIMENT_ID = 0
BATCH = 1000
# Columns of older schemas that this one dropped (migration 0008: the version's
# tags and aliases as JSON, which their own tables hold). An archive written
# before keeps them; an import leaves them out.
_DROPPED_COLUMNS = {"model_versions": frozenset({"tags_json", "aliases_json"})}
# The answers a server keeps for a day for clients that repeat a request
# (services.idempotency): no registry data, and meaningless to another registry.
_NOT_ARCHIVED = frozenset({"idempotency_keys"})


def dropped_columns(table_name: str) -> frozenset[str]:
    """Columns an older schema had in ``table_name`` and this one dropped."""
    return _DROPPED_COLUMNS.get(table_name, frozenset())


def tables() -> list[Table]:
    """Every table of the schema that holds registry data, parents before children."""
    return [table for table in metadata.sorted_tables if table.name not in _NOT_ARCHIVED]


@contextmanager
def snapshot(db: Database) -> Iterator[Connection]:
    """A connection that sees one consistent state of the whole database until it closes."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            # Deferred: the snapshot is taken by the first read and writers are not blocked.
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.execute(text("SET TRANSACTION READ ONLY"))
        try:
            yield conn
        finally:
            conn.rollback()


def _order(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.columns)


def rows(conn: Connection, table: Table) -> Iterator[tuple[Any, ...]]:
    """The table's rows in primary-key order, streamed in batches."""
    query = select(*table.columns).order_by(*_order(table))
    result = conn.execution_options(yield_per=BATCH).execute(query)
    for row in result:
        yield tuple(row)


def holds_data(conn: Connection) -> list[str]:
    """The tables holding rows a fresh database does not have (its Default experiment)."""
    busy = []
    for table in tables():
        query = select(func.count()).select_from(table)
        if table is experiments:
            query = query.where(experiments.c.experiment_id != DEFAULT_EXPERIMENT_ID)
        if conn.execute(query).scalar():
            busy.append(table.name)
    return busy


def remove_default_experiment(conn: Connection) -> None:
    """Drops the fresh database's Default experiment, which the archive brings its own of."""
    conn.execute(delete(experiments).where(experiments.c.experiment_id == DEFAULT_EXPERIMENT_ID))


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], batch: list[Sequence[Any]]
) -> None:
    """Inserts rows given as value tuples in ``columns`` order (dropped columns left out)."""
    dropped = dropped_columns(table.name)
    statement = insert(table)
    if table is metrics:
        # Archives written before migration 0014 may hold a point more than once.
        statement = dialect_insert(conn.dialect.name, table).on_conflict_do_nothing()
    if batch:
        conn.execute(
            statement,
            [
                {c: v for c, v in zip(columns, values, strict=True) if c not in dropped}
                for values in batch
            ],
        )


def advance_sequences(conn: Connection) -> None:
    """Moves each PostgreSQL id sequence past the largest id imported (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement is True:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) "
                        f"FROM {table.name}"
                    )
                )
