"""SQLAlchemy engines for SQLite and PostgreSQL: URLs, pools, connection set-up, forks.

One engine (and so one connection pool) serves each database URL in a
process (:func:`shared_engine`). On both databases the driver connection
stays in autocommit, so a read is the query alone; :class:`Database
<modelreg.store.database.Database>` spells out the transaction of a write.

SQLite runs in WAL mode with foreign keys on and a busy timeout. PostgreSQL
connections that sat idle in the pool are pinged before use. A process
forked from one that has open connections starts with empty pools, so it
never uses its parent's connections.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

from modelreg.errors import InvalidArgument
from modelreg.uris import without_credentials

SQLITE_BUSY_TIMEOUT_MS = 60_000
# Each SQLite connection keeps up to this many KiB of database pages (SQLite's
# default is 2 MiB). A search on a big store visits index pages spread over
# the file; at a million runs a 2 MiB cache re-reads most of them on every
# call and a top-10 metric search takes ~1.5x as long. Pages are allocated as
# read, so a small store uses no more than before.
SQLITE_CACHE_KIB = 16 * 1024
POOL_SIZE = 8
POOL_OVERFLOW = 16
# How long a call waits for a free connection before it is answered "unavailable"
# (503 on the server): a pool wait is bounded, so a stalled database fails fast
# instead of piling up every worker thread.
POOL_TIMEOUT_SECONDS = 10.0
# A connection back in the pool for longer than this is pinged before use:
# idle connections are the ones a database restart or a proxy's idle timeout
# has closed; under load none is idle that long, so no call pays for a ping
# (pool_pre_ping would cost a round trip on every checkout, as much as a read).
IDLE_PING_SECONDS = 10.0

_shared: dict[str, Engine] = {}
_shared_lock = threading.Lock()
_every_engine: weakref.WeakSet[Engine] = weakref.WeakSet()


def normalize_db_url(url: str) -> str:
    """Accepts ``postgresql://`` and ``postgres://`` and selects the psycopg 3 driver.

    Raises ``InvalidArgument`` for any other kind of URL than SQLite and PostgreSQL.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise InvalidArgument(
        f"backend store URI '{without_credentials(url)}' is not supported; "
        "use sqlite:///path.db or postgresql://…"
    )


def shared_engine(url: str) -> Engine:
    """The process's engine for ``url`` (normalized), created on first use."""
    with _shared_lock:
        engine = _shared.get(url)
        if engine is None:
            engine = _shared[url] = new_engine(url)
        return engine


def new_engine(url: str) -> Engine:
    """A new engine for a normalized URL, with its own pool."""
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    else:
        engine = create_engine(
            url,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            pool_recycle=1800,
            isolation_level="AUTOCOMMIT",
        )
        event.listen(engine, "checkin", _on_checkin)
        event.listen(engine, "checkout", _ping_if_idle)
    _every_engine.add(engine)
    return engine


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        # LIFO hands back the connection used last, whose page cache is
        # still valid: most calls then read no page from the file.
        pool_use_lifo=True,
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit: the driver begins no transaction of its own; Database.write
    # begins one with BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    # Checkpoint every 10,000 pages (~40 MB of log) rather than 1,000: pages that
    # every write touches (the model's row, index roots) are then copied back
    # once per checkpoint, not ten times; small writes get ~15% faster.
    cursor.execute("PRAGMA wal_autocheckpoint = 10000")
    cursor.execute("PRAGMA foreign_keys = ON")
    # LIKE is case-sensitive on PostgreSQL; make SQLite agree (ILIKE stays insensitive).
    cursor.execute("PRAGMA case_sensitive_like = ON")
    cursor.close()


def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in = record.info.get("checked_in")
    if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        # The pool discards this connection and hands out a new one.
        raise DisconnectionError(f"an idle connection was closed: {exc}") from exc


def _forget_connections_after_fork() -> None:
    # SQLAlchemy's recipe for pools and os.fork(): the child starts new pools
    # and leaves its parent's connections alone (close=False: closing them
    # would end the parent's sessions).
    for engine in list(_every_engine):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_after_fork)
