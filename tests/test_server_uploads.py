"""Request bodies handed to a worker thread: whole, held back at the queue limit, errors unchanged.

A small Starlette app calls ``consume_body`` as the blob route does; httpx's
ASGI transport sends it bodies chunk by chunk.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from modelreg.errors import InvalidArgument
from modelreg.server.uploads import QUEUE_LIMIT, consume_body

CHUNK = 256 * 1024
READ = 64 * 1024


def _put(endpoint: Callable, chunks: AsyncIterator[bytes]) -> httpx.Response:
    """PUTs ``chunks`` to an app of the one route ``endpoint``."""
    app = Starlette(routes=[Route("/", endpoint, methods=["PUT"])])

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            with anyio.fail_after(60):
                return await client.put("/", content=chunks)

    return anyio.run(send)


def _answering(consume: Callable[[BinaryIO], str]) -> Callable:
    """A route answering with what ``consume`` returns for the request body."""

    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(await consume_body(request, consume))

    return endpoint


async def _chunks_of(data: bytes, sent: list[int] | None = None) -> AsyncIterator[bytes]:
    """``data`` in chunks; ``sent`` gets the number of bytes handed over so far."""
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        if sent is not None:
            sent.append(start + len(chunk))
        yield chunk


def test_a_body_arrives_whole_in_the_thread() -> None:
    data = os.urandom(3 * CHUNK + 17)

    def digest(body: BinaryIO) -> str:
        return hashlib.sha256(body.read()).hexdigest()

    response = _put(_answering(digest), _chunks_of(data))

    assert response.status_code == 200
    assert response.text == hashlib.sha256(data).hexdigest()


def test_a_slow_reader_holds_the_sender_back_at_the_queue_limit() -> None:
    data = os.urandom(3 * QUEUE_LIMIT + 12345)
    sent: list[int] = []
    unread: list[int] = []

    def slow_digest(body: BinaryIO) -> str:
        hasher = hashlib.sha256()
        read = 0
        while chunk := body.read(READ):
            hasher.update(chunk)
            read += len(chunk)
            unread.append(sent[-1] - read)
            time.sleep(0.0005)
        return hasher.hexdigest()

    response = _put(_answering(slow_digest), _chunks_of(data, sent))

    assert response.text == hashlib.sha256(data).hexdigest()
    assert max(unread) <= QUEUE_LIMIT + CHUNK


def test_what_the_reader_raises_reaches_the_route_unchanged() -> None:
    def refuse(body: BinaryIO) -> str:
        body.read(READ)
        raise InvalidArgument("not this body")

    async def endpoint(request: Request) -> PlainTextResponse:
        try:
            return PlainTextResponse(await consume_body(request, refuse))
        except InvalidArgument as exc:
            return PlainTextResponse(f"refused: {exc}", status_code=400)

    response = _put(endpoint, _chunks_of(os.urandom(4 * QUEUE_LIMIT)))

    assert (response.status_code, response.text) == (400, "refused: not this body")


def test_pieces_read_as_views_arrive_whole_in_order_and_within_the_limit() -> None:
    data = os.urandom(3 * CHUNK + 17)
    limit = CHUNK // 3 + 5  # pieces split across the chunks as they arrived
    sizes: list[int] = []

    def digest(body: BinaryIO) -> str:
        hasher = hashlib.sha256()
        while view := body.read_view(limit):  # type: ignore[attr-defined]
            sizes.append(len(view))
            hasher.update(view)
        return hasher.hexdigest()

    response = _put(_answering(digest), _chunks_of(data))

    assert response.text == hashlib.sha256(data).hexdigest()
    assert sum(sizes) == len(data) and max(sizes) <= limit


def test_a_limited_reader_hands_over_views_up_to_its_size_and_leaves_the_rest() -> None:
    from modelreg.blobs.streams import LimitedReader, copy_all

    data = os.urandom(2 * CHUNK)
    first: list[bytes] = []

    def split(body: BinaryIO) -> str:
        part = LimitedReader(body, CHUNK + 100)
        assert hasattr(part, "read_view")
        copied = copy_all(part, lambda view: first.append(bytes(view)))
        assert copied == CHUNK + 100
        return hashlib.sha256(b"".join(first) + body.read()).hexdigest()

    response = _put(_answering(split), _chunks_of(data))

    assert response.text == hashlib.sha256(data).hexdigest()
    assert b"".join(first) == data[: CHUNK + 100]


def test_a_limited_reader_of_a_plain_file_has_no_views(tmp_path) -> None:
    from modelreg.blobs.streams import LimitedReader

    path = tmp_path / "f"
    path.write_bytes(b"abc")
    with open(path, "rb") as f:
        assert not hasattr(LimitedReader(f, 2), "read_view")
