"""How much blocking work a server worker runs at once, and the separate lane of uploads.

Every request's database work runs in a worker thread. Threads of one worker
share the GIL, and a thread woken from the database waits for it behind every
other runnable thread: with forty threads (anyio's default) busy at once, a
request that needs a millisecond of Python can wait hundreds of milliseconds.
A few threads per worker keep every request's wait short while the database
answers the others; more workers, not more threads, use more cores.

An upload holds its thread for as long as its bytes arrive, so uploads run on
a lane of their own (:func:`upload_limiter`) and never take the request
threads: a slow upload cannot starve ``/health`` or a model lookup.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread

DEFAULT_THREADS = 4
UPLOAD_THREADS = 32

_upload_limiter: anyio.CapacityLimiter | None = None


def lifespan(
    threads: int, at_start: Callable[[], Any] | None = None
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan that gives the worker ``threads`` request threads for its whole life and
    runs ``at_start`` on a thread of its own as the worker starts (start-up does not wait)."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        if at_start is not None:
            threading.Thread(target=at_start, name="modelreg-at-start", daemon=True).start()
        yield

    return run


def upload_limiter() -> anyio.CapacityLimiter:
    """The lane uploads run on, apart from the request threads (created in the loop)."""
    global _upload_limiter
    if _upload_limiter is None:
        _upload_limiter = anyio.CapacityLimiter(UPLOAD_THREADS)
    return _upload_limiter
