"""Identifiers that sort in the order they were made.

Lists ordered by a creation time in milliseconds (webhooks, their deliveries, a
run's logged models) break ties on the id; with random ids, things made in the same
millisecond came back in a random order. These ids are UUIDs of version 7 (RFC 9562):
the Unix time in milliseconds, then a counter that keeps one process's ids in order
within a millisecond (and when the clock steps back), then 62 random bits. Python 3.14's
``uuid.uuid7`` makes the same; this module goes once 3.14 is the oldest Python served.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["time_ordered_id"]

_COUNTER_LIMIT = 1 << 12
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def time_ordered_id() -> str:
    """A new id, 32 lowercase hex digits, greater than every id this process made before.

    >>> a, b = time_ordered_id(), time_ordered_id()
    >>> a < b and len(a) == 32
    True
    """
    global _last_ms, _counter
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms, _counter = now, 0
        else:
            _counter += 1
            if _counter == _COUNTER_LIMIT:  # 4096 ids in one millisecond: borrow the next
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    random_bits = int.from_bytes(os.urandom(8), "big") >> 2
    value = ms << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | random_bits
    return f"{value:032x}"
