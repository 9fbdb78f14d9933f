"""``INSERT … ON CONFLICT`` for SQLite and PostgreSQL, which spell it alike but build it apart."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(dialect: str, table: Table) -> Any:
    """``INSERT INTO table`` for the dialect named ``dialect``, which can add ``ON CONFLICT``."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: tuple[str, ...],
    updates: tuple[str, ...],
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET updates (or DO NOTHING), on both databases.

    Every row gives the same columns.
    """
    if rows:
        conn.execute(_upsert_statement(conn.dialect.name, table, keys, updates), list(rows))


@cache
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], updates: tuple[str, ...]
) -> Any:
    # One statement per (dialect, table, keys, updates): a handful exist.
    statement = dialect_insert(dialect, table)
    if not updates:
        return statement.on_conflict_do_nothing(index_elements=list(keys))
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: new[c] for c in updates}
    )
