"""The client side of run leases: a daemon thread that keeps a run's lease fresh.

``start_run`` starts one per run it makes active; ``end_run`` stops it before
ending the run. If the process dies, the thread dies with it, the lease runs
out and the server marks the run ``KILLED`` (see :mod:`modelreg.services.leases`).
"""

from __future__ import annotations

import threading
from typing import Any

from modelreg import settings
from modelreg.errors import ModelregError


def lease_seconds() -> float:
    """The lease length from ``MODELREG_RUN_LEASE_SECONDS`` (default 120)."""
    from modelreg.services.leases import check_lease_seconds

    try:
        value = float(settings.RUN_LEASE_SECONDS.get() or 120)
    except ValueError:
        value = float("nan")
    return check_lease_seconds(value)


class Heartbeat:
    """Renews ``run_id``'s lease every quarter of ``seconds`` until stopped or refused.

    The first renewal happens in the constructor, so the lease exists when it
    returns. A server too old to know leases (or any failure of that first
    call) leaves the run without a lease, which is how runs behaved before.
    """

    def __init__(self, tracking: Any, run_id: str, seconds: float) -> None:
        self.run_id = run_id
        self._tracking = tracking
        self._seconds = seconds
        self._stop = threading.Event()
        if self._renew():
            name = f"modelreg-lease-{run_id[:8]}"
            threading.Thread(target=self._beat, name=name, daemon=True).start()

    def _renew(self) -> bool:
        try:
            return bool(self._tracking.renew_run_lease(self.run_id, self._seconds))
        except ModelregError:
            return False

    def _beat(self) -> None:
        interval = self._seconds / 4
        while not self._stop.wait(interval):
            try:
                if not self._tracking.renew_run_lease(self.run_id, self._seconds):
                    return  # the run ended elsewhere: nothing left to keep alive
            except ModelregError:
                continue  # a blip (server restarting): the next beat may get through

    def stop(self) -> None:
        """Stops renewing; the lease itself is released by ending the run.

        Does not wait for the thread: a renewal still in flight after the run
        ended is refused by the store (it only leases RUNNING runs), and a
        stray lease on an ended run is dropped at its expiry.
        """
        self._stop.set()
