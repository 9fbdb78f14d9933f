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
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DisconnectionError, OperationalError

from modelreg.errors import Conflict, InvalidArgument, ServiceUnavailable
from modelreg.store.idle_connections import IdleConnections

# Kept in step with the newest file in store/migrations/versions (a test checks),
# so opening an up-to-date store never has to import Alembic.
HEAD_REVISION = "0010"
_MIGRATION_LOCK_ID = 0x6D6F64656C726567  # "modelreg"
SQLITE_BUSY_TIMEOUT_MS = 60_000

_engines: dict[str, Engine] = {}
_idle_connections: dict[str, IdleConnections] = {}
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
    # Checkpoint every 10,000 pages (~40 MB of log) rather than 1,000: pages that
    # every write touches (the model's row, index roots) are then copied back
    # once per checkpoint, not ten times; small writes get ~15% faster.
    cursor.execute("PRAGMA wal_autocheckpoint = 10000")
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
    # SQLAlchemy's pool_pre_ping would cost a round trip on every checkout, as
    # much as the query itself; connections are pinged only after being idle.
    # Connections stay in autocommit: a read is one round trip (no BEGIN before
    # it, no ROLLBACK after), and writes begin and commit their transaction
    # themselves (_postgres_transaction).
    engine = create_engine(
        url, pool_size=8, max_overflow=16, pool_recycle=1800, isolation_level="AUTOCOMMIT"
    )
    event.listen(engine, "checkin", _on_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A connection back in the pool for longer than this is pinged before use:
# idle connections are the ones a database restart or a proxy's idle timeout
# has closed; under load none is idle that long, so no call pays for a ping.
IDLE_PING_SECONDS = 10.0


def _on_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    checked_in = record.info.get("checked_in")
    if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:
        # The pool discards this connection and hands out a new one.
        raise DisconnectionError(f"an idle connection was closed: {exc}") from exc


class Database:
    """A metadata database: SQLite file or PostgreSQL, same schema, same queries."""

    def __init__(
        self, url: str, *, engine: Engine | None = None, idle: IdleConnections | None = None
    ) -> None:
        self.url = normalize_db_url(url)
        self.engine = engine or _create_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite and idle is None:
            idle = IdleConnections(self.engine)
        self._idle = idle

    @classmethod
    def shared(cls, url: str) -> Database:
        """The process-wide Database for ``url``: one engine and pool per URL and process."""
        url = normalize_db_url(url)
        key = f"{os.getpid()}:{url}"
        with _engines_lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = _create_engine(url)
                if engine.dialect.name == "sqlite":
                    _idle_connections[key] = IdleConnections(engine)
        return cls(url, engine=engine, idle=_idle_connections.get(key))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries; nothing it does is committed."""
        yield from self._connected(_as_it_is)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction: committed on success, rolled back on error."""
        yield from self._connected(_sqlite_transaction if self.is_sqlite else _postgres_transaction)

    def _connected(self, use: Any) -> Iterator[Connection]:
        """Runs the generator ``use(conn)`` on a kept SQLite connection or one from the pool."""
        idle = self._idle
        try:
            if idle is None:
                with self.engine.connect() as conn:
                    yield from use(conn)
                return
            conn = idle.take()
            try:
                yield from use(conn)
            finally:
                idle.give_back(conn)
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
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
            found = self.current_revision(conn)
            if found != HEAD_REVISION:
                run_upgrade(conn)
        return found

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Closes every connection this database's engine holds (none is in use)."""
        if self._idle is not None:
            self._idle.close_all()
        self.engine.dispose()


# -- prebuilt statements through the driver ---------------------------------------
#
# SQLAlchemy's per-call work around a prebuilt statement (cache lookup,
# parameter processing, Row objects) costs 10-40 µs, more than SQLite needs to
# run a primary-key lookup or update. On SQLite these helpers compile each
# statement once and hand it to the sqlite3 cursor directly; rows come back as
# plain tuples. They only suit statements whose columns need no type
# conversion (strings, numbers; booleans come back as 0/1 on SQLite). On
# PostgreSQL they go to psycopg the same way (which prepares repeated
# statements server-side). Connections with cursor-execute listeners
# (statement logging, query counting) go through SQLAlchemy as usual.


def fetch_all(conn: Connection, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """All rows of a prebuilt query (module-level, with ``bindparam``s), as tuples."""
    direct = _direct(conn, statement, params)
    if direct is None:
        return conn.execute(statement, params).all()
    return direct.fetchall()


def fetch_one(conn: Connection, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """The first row of a prebuilt query, or ``None``."""
    direct = _direct(conn, statement, params)
    if direct is None:
        return conn.execute(statement, params).first()
    row = direct.fetchone()
    direct.close()
    return row


def execute(conn: Connection, statement: Any, params: dict[str, Any] | None = None) -> int:
    """Runs a prebuilt INSERT, UPDATE or DELETE and returns the number of rows it touched."""
    direct = _direct(conn, statement, params)
    if direct is None:
        return conn.execute(statement, params).rowcount
    return direct.rowcount


def executemany(conn: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Runs one prebuilt INSERT for many rows with the driver's executemany.

    Skips SQLAlchemy's per-row parameter processing, which costs more than the
    insert itself on hot paths (a 10-metric batch: ~45 µs).
    """
    prepared = _prepare(conn.dialect, statement)
    if prepared.names is None:  # named paramstyle (PostgreSQL): the dicts go as they are
        conn.exec_driver_sql(prepared.sql, rows)
        return
    args = list(map(prepared.row_values, rows))
    if _listened(conn):
        conn.exec_driver_sql(prepared.sql, args)
        return
    try:
        conn.connection.dbapi_connection.executemany(prepared.sql, args)  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, prepared.sql, args, exc) from exc


# -- plain statements for one-off calls ------------------------------------------
#
# SQLAlchemy's compiler needs 0.1-0.6 ms the first time a process meets a
# statement, more than the call that runs it: one-off calls (creating a model,
# setting an alias, and the audit event every change writes) would pay that
# each time a process starts. Their statements are plain SQL that SQLite and
# PostgreSQL spell alike; the driver's ``?`` form is derived once, up front.


def plain_text(sql: str) -> Any:
    """``text(sql)``, with its SQLite form (``?`` for each ``:name``) derived here.

    Only for simple statements: no ``::`` casts, no escaped colons.
    """
    if "::" in sql or "\\:" in sql:
        raise ValueError(f"not a plain statement: {sql!r}")
    statement = text(sql)
    _PLAIN_QMARK[statement] = (_PLAIN_BIND.sub("?", sql), tuple(_PLAIN_BIND.findall(sql)))
    return statement


_PLAIN_BIND = re.compile(r"(?<![:\w]):(\w+)")
_PLAIN_QMARK: dict[Any, tuple[str, tuple[str, ...]]] = {}


def plain_insert(
    table: Any,
    columns: tuple[str, ...],
    *,
    returning: str | None = None,
    conflict: tuple[str, ...] = (),
    update: tuple[str, ...] = (),
) -> Any:
    """``INSERT INTO table (columns) VALUES (:columns)`` as a :func:`plain_text` statement.

    ``conflict`` adds ``ON CONFLICT (conflict) DO UPDATE SET`` the ``update``
    columns (or ``DO NOTHING``). The names are checked against the table, so
    the text cannot drift from the schema.
    """
    for name in (*columns, *conflict, *update, *([returning] if returning else [])):
        table.c[name]  # KeyError for a column the table does not have
    quoted = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({values})"
    if conflict:
        keys = ", ".join(f'"{c}"' for c in conflict)
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in update)
        sql += f" ON CONFLICT ({keys}) " + (f"DO UPDATE SET {sets}" if update else "DO NOTHING")
    if returning:
        sql += f' RETURNING "{returning}"'
    return plain_text(sql)


class StatementCache:
    """Statements built for searches, kept so that repeating a search skips building them.

    ``fetch_all(conn, key, build, params)`` runs the statement ``build()``
    returns for ``key`` (the search's filter tree, ordering, …; values that
    vary per page belong in ``params``). The first time a key is seen the
    statement runs through SQLAlchemy, whose own cache serves statements that
    differ only in their values; from the second time on it is compiled once
    and runs through the driver (see :func:`fetch_all`), which saves building
    the statement and SQLAlchemy's ~100 µs per call. At most ``size`` keys
    are kept; a full cache starts afresh.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._statements: dict[Any, Any] = {}

    def fetch_all(
        self, conn: Connection, key: Any, build: Any, params: dict[str, Any] | None = None
    ) -> list[Any]:
        try:
            statement = self._statements.get(key)
        except TypeError:  # an unhashable argument: nothing to remember it by
            return conn.execute(build(), params).all()
        if statement is not None:
            return fetch_all(conn, statement, params)
        statement = build()
        if len(self._statements) >= self._size:
            self._statements.clear()
        self._statements[key] = statement
        return conn.execute(statement, params).all()


class _Prepared:
    """A statement compiled for one dialect: SQL text, positional names, fixed values."""

    __slots__ = ("sql", "names", "defaults", "expanding", "row_values")

    def __init__(self, dialect: Any, statement: Any) -> None:
        plain = _PLAIN_QMARK.get(statement) if dialect.paramstyle == "qmark" else None
        if plain is not None:
            self.sql, self.names = plain
            self.defaults: dict[str, Any] = {}
            self.expanding: tuple[str, ...] = ()
            self.row_values = _row_values(self.names)
            return
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup) if compiled.positional else None
        # Values fixed at build time (LIMIT 1, literal(1)); the caller must give every
        # other parameter (a missing one is a KeyError, never a silent NULL).
        self.defaults = {
            name: value
            for name, value in compiled.params.items()
            if not compiled.binds[name].required
        }
        names = self.names or ()
        self.expanding = tuple(
            n for n in dict.fromkeys(names or compiled.binds) if compiled.binds[n].expanding
        )
        self.row_values = _row_values(names)


def _row_values(names: tuple[str, ...]) -> Any:
    """dict -> tuple of the positional values, in C."""
    getter = itemgetter(*names) if names else (lambda _row: ())
    return getter if len(names) != 1 else (lambda row: (getter(row),))


@lru_cache(maxsize=256)
def _prepare(dialect: Any, statement: Any) -> _Prepared:
    return _Prepared(dialect, statement)


def _listened(conn: Connection) -> bool:
    # The test SQLAlchemy's own execute path makes before dispatching any
    # connection event: checking the two cursor events themselves costs ~1 µs.
    return conn._has_events or conn.engine._has_events


def _direct(conn: Connection, statement: Any, params: dict[str, Any] | None) -> Any:
    """A driver cursor that ran ``statement``, or ``None`` when SQLAlchemy should run it."""
    if _listened(conn):
        return None
    if conn.dialect.name == "postgresql":
        return _direct_postgres(conn, statement, params)
    if conn.dialect.name != "sqlite":
        return None
    prepared = _prepare(conn.dialect, statement)
    if not prepared.defaults:
        values = params or {}
    else:
        values = {**prepared.defaults, **params} if params else prepared.defaults
    sql = prepared.sql
    if prepared.expanding:
        args: Any = []
        for name in prepared.names:  # type: ignore[union-attr]
            value = values[name]
            if name in prepared.expanding:
                if not value:
                    return None  # SQLAlchemy renders an empty IN its own way
                args.extend(value)
            else:
                args.append(value)
        for name in prepared.expanding:
            marks = ", ".join("?" * len(values[name]))
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", marks)
    else:
        args = prepared.row_values(values)
    try:
        return conn.connection.dbapi_connection.execute(sql, args)  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, sql, args, exc) from exc


def _direct_postgres(conn: Connection, statement: Any, params: dict[str, Any] | None) -> Any:
    """A psycopg cursor that ran ``statement`` (named parameters go as they are)."""
    prepared = _prepare(conn.dialect, statement)
    if prepared.expanding:
        return None  # IN lists: SQLAlchemy renders them
    values = {**prepared.defaults, **params} if params else prepared.defaults
    driver: Any = conn.connection.dbapi_connection
    try:
        return driver.execute(prepared.sql, values)
    except conn.dialect.loaded_dbapi.Error as exc:
        if conn.dialect.is_disconnect(exc, driver, None):
            # As SQLAlchemy does: this connection, and the pool's others, are gone.
            conn.invalidate(exc)
        raise _wrapped(conn, prepared.sql, values, exc) from exc


def _wrapped(conn: Connection, sql: str, args: Any, exc: Exception) -> Exception:
    """The SQLAlchemy exception SQLAlchemy itself would raise (IntegrityError, …)."""
    from sqlalchemy.exc import DBAPIError

    dbapi_error = conn.dialect.loaded_dbapi.Error
    return DBAPIError.instance(sql, args, exc, dbapi_error, dialect=conn.dialect)


def _known_revisions() -> set[str]:
    from modelreg.store.migrate import all_revisions

    return all_revisions()


def _as_it_is(conn: Connection) -> Iterator[Connection]:
    yield conn


def _sqlite_transaction(conn: Connection) -> Iterator[Connection]:
    """Runs the caller's block in a ``BEGIN IMMEDIATE`` transaction on the sqlite3 connection.

    The driver runs in autocommit mode (see ``_on_sqlite_connect``), so the
    transaction is begun and ended here, on the driver connection itself:
    through SQLAlchemy those two statements cost more than a small write.
    Statements the block runs through SQLAlchemy join the same transaction;
    SQLAlchemy's own rollback when the connection returns to the pool is then
    a no-op.
    """
    driver: Any = conn.connection.dbapi_connection
    locked = conn.dialect.loaded_dbapi.OperationalError
    try:
        driver.execute("BEGIN IMMEDIATE")
    except locked as exc:  # still locked after the busy timeout
        raise _unavailable(exc) from exc
    try:
        yield conn
    except BaseException:
        if driver.in_transaction:
            driver.rollback()
        raise
    try:
        driver.commit()
    except locked as exc:
        raise _unavailable(exc) from exc


def _postgres_transaction(conn: Connection) -> Iterator[Connection]:
    """Runs the caller's block in a transaction begun and ended on the psycopg connection.

    Pooled connections are in autocommit (see ``_create_engine``), so each
    statement would commit on its own; an explicit ``BEGIN`` groups them. Every
    statement of the block, through SQLAlchemy or the driver, joins it, and
    SQLAlchemy's own commit or rollback at check-in finds nothing left to end.
    """
    driver: Any = conn.connection.dbapi_connection
    _on_driver(conn, "BEGIN", driver.execute, "BEGIN")
    try:
        yield conn
    except BaseException:
        # A connection lost mid-block cannot roll back; the error that lost it goes on.
        with suppress(conn.dialect.loaded_dbapi.Error):
            driver.rollback()
        raise
    _on_driver(conn, "COMMIT", driver.commit)


def _on_driver(conn: Connection, sql: str, call: Any, *args: Any) -> None:
    """``call(*args)`` on the driver, its errors raised as SQLAlchemy would raise them."""
    try:
        call(*args)
    except conn.dialect.loaded_dbapi.Error as exc:
        if conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None):
            conn.invalidate(exc)
            raise _unavailable(exc) from exc
        raise _wrapped(conn, sql, (), exc) from exc


def _unavailable(exc: Exception) -> Exception:
    """ServiceUnavailable for a database error (SQLAlchemy's or the driver's own)."""
    return ServiceUnavailable(
        f"the metadata database did not answer: {getattr(exc, 'orig', None) or exc}"
    )
