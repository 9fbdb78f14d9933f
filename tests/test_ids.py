"""Ids that sort in the order they were made (UUIDs of version 7): lists ordered by a
creation time in milliseconds break ties on them."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from modelreg import ids
from modelreg.ids import time_ordered_id


@pytest.fixture(autouse=True)
def _own_sequence(monkeypatch):
    """Tests that set the clock ahead leave the process's ids where they found them."""
    monkeypatch.setattr(ids, "_last_ms", ids._last_ms)
    monkeypatch.setattr(ids, "_counter", ids._counter)


class _Clock:
    """Stands in for the ``time`` module inside :mod:`modelreg.ids`."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def time_ns(self) -> int:
        return self.ms * 1_000_000


def test_an_id_is_a_version_7_uuid_carrying_the_time_in_milliseconds():
    before = time.time_ns() // 1_000_000
    made = time_ordered_id()
    after = time.time_ns() // 1_000_000

    parsed = uuid.UUID(made)
    assert (len(made), made, parsed.version, parsed.variant) == (
        32,
        made.lower(),
        7,
        uuid.RFC_4122,
    )
    assert before <= int(made[:12], 16) <= after


def test_ids_made_one_after_another_sort_in_that_order():
    made = [time_ordered_id() for _ in range(20_000)]

    assert made == sorted(made) and len(set(made)) == len(made)
    assert len({m[:12] for m in made}) < len(made)  # many shared a millisecond


def test_more_ids_in_one_millisecond_than_the_counter_holds_stay_in_order(monkeypatch):
    monkeypatch.setattr(ids, "time", _Clock(int(time.time() * 1000) + 60_000))

    made = [time_ordered_id() for _ in range(10_000)]

    assert made == sorted(made) and len(set(made)) == len(made)


def test_ids_keep_their_order_when_the_clock_steps_back(monkeypatch):
    clock = _Clock(int(time.time() * 1000) + 120_000)
    monkeypatch.setattr(ids, "time", clock)
    first = time_ordered_id()

    clock.ms -= 5_000  # the system clock was set back
    second = time_ordered_id()

    assert first < second


def test_threads_making_ids_at_once_get_distinct_ones_each_in_order():
    made: dict[int, list[str]] = {}

    def make(n: int) -> None:
        made[n] = [time_ordered_id() for _ in range(5_000)]

    threads = [threading.Thread(target=make, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(ids_of_one == sorted(ids_of_one) for ids_of_one in made.values())
    assert len({i for ids_of_one in made.values() for i in ids_of_one}) == 20_000
