"""Requests sent with an Idempotency-Key run once, however often they are repeated.

A client that sends a change and loses the answer (a dropped connection, a
proxy's timeout) cannot tell whether the change happened. The remote client
sends each change with a new random key and repeats it with the same key; the
server answers a repeat with the answer the first request got instead of
changing anything again.

The first request to use a key claims it (a row with no answer yet), runs,
and then the answer is remembered (2xx) or the key is forgotten (anything
else: nothing was changed, so running it again is safe). A repeat that
arrives while the first still runs is told so (:class:`KeyInUse`) and may
ask again. A key names one request: the same key with another method, path
or body is refused. Keys belong to the credentials that sent them and are
remembered for a day; the rows live in the database, so every replica of
the server sees them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelreg.errors import Conflict
from modelreg.store import idempotency as store

__all__ = ["KEEP_SECONDS", "Answer", "IdempotencyService", "KeyInUse", "KeyedRequest"]

KEEP_SECONDS = 24 * 3600
SWEEP_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class KeyedRequest:
    """A request as far as its key is concerned: who sent it, and what it was."""

    principal: str
    key: str
    method: str
    path: str
    body_sha256: str


@dataclass(frozen=True)
class Answer:
    """A remembered response."""

    status: int
    content_type: str
    body: bytes


class KeyInUse(Conflict):
    """The first request with this key is still running; ask again in a moment."""


class IdempotencyService:
    """Claims, remembers and forgets idempotency keys; sweeps those older than a day."""

    def __init__(self, db: Any, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._next_sweep = 0.0

    def claim(self, request: KeyedRequest) -> Answer | None:
        """``None`` when this request is the first with its key: run it, then call
        :meth:`remember` or :meth:`forget`. Otherwise the first request's answer.

        Raises :class:`KeyInUse` while the first request runs, and ``Conflict``
        when the key was used for another request.
        """
        now = self.clock()
        self._sweep(now)
        # A key forgotten between the failed insert and the look-up (its first
        # request changed nothing) is claimed again.
        for _attempt in range(3):
            with self.db.write() as conn:
                if store.insert_claim(
                    conn,
                    request.principal,
                    request.key,
                    request.method,
                    request.path,
                    request.body_sha256,
                    int(now * 1000),
                ):
                    return None
                row = store.find(conn, request.principal, request.key)
            if row is not None:
                break
        else:
            raise KeyInUse(f"Idempotency-Key {request.key!r:.80} is being claimed and released")
        if (row.method, row.path, row.body_sha256) != (
            request.method,
            request.path,
            request.body_sha256,
        ):
            raise Conflict(
                f"Idempotency-Key {request.key!r:.80} was first sent with {row.method} "
                f"{row.path:.200} and another body; a new request needs a new key"
            )
        if row.status is None:
            raise KeyInUse(
                f"a request with Idempotency-Key {request.key!r:.80} is still running; "
                "repeat it in a moment to get its answer"
            )
        return Answer(row.status, row.content_type, bytes(row.body))

    def remember(self, request: KeyedRequest, answer: Answer) -> None:
        """Keeps ``answer`` as the answer to every repeat of ``request``."""
        with self.db.write() as conn:
            store.store_answer(
                conn,
                request.principal,
                request.key,
                answer.status,
                answer.content_type,
                answer.body,
            )

    def forget(self, request: KeyedRequest) -> None:
        """Releases the key of a request that changed nothing, so a repeat runs again."""
        with self.db.write() as conn:
            store.forget(conn, request.principal, request.key)

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_SECONDS
        with self.db.write() as conn:
            store.sweep(conn, int((now - KEEP_SECONDS) * 1000))
