"""SQL for run leases: a RUNNING run's promise that its client is still alive.

A lease row ``(run_id, expiry_time)`` is renewed by the client's heartbeat.
Once ``expiry_time`` has passed, :func:`expire` marks the run ``KILLED``
(ended at the lease's expiry) and removes the lease, in the caller's write
transaction. Runs without a lease (created by ``Client.create_run``, which
starts no heartbeat) are never touched.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from modelreg.entities import RunStatus
from modelreg.store.schema import run_leases, runs

_RENEW = (
    update(run_leases)
    .where(run_leases.c.run_id == bindparam("lease_run"))
    .values(expiry_time=bindparam("expiry"))
)
_RUN_STATUS = select(runs.c.status).where(runs.c.run_id == bindparam("run_id"))
_INSERT = insert(run_leases).values(run_id=bindparam("lease_run"), expiry_time=bindparam("expiry"))
_RELEASE = delete(run_leases).where(run_leases.c.run_id == bindparam("run_id"))
_ANY_EXPIRED = (
    select(run_leases.c.run_id).where(run_leases.c.expiry_time < bindparam("now")).limit(1)
)
_EXPIRED = select(run_leases.c.run_id, run_leases.c.expiry_time).where(
    run_leases.c.expiry_time < bindparam("now")
)
_KILL = (
    update(runs)
    .where(runs.c.run_id == bindparam("lease_run_id"), runs.c.status == RunStatus.RUNNING)
    .values(status=RunStatus.KILLED, end_time=bindparam("ended"))
)
_DELETE_EXPIRED = delete(run_leases).where(
    run_leases.c.run_id == bindparam("run_id"), run_leases.c.expiry_time < bindparam("now")
)


def renew(conn: Connection, run_id: str, expiry: int) -> str | None:
    """Sets the run's lease to expire at ``expiry`` if the run is RUNNING.

    Returns the run's status (``None`` when the run does not exist); the lease
    is held only when that is ``RUNNING``.
    """
    status = conn.execute(_RUN_STATUS, {"run_id": run_id}).scalar()
    if status != RunStatus.RUNNING:
        return status
    lease = {"lease_run": run_id, "expiry": expiry}
    if conn.execute(_RENEW, lease).rowcount == 0:
        conn.execute(_INSERT, lease)
    return RunStatus.RUNNING


def release(conn: Connection, run_id: str) -> None:
    """Removes the run's lease, if it has one."""
    conn.execute(_RELEASE, {"run_id": run_id})


def any_expired(conn: Connection, now: int) -> bool:
    """Whether some lease expired before ``now`` (one index probe)."""
    return conn.execute(_ANY_EXPIRED, {"now": now}).first() is not None


def expire(conn: Connection, now: int) -> list[str]:
    """Marks the RUNNING runs whose lease expired before ``now`` KILLED; returns their ids.

    Expired leases are removed whatever the run's status (a run that ended
    without releasing its lease needs no more watching).
    """
    killed = []
    for run_id, expiry in conn.execute(_EXPIRED, {"now": now}).all():
        # Only a lease still expired under the write lock counts: a heartbeat
        # may have renewed it since the read above.
        if conn.execute(_DELETE_EXPIRED, {"run_id": run_id, "now": now}).rowcount == 0:
            continue
        if conn.execute(_KILL, {"lease_run_id": run_id, "ended": expiry}).rowcount:
            killed.append(run_id)
    return killed
