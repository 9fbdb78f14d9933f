"""A metadata database: its transactions and its schema migrations, on SQLite and PostgreSQL.

One :class:`Database` wraps one SQLAlchemy engine (see
:mod:`modelreg.store.engine`). ``read()`` hands out a connection for queries;
``write()`` a connection inside a write transaction that commits on success
and rolls back on any exception, so a failed call leaves nothing half-written.
Store functions run SQLAlchemy Core statements on those connections.

Every write transaction on SQLite starts with ``BEGIN IMMEDIATE``: a deferred
transaction that reads first and writes later can fail at once with
"database is locked" when another process commits in between, whatever the
timeout; taking the write lock up front makes concurrent writers queue instead.

What must only happen once a transaction has committed (sending the webhook
deliveries it wrote) is handed to :meth:`Database.after_commit`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, Engine, Select, column, func, inspect, select, table
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from modelreg.errors import Conflict, ServiceUnavailable
from modelreg.store.engine import new_engine, normalize_db_url, shared_engine

# Kept in step with the newest file in store/migrations/versions (a test checks),
# so opening an up-to-date store never has to import Alembic.
HEAD_REVISION = "0022"
_MIGRATION_LOCK_ID = 0x6D6F64656C726567  # "modelreg"
# Where a write transaction keeps what runs once it committed (Connection.info).
_AFTER_COMMIT = "modelreg.after_commit"
# Alembic's own table, which the schema does not declare.
_ALEMBIC_VERSION: Select[Any] = select(column("version_num")).select_from(table("alembic_version"))

log = logging.getLogger(__name__)


class Database:
    """A metadata database: SQLite file or PostgreSQL, same schema, same queries."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = normalize_db_url(url)
        self.engine = engine or new_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._begin = "BEGIN IMMEDIATE" if self.is_sqlite else "BEGIN"

    @classmethod
    def shared(cls, url: str) -> Database:
        """The process-wide Database for ``url``: one engine and pool per URL and process."""
        url = normalize_db_url(url)
        return cls(url, engine=shared_engine(url))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries; nothing it does is committed.

        Raises ``ServiceUnavailable`` when the database does not answer.
        """
        try:
            with self.engine.connect() as conn:
                yield conn
        except (OperationalError, PoolTimeout) as exc:
            raise _unavailable(exc) from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction: committed on success, rolled back on error.

        The driver is in autocommit (see :mod:`modelreg.store.engine`), so the
        transaction is spelled out: ``BEGIN`` (``IMMEDIATE`` on SQLite), the
        caller's statements, then ``COMMIT``, or a rollback on any exception.
        Raises ``ServiceUnavailable`` when the database does not answer (or,
        on SQLite, stays locked past the busy timeout).
        """
        committed: list[Callable[[], None]] = []
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql(self._begin)
                conn.info[_AFTER_COMMIT] = committed
                try:
                    yield conn
                except BaseException:
                    # SQLAlchemy's rollback reaches the driver's, which ends the
                    # transaction begun above; on a connection already lost it
                    # does nothing, and the error that lost it goes on.
                    with suppress(DBAPIError):
                        conn.rollback()
                    raise
                finally:  # a lost connection comes back with a new, empty info
                    conn.info.pop(_AFTER_COMMIT, None)
                conn.exec_driver_sql("COMMIT")
        except (OperationalError, PoolTimeout) as exc:
            raise _unavailable(exc) from exc
        for run in committed:
            try:
                run()
            except Exception:  # the change has committed: its caller must hear so
                log.exception("a step after a committed transaction failed")

    @staticmethod
    def after_commit(conn: Connection, run: Callable[[], None]) -> None:
        """Runs ``run`` once the write transaction of ``conn`` (from :meth:`write`) has
        committed and its connection is back in the pool; never if it rolls back.

        Raises ``RuntimeError`` for a connection that is not in a write transaction.
        """
        steps = conn.info.get(_AFTER_COMMIT)
        if steps is None:
            raise RuntimeError("after_commit needs a connection from Database.write()")
        steps.append(run)

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
        return conn.execute(_ALEMBIC_VERSION).scalar()

    def ensure_schema(
        self, *, upgrade: bool, create_if_missing: bool = False, other_way: str = ""
    ) -> None:
        """Checks the schema is current; migrates it first when ``upgrade`` is true, or
        when ``create_if_missing`` is and the database has no schema at all.

        Raises ``Conflict`` when the database is behind and may not be
        migrated (the server's case: migrations are an explicit step there; the
        message gives the command, and ``other_way`` if given), or when the
        database is newer than this version of modelreg.
        """
        revision = self.current_revision()
        if revision == HEAD_REVISION:
            return
        upgrade = upgrade or (create_if_missing and revision is None)
        if revision is not None and revision not in _known_revisions():
            raise Conflict(
                f"the database at {self.safe_url} is at schema revision {revision}, "
                "which this version of modelreg does not know; upgrade modelreg"
            )
        if not upgrade:
            url = self.safe_url
            raise Conflict(
                f"the database at {url} is at schema revision {revision or 'none'}, not "
                f"{HEAD_REVISION}; run `modelreg db upgrade --backend-store-uri {url}` first"
                + (f" ({other_way})" if other_way else "")
            )
        self.upgrade()

    def upgrade(self) -> str | None:
        """Migrates the schema to the newest revision; returns the revision it found.

        That is the revision seen under the migration lock (``None`` for an
        empty database), so a caller can tell "migrated from X" from "already
        current" even when another process migrated a moment before.
        Concurrent callers are serialised (``BEGIN IMMEDIATE`` on SQLite, an
        advisory lock on PostgreSQL) and the whole upgrade runs in one
        transaction, so a crash leaves the old or the new revision, never a mix,
        and several processes starting at once migrate exactly once.
        """
        from modelreg.store.migrate import run_upgrade

        with self.write() as conn:
            if not self.is_sqlite:
                conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK_ID)))
            found = self.current_revision(conn)
            if found != HEAD_REVISION:
                run_upgrade(conn)
        if found not in (None, HEAD_REVISION):  # migrations may have rebuilt tables of rows
            self.refresh_statistics()
        return found

    def refresh_statistics(self) -> None:
        """Brings the query planner's statistics of every table up to date, after a bulk
        load or a migration that rebuilt tables: PostgreSQL's ``ANALYZE``.

        Until it ran (or autovacuum did, up to minutes later), PostgreSQL plans
        searches as if the tables were empty: a page of runs that takes 2 ms
        took 50 ms after loading 50,000. On SQLite nothing is done: its planner
        keeps no statistics unless asked, and the searches are written for that.
        """
        if self.is_sqlite:
            return
        from modelreg.store.all_tables import metadata

        quote = self.engine.dialect.identifier_preparer.quote
        names = ", ".join(quote(t.name) for t in metadata.sorted_tables)
        with self.read() as conn:
            conn.exec_driver_sql(f"ANALYZE {names}")

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Closes every connection this database's engine holds (none is in use)."""
        self.engine.dispose()


def _known_revisions() -> set[str]:
    from modelreg.store.migrate import all_revisions

    return all_revisions()


def _unavailable(exc: OperationalError | PoolTimeout) -> ServiceUnavailable:
    if isinstance(exc, PoolTimeout):
        return ServiceUnavailable("every connection to the metadata database is busy")
    return ServiceUnavailable(f"the metadata database did not answer: {exc.orig}")
