"""SQL for the log of webhook deliveries (see :mod:`modelreg.webhooks.dispatch`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelreg.store.schema import webhook_deliveries as wd

__all__ = [
    "claim",
    "claim_abandoned",
    "delivery_rows",
    "insert_deliveries",
    "record_attempt",
    "trim",
]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def insert_deliveries(conn: Connection, rows: Sequence[dict[str, Any]]) -> bool:
    """Adds deliveries (``headers`` as a dict) in the caller's transaction; ``False``, with
    nothing added and the transaction still good, when a webhook of theirs no longer exists
    (another process deleted it since it was read)."""
    conn.exec_driver_sql("SAVEPOINT webhook_deliveries")
    try:
        conn.execute(insert(wd), [{**r, "headers": json.dumps(r["headers"])} for r in rows])
    except IntegrityError:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT webhook_deliveries")
        return False
    conn.exec_driver_sql("RELEASE SAVEPOINT webhook_deliveries")
    return True


def trim(conn: Connection, webhook_ids: Sequence[str], keep: int) -> None:
    """Deletes all but the newest ``keep`` deliveries of each webhook (in the order given,
    so that concurrent trims lock rows in one order)."""
    for webhook_id in webhook_ids:
        newest = (
            select(wd.c.delivery_id)
            .where(wd.c.webhook_id == webhook_id)
            .order_by(wd.c.creation_time.desc(), wd.c.delivery_id.desc())
            .limit(keep)
        )
        conn.execute(
            delete(wd).where(wd.c.webhook_id == webhook_id, wd.c.delivery_id.not_in(newest))
        )


def record_attempt(conn: Connection, delivery_id: str, changes: dict[str, Any]) -> None:
    """One more attempt: its outcome (status, response_status, error, times)."""
    conn.execute(
        update(wd)
        .where(wd.c.delivery_id == delivery_id)
        .values(attempts=wd.c.attempts + 1, **changes)
    )


def _row(r: Any) -> dict[str, Any]:
    return {**r._mapping, "headers": json.loads(r.headers)}


def delivery_rows(
    conn: Connection,
    webhook_id: str,
    limit: int,
    delivery_id: str | None = None,
) -> list[dict[str, Any]]:
    """A webhook's deliveries, newest first (one, when ``delivery_id`` is given)."""
    query = select(wd).where(wd.c.webhook_id == webhook_id)
    if delivery_id is not None:
        query = query.where(wd.c.delivery_id == delivery_id)
    query = query.order_by(wd.c.creation_time.desc(), wd.c.delivery_id.desc()).limit(limit)
    return [_row(r) for r in conn.execute(query)]


def claim(conn: Connection, delivery_id: str, until: int) -> None:
    """Marks a delivery pending and claimed by this process until ``until`` (ms)."""
    conn.execute(
        update(wd)
        .where(wd.c.delivery_id == delivery_id)
        .values(status=PENDING, claimed_until=until)
    )


def claim_abandoned(conn: Connection, now: int, until: int, limit: int) -> list[dict[str, Any]]:
    """Pending deliveries whose claim ran out (their process stopped), claimed until ``until``.

    Two processes claiming at once each get different rows: the claim is one
    conditional UPDATE per row, and a row only goes to the one whose update
    found it still unclaimed.
    """
    due = conn.execute(
        select(wd.c.delivery_id)
        .where(wd.c.status == PENDING, wd.c.claimed_until < now)
        .order_by(wd.c.claimed_until)
        .limit(limit)
    ).scalars()
    claimed = []
    for delivery_id in list(due):
        taken = conn.execute(
            update(wd)
            .where(
                wd.c.delivery_id == delivery_id,
                wd.c.status == PENDING,
                wd.c.claimed_until < now,
            )
            .values(claimed_until=until)
        )
        if taken.rowcount == 1:
            claimed.append(delivery_id)
    if not claimed:
        return []
    rows = conn.execute(select(wd).where(wd.c.delivery_id.in_(claimed)))
    return [_row(r) for r in rows]
