"""Time: timestamps are integers in milliseconds since the epoch, as in MLflow.

Logic that decides by the time (run leases, webhook retries) reads it from a
:class:`Clock` it is given, so tests can set the time instead of sleeping.
"""

import time
from typing import Protocol


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock(Protocol):
    """Wall-clock time for timestamps, monotonic time for intervals."""

    def now_ms(self) -> int:
        """Milliseconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...


class SystemClock:
    """The machine's clocks."""

    def now_ms(self) -> int:
        return now_ms()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK: Clock = SystemClock()
