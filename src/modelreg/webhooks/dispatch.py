"""Delivering webhook events: after the change commits, on background threads, with retries.

The registry hands its audit events to :meth:`WebhookDispatcher.publish`
inside the change's transaction; ``publish`` matches them against the
webhooks that exist in it and writes one delivery per match to the delivery
log in that same transaction (an outbox): the deliveries commit with the
change or not at all. Once it has committed they are queued and ``publish``
has long returned, so a slow, failing or unreachable receiver never delays,
fails or undoes a registry change. A small pool of daemon threads (one per process)
signs each body with the webhook's secret and POSTs it, in the webhook's
payload format (modelreg's, or MLflow's: :mod:`modelreg.webhooks.mlflow_format`);
a ``DISABLED`` webhook gets nothing. Connection errors,
timeouts, 408, 429 and 5xx answers are retried
after :data:`RETRY_DELAYS` seconds (exponential back-off with jitter); any
other answer ends the delivery. Redirects are not followed, and only public
addresses (or networks an admin allowed) are contacted: see
:mod:`modelreg.webhooks.egress`.

This is the one place outside ``client`` and ``server`` that speaks HTTP; it
uses the standard library, so embedded use needs no extra package.

The webhook list is cached for :data:`CACHE_SECONDS` (so a change costs no
query most of the time); a webhook created or deleted through this process
takes effect at once, one created through another process (another server
replica) within that time. Deliveries still
queued when the process exits get up to :data:`EXIT_FLUSH_SECONDS` to go out.

Every delivery is logged (``webhook_deliveries``: the newest :data:`LOG_KEEP`
per webhook) with its bytes, its status and each attempt's outcome, for
"recent deliveries" and redelivery; attempts are logged, and old deliveries
trimmed, by a thread of their own, so a busy database delays the log, never a
delivery. A delivery is claimed by the process whose change wrote it for
:data:`CLAIM_MS`, renewed at each retry; one still pending after its claim ran
out was left by a process that stopped (even right after the commit), and
:meth:`resume` (run by each server as it starts) sends it.
"""

from __future__ import annotations

import atexit
import heapq
import http.client
import itertools
import json
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from modelreg.errors import ModelregError
from modelreg.ids import time_ordered_id
from modelreg.prompts import PROMPT_TAG, tagged_as_prompt
from modelreg.store import webhook_deliveries as log_store
from modelreg.timeutil import SYSTEM_CLOCK, Clock
from modelreg.version import __version__
from modelreg.webhooks import (
    ACTIVE,
    ALIAS_SET,
    ALL_EVENTS,
    DELIVERY_HEADER,
    EVENT_HEADER,
    EVENT_TYPES,
    MLFLOW_FORMAT,
    MODELREG_FORMAT,
    ROLLED_BACK,
    SIGNATURE_HEADER,
    STAGE_TRANSITIONED,
    VERSION_CREATED,
    WebhookTestResult,
    egress,
    mlflow_format,
    sign,
)

__all__ = ["WebhookDispatcher", "deliver_test_event", "webhook_event"]

log = logging.getLogger("modelreg.webhooks")

RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
TIMEOUT_SECONDS = 5.0
WORKERS = 8
# Threads one webhook's deliveries may take at once (see _Pool).
PER_WEBHOOK = 2
CACHE_SECONDS = 5.0
EXIT_FLUSH_SECONDS = 5.0
# How long a process owns a pending delivery it queued (longer than an attempt takes);
# one still pending after that was left by a process that stopped.
CLAIM_MS = 60_000
# Deliveries kept in the log per webhook, the newest.
LOG_KEEP = 100
_RETRY_STATUSES = {408, 429}

_EVENT_TYPES = {
    "create_model_version": VERSION_CREATED,
    "transition_stage": STAGE_TRANSITIONED,
    "set_alias": ALIAS_SET,
}


def webhook_event(audit: dict[str, Any]) -> dict[str, Any] | None:
    """The webhook event for an audit event, or ``None`` when webhooks do not carry it.

    A rollback writes two audit events (the holder archived, the earlier
    version restored); the event sent is the restored one, whose ``after``
    names the version rolled back from.
    """
    action = audit["action"]
    if action == "rollback":
        if "rolled_back_from" not in (audit.get("after") or {}):
            return None
        event_type = ROLLED_BACK
    elif action in _EVENT_TYPES:
        event_type = _EVENT_TYPES[action]
    else:
        return None
    return {
        "event": event_type,
        "timestamp": audit["timestamp"],
        "actor": audit["actor"],
        "model_name": audit["model_name"],
        "version": audit["version"],
        "before": audit["before"],
        "after": audit["after"],
        "reason": audit["reason"],
    }


@dataclass
class _Delivery:
    """One POST, built once: every retry sends the same bytes and headers."""

    url: str
    event: str
    body: bytes
    headers: dict[str, str]
    delivery_id: str
    attempt: int = 0
    webhook_id: str = ""

    def log_row(self, now: int) -> dict[str, Any]:
        """Its row in the delivery log, pending and claimed by this process."""
        return {
            "delivery_id": self.delivery_id,
            "webhook_id": self.webhook_id,
            "event": self.event,
            "url": self.url,
            "body": self.body.decode(),
            "headers": self.headers,
            "status": log_store.PENDING,
            "attempts": self.attempt,
            "creation_time": now,
            "claimed_until": now + CLAIM_MS,
        }

    @classmethod
    def from_log(cls, row: dict[str, Any]) -> _Delivery:
        return cls(
            row["url"],
            row["event"],
            row["body"].encode(),
            row["headers"],
            row["delivery_id"],
            min(row["attempts"], len(RETRY_DELAYS)),
            row["webhook_id"],
        )


def _delivery(hook: dict[str, Any], event: str, data: dict[str, Any]) -> _Delivery:
    """The POST of ``data`` (a modelreg event, or an MLflow payload) to ``hook``."""
    delivery_id = time_ordered_id()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"modelreg-webhooks/{__version__}",
    }
    if hook["payload_format"] == MLFLOW_FORMAT:
        text = mlflow_format.body(event, data)
        headers |= mlflow_format.headers(hook["secret"], delivery_id, int(time.time()), text)
        body = text.encode()
    else:
        body = json.dumps({"id": delivery_id, **data}, separators=(",", ":")).encode()
        headers |= {
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery_id,
            SIGNATURE_HEADER: sign(hook["secret"], body),
        }
    return _Delivery(hook["url"], event, body, headers, delivery_id, 0, hook["webhook_id"])


def _prompt_lookup(conn: Connection) -> Callable[[int], bool]:
    """Whether a model is an MLflow prompt, asked at most once per model and call."""
    from modelreg.store.registry import model_tag

    known: dict[int, bool] = {}

    def lookup(model_id: int) -> bool:
        if model_id not in known:
            value = model_tag(conn, model_id, PROMPT_TAG)
            known[model_id] = tagged_as_prompt({PROMPT_TAG: value or "false"})
        return known[model_id]

    return lookup


def _wants(hook: dict[str, Any], event: str, model_id: int | None) -> bool:
    if ALL_EVENTS not in hook["events"] and event not in hook["events"]:
        return False
    return hook["model_id"] is None or hook["model_id"] == model_id


def deliver_test_event(hook: dict[str, Any], event: str | None = None) -> WebhookTestResult:
    """POSTs a made-up ``event`` (default: the webhook's first) to ``hook`` once, now,
    and reports the answer; never retried, never raises for the receiver's sake."""
    mlflow = hook["payload_format"] == MLFLOW_FORMAT
    names = [e for e in hook["events"] if e != ALL_EVENTS]
    # The first in name order when none is asked for, as MLflow's server picks it.
    event = event or min(names or (mlflow_format.EVENTS if mlflow else EVENT_TYPES))
    if mlflow:
        data = mlflow_format.example(event)
    else:
        data = {
            "event": event,
            "test": True,
            "timestamp": int(time.time() * 1000),
            "actor": None,
            "model_name": "example_model",
            "version": 1,
            "before": None,
            "after": None,
            "reason": "a test delivery",
        }
    d = _delivery(hook, event, data)
    try:
        status, answer = egress.post(d.url, d.body, d.headers, TIMEOUT_SECONDS)
    except (ModelregError, OSError, ValueError, http.client.HTTPException) as exc:
        return WebhookTestResult(False, error_message=f"could not deliver: {exc}")
    text = answer.decode("utf-8", "replace")
    return WebhookTestResult(200 <= status < 300, status, text)


# A write to the delivery log: store function and its arguments after the connection.
_LogWrite = tuple[Callable[..., None], tuple[Any, ...]]


class _LogWriter:
    """Writes the outcomes of attempts (and trims) to the delivery log on a thread of its
    own, a batch per transaction, so a busy database never holds up a delivery (one per
    process)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._items: list[tuple[Any, _LogWrite]] = []
        self._writing = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        atexit.register(self.flush, EXIT_FLUSH_SECONDS)

    def put(self, db: Any, write: Callable[..., None], *args: Any) -> None:
        """Queues ``write(conn, *args)`` for a transaction of ``db``."""
        with self._cond:
            if self._pid != os.getpid():  # forked: the parent's thread is not here
                self._items, self._thread, self._writing = [], None, False
                self._pid = os.getpid()
            self._items.append((db, (write, args)))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="modelreg-webhook-log", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._items))
                batch, self._items, self._writing = self._items, [], True
            try:
                _write_log(batch)
            finally:
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()

    def flush(self, timeout: float) -> None:
        """Waits up to ``timeout`` seconds for what is queued to be written."""
        with self._cond:
            self._cond.wait_for(lambda: not self._items and not self._writing, timeout)


def _write_log(batch: list[tuple[Any, _LogWrite]]) -> None:
    by_db: dict[int, tuple[Any, list[_LogWrite]]] = {}
    for db, item in batch:
        by_db.setdefault(id(db), (db, []))[1].append(item)
    for db, items in by_db.values():
        try:
            with db.write() as conn:
                for write, args in items:
                    write(conn, *args)
        except Exception:
            log.exception("could not write %d change(s) to the webhook delivery log", len(items))


# Created before the pool, so that at exit it is flushed after the pool is drained.
_log_writer = _LogWriter()


class _Pool:
    """Daemon threads running delivery jobs when they fall due (one pool per process).

    Jobs of one webhook (one ``key``) take at most :data:`PER_WEBHOOK` threads
    at a time, so a receiver that hangs until the timeout, with a backlog of
    events and retries, slows its own deliveries, not everyone's. A due job
    whose webhook is at its limit waits aside until one of that webhook's
    jobs ends.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self._pid = os.getpid()
        self._pending = 0  # deliveries queued or in flight, retries included
        self._running: dict[str, int] = {}
        self._aside: dict[str, list[tuple[float, int, str, Any]]] = {}
        atexit.register(self.drain, EXIT_FLUSH_SECONDS)

    def submit(self, job: Any, delay: float = 0.0, *, new: bool = True, key: str = "") -> None:
        """Runs ``job`` (of webhook ``key``) in ``delay`` seconds; ``new`` counts a delivery
        (not a retry) as pending."""
        with self._cond:
            if self._pid != os.getpid():  # forked: the parent's threads are not here
                self._threads, self._heap, self._pid = [], [], os.getpid()
                self._pending, self._running, self._aside = 0, {}, {}
            self._pending += new
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), key, job))
            while len(self._threads) < WORKERS:
                thread = threading.Thread(target=self._work, name="modelreg-webhooks", daemon=True)
                thread.start()
                self._threads.append(thread)
            self._cond.notify()

    def _take(self) -> tuple[str, Any] | None:
        """The earliest due job whose webhook has a thread to spare (lock held)."""
        now = time.monotonic()
        while self._heap and self._heap[0][0] <= now:
            entry = heapq.heappop(self._heap)
            key = entry[2]
            if self._running.get(key, 0) >= PER_WEBHOOK:
                self._aside.setdefault(key, []).append(entry)
                continue
            self._running[key] = self._running.get(key, 0) + 1
            return key, entry[3]
        return None

    def _work(self) -> None:
        while True:
            with self._cond:
                while (taken := self._take()) is None:
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
            key, job = taken
            try:
                job()
            except Exception:  # a bug here must not kill the thread
                log.exception("webhook job failed")
            finally:
                with self._cond:
                    self._running[key] -= 1
                    if not self._running[key]:
                        del self._running[key]
                    for entry in self._aside.pop(key, []):
                        heapq.heappush(self._heap, entry)
                    self._cond.notify_all()

    def done(self) -> None:
        """A delivery succeeded or was given up."""
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()

    def drain(self, timeout: float) -> None:
        """Gives queued deliveries up to ``timeout`` seconds to finish (at exit)."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending == 0, timeout)


_pool = _Pool()


class WebhookDispatcher:
    """Queues events of one store for delivery to the webhooks stored in it."""

    def __init__(self, db: Any, clock: Clock = SYSTEM_CLOCK) -> None:
        """``clock`` times the webhook list's cache (tests set it instead of sleeping)."""
        self.db = db
        self.clock = clock
        self._cache: tuple[float, list[dict[str, Any]]] = (-math.inf, [])

    def publish(self, conn: Connection, audit_events: Sequence[dict[str, Any]]) -> None:
        """Writes a delivery per matching webhook in the caller's write transaction
        (``conn``, from ``Database.write()``), sent once it has committed.

        An event goes to the webhooks of the cached list (see the module's
        docstring); should one of them have been deleted since, the list is
        read again in the transaction. Raises only the database's errors
        (which fail the change with its deliveries); one in building the
        deliveries is logged and drops them.
        """
        for again in (False, True):
            if again:
                self.invalidate()
            try:
                hooks = [h for h in self._webhooks(conn) if h["status"] == ACTIVE]
                deliveries = self._route(conn, hooks, audit_events) if hooks else []
            except SQLAlchemyError:
                raise
            except Exception:
                log.exception("could not match registry events to webhooks; events dropped")
                return
            if not deliveries:
                return
            now = self.clock.now_ms()
            if log_store.insert_deliveries(conn, [d.log_row(now) for d in deliveries]):
                self.db.after_commit(conn, lambda sent=deliveries: self._queue(sent))
                return
        log.warning("webhook deliveries dropped: a webhook was deleted as they were written")

    def _queue(self, deliveries: list[_Delivery]) -> None:
        for delivery in deliveries:
            _pool.submit(lambda d=delivery: self._send(d), key=delivery.webhook_id)
        webhook_ids = sorted({d.webhook_id for d in deliveries})
        _log_writer.put(self.db, log_store.trim, webhook_ids, LOG_KEEP)

    def invalidate(self) -> None:
        """Forgets the cached webhook list (after a webhook was created or deleted here)."""
        self._cache = (-math.inf, [])

    def _webhooks(self, conn: Connection) -> list[dict[str, Any]]:
        expires, cached = self._cache
        if self.clock.monotonic() < expires:
            return cached
        from modelreg.store import governance as store

        rows = store.webhook_rows(conn) if store.any_webhook(conn) else []
        self._cache = (self.clock.monotonic() + CACHE_SECONDS, rows)
        return rows

    def _route(
        self, conn: Connection, hooks: list[dict[str, Any]], audit_events: Sequence[dict[str, Any]]
    ) -> list[_Delivery]:
        is_prompt = _prompt_lookup(conn)
        any_mlflow = any(h["payload_format"] == MLFLOW_FORMAT for h in hooks)
        deliveries: list[_Delivery] = []
        for audit in audit_events:
            own = webhook_event(audit)
            events = {
                MLFLOW_FORMAT: mlflow_format.mlflow_event(audit, is_prompt) if any_mlflow else None
            }
            if own is not None:
                events[MODELREG_FORMAT] = (own["event"], own)
            for hook in hooks:
                event = events.get(hook["payload_format"])
                if event is not None and _wants(hook, event[0], audit["model_id"]):
                    deliveries.append(_delivery(hook, *event))
        return deliveries

    def _log_attempt(self, d: _Delivery, status: str, answer: int | None, error: str) -> None:
        now = self.clock.now_ms()
        changes: dict[str, Any] = {
            "status": status,
            "response_status": answer,
            "error": error or None,
            "last_attempt_time": now,
        }
        if status == log_store.PENDING:  # a retry: still this process's
            changes["claimed_until"] = now + int(RETRY_DELAYS[-1] * 1500) + CLAIM_MS
        _log_writer.put(self.db, log_store.record_attempt, d.delivery_id, changes)

    def resume(self, limit: int = 1000) -> int:
        """Sends the deliveries a stopped process left pending (their claim ran out);
        returns how many. A server calls it as it starts."""
        now = self.clock.now_ms()
        with self.db.write() as conn:
            rows = log_store.claim_abandoned(conn, now, now + CLAIM_MS, limit)
        for row in rows:
            delivery = _Delivery.from_log(row)
            _pool.submit(lambda d=delivery: self._send(d), key=delivery.webhook_id)
        return len(rows)

    def redeliver(self, row: dict[str, Any]) -> None:
        """Sends a logged delivery again (the same bytes and headers, the same id)."""
        now = self.clock.now_ms()
        with self.db.write() as conn:
            log_store.claim(conn, row["delivery_id"], now + CLAIM_MS)
        delivery = _Delivery.from_log({**row, "attempts": 0})
        _pool.submit(lambda: self._send(delivery), key=delivery.webhook_id)

    def _send(self, d: _Delivery) -> None:
        status: int | None = None
        problem = ""
        try:
            status, _ = egress.post(d.url, d.body, d.headers, TIMEOUT_SECONDS)
        except ModelregError as exc:  # a destination that is not allowed: never retried
            log.warning("webhook delivery %s to %s refused: %s", d.delivery_id, d.url, exc)
            self._log_attempt(d, log_store.FAILED, None, str(exc))
            _pool.done()
            return
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, reset, timeout
            problem = str(exc)
        if status is not None and 200 <= status < 300:
            self._log_attempt(d, log_store.DELIVERED, status, "")
            _pool.done()
            return
        retry = status is None or status >= 500 or status in _RETRY_STATUSES
        if retry and d.attempt < len(RETRY_DELAYS):
            self._log_attempt(d, log_store.PENDING, status, problem)
            delay = RETRY_DELAYS[d.attempt] * (0.75 + random.random() / 2)
            d.attempt += 1
            _pool.submit(lambda: self._send(d), delay, new=False, key=d.webhook_id)
            return
        self._log_attempt(d, log_store.FAILED, status, problem)
        log.warning(
            "webhook delivery %s of %s to %s failed after %d attempt(s): %s",
            d.delivery_id,
            d.event,
            d.url,
            d.attempt + 1,
            problem or f"HTTP {status}",
        )
        _pool.done()
