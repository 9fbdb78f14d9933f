"""New, empty PostgreSQL databases for tests that need one of their own (not the session's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from conftest import PG_ADMIN_URL
from modelreg.store.database import Database


@contextmanager
def new_postgres_database(prefix: str = "modelreg_tmp") -> Iterator[str]:
    """The URL of a new empty database, dropped on exit (with any connections left to it)."""
    import psycopg

    admin = PG_ADMIN_URL.replace("+psycopg", "")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from modelreg.backend import clear_backend_cache
        from modelreg.store import engine

        clear_backend_cache()
        for url, shared in list(engine._shared.items()):
            if name in url:
                shared.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def planner_statistics(db: Database, table: str) -> bool:
    """Whether PostgreSQL's planner holds statistics of ``table``'s columns: ANALYZE (or
    autovacuum) wrote some since its rows arrived."""
    with db.read() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_stats WHERE tablename = :table LIMIT 1"), {"table": table}
        )
        return found.first() is not None


def migrate_to(url: str, revision: str) -> None:
    """Migrates the database at ``url`` to ``revision`` (an older one than the newest)."""
    from alembic import command

    from modelreg.store.migrate import alembic_config

    db = Database(url)
    with db.write() as conn:
        command.upgrade(alembic_config(conn), revision)
    db.dispose()


def someone_waits_for_a_lock(url: str) -> bool:
    """Whether a transaction of PostgreSQL database ``url`` waits for a lock within 10 s."""
    import time

    import psycopg

    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]:
                return True
            time.sleep(0.01)
    return False
