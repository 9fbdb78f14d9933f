"""Run leases: a run started with ``start_run`` stays RUNNING only while its client lives.

``start_run`` takes a lease on the run and a daemon thread renews it (see
:mod:`modelreg.heartbeat`); ending the run releases it. When a client dies
without ending its run (``kill -9``, a lost machine), the lease runs out and
the run is marked ``KILLED``, ended at the lease's expiry, instead of staying
RUNNING forever.

Expiry is applied lazily, where it can be seen: the tracking service calls
:meth:`LeaseService.sweep_now_and_then` before it reads runs. That costs a
clock comparison on almost every call and one index probe at most once per
:data:`SWEEP_INTERVAL_SECONDS` per process; only when a lease has expired is a
write transaction needed. Runs made with ``Client.create_run`` hold no lease
and are never swept, as in MLflow.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from modelreg.errors import InvalidArgument, NotFound
from modelreg.store import leases as store
from modelreg.store.database import Database
from modelreg.timeutil import SYSTEM_CLOCK, Clock

MIN_LEASE_SECONDS = 1.0
MAX_LEASE_SECONDS = 24 * 3600.0
SWEEP_INTERVAL_SECONDS = 1.0
log = logging.getLogger(__name__)


def check_lease_seconds(seconds: Any) -> float:
    """A lease duration in seconds, between 1 s and one day; raises ``InvalidArgument``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise InvalidArgument(f"lease seconds must be a number, got {seconds!r:.40}")
    if not MIN_LEASE_SECONDS <= seconds <= MAX_LEASE_SECONDS:
        raise InvalidArgument(
            f"lease seconds must be between {MIN_LEASE_SECONDS:g} and {MAX_LEASE_SECONDS:g}, "
            f"got {seconds}"
        )
    return float(seconds)


class LeaseService:
    """Renewing, releasing and expiring run leases on one database, by ``clock``'s time."""

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def renew(self, run_id: str, seconds: float) -> bool:
        """Extends the run's lease to ``seconds`` from now; ``False`` when the run is
        no longer RUNNING (then no lease is held). Raises ``NotFound`` for an unknown run."""
        seconds = check_lease_seconds(seconds)
        with self.db.write() as conn:
            status = store.renew(conn, run_id, self.clock.now_ms() + int(seconds * 1000))
        if status is None:
            raise NotFound(f"run '{run_id}' does not exist")
        return status == "RUNNING"

    def sweep(self) -> list[str]:
        """Marks every RUNNING run whose lease expired KILLED; returns their ids."""
        now = self.clock.now_ms()
        with self.db.read() as conn:
            if not store.any_expired(conn, now):
                return []
        with self.db.write() as conn:
            ended = store.expire(conn, now)
        if ended:
            log.warning(
                "ended %d run(s) as KILLED, their client's lease having expired: %s",
                len(ended),
                ", ".join(ended),
            )
        return ended

    def sweep_now_and_then(self) -> None:
        """:meth:`sweep`, at most once per :data:`SWEEP_INTERVAL_SECONDS` in this process."""
        clock = self.clock.monotonic()
        if clock < self._next_sweep:
            return
        with self._lock:
            if clock < self._next_sweep:
                return
            self._next_sweep = clock + SWEEP_INTERVAL_SECONDS
        self.sweep()
