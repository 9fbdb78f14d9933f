"""SQLite connections kept open between calls, so a call skips the pool's checkout.

Checking a connection out of SQLAlchemy's pool and back in (a ``Connection``
object, the pool's fairy and record, its queue and lock, a reset on return)
costs about 9 µs, more than SQLite needs for a primary-key read. A SQLite
connection never goes stale and is in autocommit mode between calls (see
``database._on_sqlite_connect``), so :class:`IdleConnections` keeps a few
``Connection`` objects checked out and hands them from call to call: taking
one is a ``list.pop``.

The pool still owns every connection and still bounds how many exist: kept
connections count as checked out, and when none is idle a call goes to the
pool as before. PostgreSQL connections are not kept: they can be closed by a
server restart or a proxy, which the pool's checkout is there to notice.
"""

from __future__ import annotations

import os
import weakref
from typing import Any

from sqlalchemy import Connection, Engine

IDLE_LIMIT = 8  # the pool's own size: a burst beyond it gives the extra connections back

_everywhere: weakref.WeakSet[IdleConnections] = weakref.WeakSet()


def _forget_after_fork() -> None:
    # A forked child must not use its parent's open connections. It forgets
    # them without closing them (closing would touch the parent's locks);
    # give_back keeps none in the child, whose calls go to the pool.
    for idle in list(_everywhere):
        idle._idle = []


os.register_at_fork(after_in_child=_forget_after_fork)


class IdleConnections:
    """A stack of open connections to one SQLite engine, handed out one caller at a time.

    ``list.pop`` and ``list.append`` are atomic, so threads share the stack
    without a lock; the last connection given back is the next taken (its
    page cache is the warmest).
    """

    __slots__ = ("_engine", "_idle", "_pid", "__weakref__")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._idle: list[Connection] = []
        self._pid = os.getpid()
        _everywhere.add(self)

    def take(self) -> Connection:
        """An idle connection, or a new one from the engine's pool."""
        try:
            return self._idle.pop()
        except IndexError:
            return self._engine.connect()

    def give_back(self, conn: Connection) -> None:
        """Ends whatever the caller left open and keeps ``conn`` for the next caller."""
        if conn.closed or conn.invalidated:
            conn.close()
            return
        driver: Any = conn.connection.dbapi_connection
        if driver is None or driver.in_transaction:
            # Only an error between BEGIN and COMMIT or ROLLBACK gets here.
            conn.close()
            return
        if conn.in_transaction():
            # SQLAlchemy's own marker of statements it ran; the driver is in
            # autocommit, so this ends nothing in the database.
            conn.rollback()
        # Only in the process that made this stack: in a forked child, a
        # connection goes back to the pool, as it would without the stack.
        if len(self._idle) < IDLE_LIMIT and self._pid == os.getpid():
            self._idle.append(conn)
        else:
            conn.close()

    def close_all(self) -> None:
        """Returns every idle connection to the pool (before the pool is disposed)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
