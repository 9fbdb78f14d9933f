"""Request bodies handed from the event loop to the worker thread that stores them.

Blob stores read a blocking file object. Fetching each piece of the body from
the thread (a round trip through the event loop per piece) left the socket
idle while the thread hashed and wrote. Here the event loop keeps receiving
into a bounded queue while one thread drains it: each read takes everything
that has arrived, so the batches grow when the disk is the bottleneck, and
every byte received reaches the store even while the client pauses.
"""

from __future__ import annotations

import io
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, BinaryIO, TypeVar, cast

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from starlette.requests import Request

from modelreg.server.threads import upload_limiter

T = TypeVar("T")

# Bytes received ahead of the storing thread per upload; the client waits beyond it.
QUEUE_LIMIT = 8 * 1024 * 1024


async def consume_body(request: Request, consume: Callable[[BinaryIO], T]) -> T:
    """Runs ``consume(body)`` in a worker thread and returns what it returns.

    ``body`` is a blocking, read-only file of the request body as it arrives;
    its reads raise ``ClientDisconnect`` when the client goes away mid-body.
    What ``consume`` raises propagates unchanged. Whatever of the body
    ``consume`` leaves unread is not received.
    """
    body = _BodyQueue(QUEUE_LIMIT)
    result: T
    failure: Exception | None = None

    async def store() -> None:
        nonlocal result, failure
        try:
            # A raw binary stream, read as the binary file ``consume`` takes.
            result = await anyio.to_thread.run_sync(
                consume, cast(BinaryIO, body), limiter=upload_limiter()
            )
        except Exception as exc:
            # Raised below: the task group would wrap it in an ExceptionGroup.
            failure = exc
        finally:
            feeding.cancel_scope.cancel()  # the rest of the body, if any, is not wanted

    # The body is fed from this task, so even a cancellation before the thread
    # starts ends the body, and a waiting reader always wakes.
    async with anyio.create_task_group() as feeding:
        feeding.start_soon(store)
        await body.feed(request.stream())
    if failure is not None:
        raise failure
    return result


class _BodyQueue(io.RawIOBase):
    """Chunks queued by the event loop (:meth:`feed`), read by one thread (:meth:`readinto`
    or, without a copy, :meth:`read_view`)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._chunks: deque[memoryview] = deque()
        self._queued = 0
        self._ended = False
        self._error: BaseException | None = None
        # Set by the reader once the queue is half drained, while the feeder waits.
        self._room: anyio.Event | None = None
        self._loop = anyio.lowlevel.current_token()
        self._changed = threading.Condition()

    def readable(self) -> bool:
        return True

    async def feed(self, chunks: AsyncIterator[bytes]) -> None:
        """Queues ``chunks`` to their end. Never raises but when cancelled: the reader
        gets the error instead."""
        try:
            async for chunk in chunks:
                room = self._put(chunk)
                if room is not None:
                    await room.wait()
        except Exception as exc:
            self._end(exc)
        except BaseException:
            # Cancelled: the reader is done already, or the server is stopping.
            self._end(ConnectionAbortedError("the upload was interrupted"))
            raise
        else:
            self._end(None)

    def _put(self, chunk: bytes) -> anyio.Event | None:
        """Queues ``chunk``; returns an event to wait for when the queue is over its limit."""
        if not chunk:
            return None
        with self._changed:
            self._chunks.append(memoryview(chunk))
            self._queued += len(chunk)
            self._changed.notify()
            if self._queued <= self._limit:
                return None
            self._room = anyio.Event()
            return self._room

    def _end(self, error: BaseException | None) -> None:
        with self._changed:
            self._ended = True
            self._error = error
            self._changed.notify()

    def readinto(self, buffer: Any) -> int:
        """Copies what has arrived into ``buffer``, waiting only while nothing has;
        0 at the end of the body. Raises what ended the body early."""
        target = memoryview(buffer).cast("B")
        n = 0
        with self._changed:
            self._wait()
            while self._chunks and n < len(target):
                view = self._take(len(target) - n)
                target[n : n + len(view)] = view
                n += len(view)
            room = self._taken(n)
        self._make_room(room)
        return n

    def read_view(self, limit: int) -> memoryview:
        """The next piece that has arrived, of at most ``limit`` bytes, without a copy;
        waits only while nothing has; empty at the end of the body. Raises what
        ended the body early."""
        with self._changed:
            self._wait()
            view = self._take(limit) if self._chunks and limit > 0 else memoryview(b"")
            room = self._taken(len(view))
        self._make_room(room)
        return view

    def _wait(self) -> None:
        self._changed.wait_for(lambda: self._chunks or self._ended)

    def _take(self, limit: int) -> memoryview:
        """The front of the first queued chunk, up to ``limit`` bytes (holding the lock)."""
        chunk = self._chunks[0]
        if len(chunk) <= limit:
            self._chunks.popleft()
            return chunk
        self._chunks[0] = chunk[limit:]
        return chunk[:limit]

    def _taken(self, n: int) -> anyio.Event | None:
        """Accounts for ``n`` bytes read (holding the lock); raises what ended the body
        early once nothing is left; returns the feeder's event to set, if it may go on."""
        self._queued -= n
        if not n and self._error is not None:
            raise self._error
        room = None
        if self._room is not None and self._queued <= self._limit // 2:
            room, self._room = self._room, None
        return room

    def _make_room(self, room: anyio.Event | None) -> None:
        if room is not None:
            anyio.from_thread.run_sync(room.set, token=self._loop)
