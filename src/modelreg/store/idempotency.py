"""SQL for remembered answers to requests sent with an Idempotency-Key.

Every function takes an open connection; ``services.idempotency`` decides the
transactions and the rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from modelreg.store.schema import idempotency_keys as keys


def _commit_without_waiting_for_disk(conn: Connection) -> None:
    # A claim is committed before the change it guards, its answer after it.
    # PostgreSQL flushes its log in order, so a change on disk implies its claim
    # on disk; an answer lost in a crash only makes repeats wait (KeyInUse)
    # instead of running the change twice. Waiting for the disk here would
    # double the time a remote change takes.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _this(principal: str, key: str) -> Any:
    return (keys.c.principal == principal) & (keys.c.idempotency_key == key)


def insert_claim(
    conn: Connection,
    principal: str,
    key: str,
    method: str,
    path: str,
    body_sha256: str,
    now_ms: int,
) -> bool:
    """Records that a request with this key is running; ``False`` when the key is taken."""
    _commit_without_waiting_for_disk(conn)
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    claimed = conn.execute(
        insert(keys)
        .values(
            principal=principal,
            idempotency_key=key,
            method=method,
            path=path,
            body_sha256=body_sha256,
            creation_time=now_ms,
        )
        .on_conflict_do_nothing()
        .returning(keys.c.creation_time)
    )
    return claimed.first() is not None


def find(conn: Connection, principal: str, key: str) -> Any:
    """The row of this key (``method``, ``path``, ``body_sha256``, ``status``,
    ``content_type``, ``body``), or ``None``."""
    return conn.execute(
        select(
            keys.c.method,
            keys.c.path,
            keys.c.body_sha256,
            keys.c.status,
            keys.c.content_type,
            keys.c.body,
        ).where(_this(principal, key))
    ).first()


def store_answer(
    conn: Connection, principal: str, key: str, status: int, content_type: str, body: bytes
) -> None:
    """Keeps the answer of the request that holds this key."""
    _commit_without_waiting_for_disk(conn)
    conn.execute(
        update(keys)
        .where(_this(principal, key))
        .values(status=status, content_type=content_type, body=body)
    )


def forget(conn: Connection, principal: str, key: str) -> None:
    """Drops this key, so a request sent with it again runs again."""
    conn.execute(delete(keys).where(_this(principal, key)))


def sweep(conn: Connection, before_ms: int) -> int:
    """Drops every key created before ``before_ms``; returns how many."""
    return conn.execute(delete(keys).where(keys.c.creation_time < before_ms)).rowcount
