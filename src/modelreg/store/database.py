"""Engine set-up, transactions and schema migrations for SQLite and PostgreSQL.

One :class:`Database` wraps one SQLAlchemy engine. ``read()`` hands out a
connection for queries; ``write()`` a connection inside a write transaction
that commits on success and rolls back on any exception, so a failed call
leaves nothing half-written.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE``: a deferred transaction that
reads first and writes later can fail at once with "database is locked" when
another process commits in between, whatever the timeout; taking the write
lock up front makes concurrent writers queue instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError

from modelreg.errors import Conflict, InvalidArgument, ServiceUnavailable

# Kept in step with the newest file in store/migrations/versions (a test checks),
# so opening an up-to-date store never has to import Alembic.
HEAD_REVISION = "0002"
_MIGRATION_LOCK_ID = 0x6D6F64656C726567  # "modelreg"
SQLITE_BUSY_TIMEOUT_MS = 60_000

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def normalize_db_url(url: str) -> str:
    """Accepts ``postgresql://`` and ``postgres://`` and selects the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise InvalidArgument(
        f"backend store URI '{url}' is not supported; use sqlite:///path.db or postgresql://…"
    )


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # Transactions are begun explicitly (see Database.write), not by the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # LIKE is case-sensitive on PostgreSQL; make SQLite agree (ILIKE stays insensitive).
    cursor.execute("PRAGMA case_sensitive_like = ON")
    cursor.close()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=8,
            max_overflow=16,
            # LIFO hands back the connection used last, whose page cache is
            # still valid: most calls then read no page from the file.
            pool_use_lifo=True,
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True)


class Database:
    """A metadata database: SQLite file or PostgreSQL, same schema, same queries."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = normalize_db_url(url)
        self.engine = engine or _create_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    @classmethod
    def shared(cls, url: str) -> Database:
        """The process-wide Database for ``url``: one engine and pool per URL and process."""
        url = normalize_db_url(url)
        key = f"{os.getpid()}:{url}"
        with _engines_lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = _create_engine(url)
        return cls(url, engine=engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries; nothing it does is committed."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction: committed on success, rolled back on error."""
        try:
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    # -- schema -----------------------------------------------------------

    def current_revision(self, conn: Connection | None = None) -> str | None:
        """The Alembic revision the database is at, or ``None`` for an empty database."""
        if conn is None:
            with self.read() as c:
                return self.current_revision(c)
        # Inspecting instead of catching "no such table" keeps a surrounding
        # write transaction (and its lock) intact.
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def ensure_schema(self, *, upgrade: bool) -> None:
        """Checks the schema is current; migrates it first when ``upgrade`` is true.

        Raises ``Conflict`` when the database is behind and ``upgrade`` is
        false (the server's case: migrations are an explicit step there), or
        when the database is newer than this version of modelreg.
        """
        revision = self.current_revision()
        if revision == HEAD_REVISION:
            return
        if revision is not None and revision not in _known_revisions():
            raise Conflict(
                f"the database at {self.safe_url} is at schema revision {revision}, "
                "which this version of modelreg does not know; upgrade modelreg"
            )
        if not upgrade:
            raise Conflict(
                f"the database at {self.safe_url} is at schema revision {revision or 'none'}, "
                f"not {HEAD_REVISION}; run `modelreg db upgrade --backend-store-uri …` first"
            )
        self.upgrade()

    def upgrade(self) -> str:
        """Migrates the schema to the newest revision and returns it.

        Concurrent callers are serialised (``BEGIN IMMEDIATE`` on SQLite, an
        advisory lock on PostgreSQL) and the whole upgrade runs in one
        transaction, so a crash leaves the old or the new revision, never a mix,
        and several processes starting at once migrate exactly once.
        """
        from modelreg.store.migrate import run_upgrade

        with self.write() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
            if self.current_revision(conn) != HEAD_REVISION:
                run_upgrade(conn)
        return HEAD_REVISION

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def executemany(conn: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Runs one Core INSERT for many rows with the driver's executemany.

    Skips SQLAlchemy's per-row parameter processing, which costs more than the
    insert itself on hot paths (a 10-metric batch: ~45 µs). Only for statements
    whose columns need no type conversion (strings, numbers, booleans).
    """
    sql, names = _compiled(conn.dialect, statement)
    conn.exec_driver_sql(sql, [tuple(r[n] for n in names) for r in rows] if names else rows)


@lru_cache(maxsize=64)
def _compiled(dialect: Any, statement: Any) -> tuple[str, tuple[str, ...] | None]:
    compiled = statement.compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup) if compiled.positional else None


def _known_revisions() -> set[str]:
    from modelreg.store.migrate import all_revisions

    return all_revisions()


def _unavailable(exc: OperationalError) -> Exception:
    return ServiceUnavailable(f"the metadata database did not answer: {exc.orig}")
