"""Asynchronous logging: logging calls with ``synchronous=False`` return at once.

A training loop that logs a metric a step waits a round trip per call on a
remote store. Asynchronously, the values are queued and one background thread
writes them with ``log_batch``, merging the calls queued meanwhile (in order,
run by run), so thousands of calls cost a few requests. Each call returns a
:class:`RunOperations` whose ``wait()`` raises what writing its values raised;
``end_run`` waits for everything queued and raises the first failure no one
waited for, and the queue is drained when the interpreter exits (a failure
then is logged), so no value is lost silently. A process forked meanwhile (a
data loader's workers) starts with an empty queue of its own: what its parent
queued is its parent's to write.

The same ``synchronous`` argument is taken by ``Client.log_metric``,
``log_param``, ``set_tag`` and ``log_batch``; ``Client.set_terminated`` waits as
``end_run`` does. ``MODELREG_ASYNC_LOGGING=1`` makes asynchronous the default of
all those calls.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from modelreg import settings
from modelreg.entities import Metric, Param, RunTag
from modelreg.validation import (
    check_int,
    check_key,
    check_metric_value,
    check_param_value,
    check_tag_value,
)

log = logging.getLogger(__name__)

# What one log_batch of merged calls holds at most, well under a batch's limits.
_BATCH_METRICS = 1000
_BATCH_OTHERS = 100


class RunOperations:
    """What an asynchronous logging call returns.

    ``wait()`` blocks until its values are stored and raises what storing
    them raised (``InvalidArgument`` for a param logged again with another
    value, ``NotFound`` for a deleted run …).
    """

    def __init__(self, calls: Sequence[_Call]) -> None:
        self._calls = list(calls)

    def wait(self) -> None:
        for call in self._calls:
            call.seen = True  # end_run then leaves this failure to the caller who saw it
            call.future.result()


def queued(synchronous: bool | None) -> bool:
    """Whether a logging call with this ``synchronous`` argument queues its values: when
    ``False``, or ``None`` with ``MODELREG_ASYNC_LOGGING`` on."""
    if synchronous is None:
        return (settings.ASYNC_LOGGING.get() or "").lower() in ("1", "true", "yes")
    return not synchronous


@dataclass
class _Call:
    client: Any
    run_id: str
    metrics: Sequence[Metric]
    params: Sequence[Param]
    tags: Sequence[RunTag]
    future: Future[None] = field(default_factory=Future)
    # Set once the caller waited for it: its failure is then not raised again by end_run.
    seen: bool = False


@dataclass
class _Batch:
    client: Any
    run_id: str
    calls: list[_Call] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    params: dict[str, Param] = field(default_factory=dict)
    tags: dict[str, RunTag] = field(default_factory=dict)

    def takes(self, call: _Call) -> bool:
        """Whether ``call`` joins this batch: same run, room left, and no key of it set here
        already (a later value must land after the earlier one, as it would have)."""
        return (
            call.client is self.client
            and call.run_id == self.run_id
            and len(self.metrics) + len(call.metrics) <= _BATCH_METRICS
            and len(self.params) + len(call.params) <= _BATCH_OTHERS
            and len(self.tags) + len(call.tags) <= _BATCH_OTHERS
            and not any(p.key in self.params for p in call.params)
            and not any(t.key in self.tags for t in call.tags)
        )

    def add(self, call: _Call) -> None:
        self.calls.append(call)
        self.metrics += call.metrics
        self.params.update((p.key, p) for p in call.params)
        self.tags.update((t.key, t) for t in call.tags)


class _Writer:
    """The process's queue of asynchronous calls and the thread that writes them."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """An empty queue and no thread. A child forked from a process with calls queued
        starts so: those calls (and any in flight) are its parent's to write, and the
        parent's writer may have held the queue's locks at the fork."""
        self._queue: queue.Queue[_Call] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failed: list[_Call] = []

    def submit(self, call: _Call) -> RunOperations:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="modelreg-async-logging", daemon=True
                )
                self._thread.start()
        self._queue.put(call)
        return RunOperations([call])

    def flush(self) -> None:
        """Blocks until every call queued so far is written (or failed)."""
        self._queue.join()

    def failed_runs(self) -> set[str]:
        with self._lock:
            return {c.run_id for c in self._failed}

    def failures(self, run_id: str) -> list[BaseException]:
        """The failures of ``run_id``'s calls that no one waited for; each is given once."""
        with self._lock:
            mine = [c for c in self._failed if c.run_id == run_id]
            self._failed = [c for c in self._failed if c.run_id != run_id]
        found = [exc for c in mine if not c.seen and (exc := c.future.exception()) is not None]
        return list({id(exc): exc for exc in found}.values())

    def _run(self) -> None:
        while True:
            calls = [self._queue.get()]
            while len(calls) < _BATCH_METRICS:
                try:
                    calls.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                for batch in _batches(calls):
                    self._write(batch)
            finally:
                for _ in calls:
                    self._queue.task_done()

    def _write(self, batch: _Batch) -> None:
        try:
            batch.client.log_batch(
                batch.run_id,
                batch.metrics,
                list(batch.params.values()),
                list(batch.tags.values()),
                synchronous=True,
            )
        except Exception as exc:  # noqa: BLE001 - handed to the caller through its future
            if len(batch.calls) > 1:
                # A batch is all or nothing: each call again on its own, so that only the
                # calls that fail alone fail, as they would have synchronously.
                for call in batch.calls:
                    self._write(_batches([call])[0])
                return
            log.debug("asynchronous logging to run %s failed: %s", batch.run_id, exc)
            with self._lock:
                self._failed += batch.calls
            for call in batch.calls:
                call.future.set_exception(exc)
            return
        for call in batch.calls:
            call.future.set_result(None)


def _batches(calls: list[_Call]) -> list[_Batch]:
    """The calls merged into batches, in order: a batch ends where the next call may not join."""
    batches: list[_Batch] = []
    for call in calls:
        if not batches or not batches[-1].takes(call):
            batches.append(_Batch(call.client, call.run_id))
        batches[-1].add(call)
    return batches


_writer = _Writer()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_writer.reset)


@atexit.register
def _drain() -> None:
    """At exit: writes what is queued and reports each failure no one saw (on stderr, as
    logging's last resort does without a handler)."""
    _writer.flush()
    for run_id in sorted(_writer.failed_runs()):
        for exc in _writer.failures(run_id):
            log.error("asynchronous logging to run %s failed: %s", run_id, exc)


def submit(
    client: Any,
    run_id: str,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
) -> RunOperations:
    """Queues values for ``run_id``; see the module's docstring.

    Each key and value is checked here, as a synchronous call checks it, so a
    malformed one raises ``InvalidArgument`` at its call and is not queued.
    """
    for metric in metrics:
        check_metric_value(check_key(metric.key, "metric key"), metric.value)
        check_int(metric.step, f"step of metric '{metric.key}'")
        check_int(metric.timestamp, f"timestamp of metric '{metric.key}'")
    for param in params:
        check_param_value(check_key(param.key, "param key"), param.value)
    for tag in tags:
        check_tag_value(check_key(tag.key, "tag key"), tag.value)
    return _writer.submit(_Call(client, run_id, list(metrics), list(params), list(tags)))


def flush() -> None:
    """Waits until every call queued so far is written or has failed."""
    _writer.flush()


def finish(run_id: str) -> BaseException | None:
    """Waits for every queued call; returns the first failure of ``run_id``'s that no one
    waited for (the rest are logged), for the caller to raise once the run has ended."""
    _writer.flush()
    failures = _writer.failures(run_id)
    for exc in failures[1:]:
        log.error("asynchronous logging to run %s failed: %s", run_id, exc)
    return failures[0] if failures else None
