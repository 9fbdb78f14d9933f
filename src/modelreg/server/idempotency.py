"""The Idempotency-Key header: a repeated change gets the first answer instead of running again.

A plain ASGI middleware in front of the routes: for a request that changes
something (any method but GET, HEAD and OPTIONS) and carries the header, it
claims the key (``services.idempotency``), runs the request, answers, and
then remembers a successful answer. A repeat with the same key and the same
request gets that answer back, marked ``Idempotent-Replayed: true``; a repeat
while the first still runs waits for it a while, then answers 409 with
``Retry-After``. Requests without the header pass through untouched.

The key belongs to the credentials that sent it (a hash of the Authorization
header), so nobody can read another caller's answer by guessing a key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Awaitable
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool

from modelreg.errors import ModelregError
from modelreg.services.idempotency import Answer, IdempotencyService, KeyedRequest, KeyInUse

Scope = dict[str, Any]
log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
# How long a repeat waits for the first request with its key before a 409.
WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.05
_KEY_RE = re.compile(r"[A-Za-z0-9._:\-]{1,255}")
_UNKEYED_METHODS = ("GET", "HEAD", "OPTIONS")


class IdempotencyMiddleware:
    """Runs each keyed change once; see the module docstring."""

    def __init__(self, app: Any, db: Any) -> None:
        self.app = app
        self.keys = IdempotencyService(db)
        self._settling: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] in _UNKEYED_METHODS:
            await self.app(scope, receive, send)
            return
        if not _KEY_RE.fullmatch(key):
            await _send_error(send, 400, "INVALID_PARAMETER_VALUE", _BAD_KEY)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before sending its request
        request = _keyed_request(scope, key, body)
        try:
            answer = await self._claim(request)
        except KeyInUse as exc:
            await _send_error(send, exc.status, exc.error_code, exc.message, retry_after=True)
            return
        except ModelregError as exc:
            from modelreg.server.errors import modelreg_error_response

            await modelreg_error_response(exc)(scope, receive, send)
            return
        if answer is not None:
            await _send_answer(send, answer, REPLAYED)
            return
        await self._run_once(scope, _replay(body, receive), send, request)

    async def _claim(self, request: KeyedRequest) -> Answer | None:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                return await run_in_threadpool(self.keys.claim, request)
            except KeyInUse:
                if time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(_POLL_SECONDS)

    async def _run_once(self, scope: Scope, receive: Any, send: Any, request: KeyedRequest) -> None:
        """Runs the request holding the key, answers, then remembers a 2xx answer.

        The answer is stored after it is sent, off the request's path: a repeat
        that comes first finds the key in use and waits for it (see ``_claim``).
        """
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, keep)
        except BaseException:
            self._settle(request, None)
            raise
        status, body = start.get("status", 500), b"".join(chunks)
        content_type = _header(start, b"content-type") or "application/json"
        self._settle(request, Answer(status, content_type, body) if 200 <= status < 300 else None)
        await send({**start, "type": "http.response.start"})
        await send({"type": "http.response.body", "body": body})

    def _settle(self, request: KeyedRequest, answer: Answer | None) -> None:
        """Remembers ``answer`` (or forgets the key) in the background."""
        if answer is None:
            work = partial(self.keys.forget, request)
        else:
            work = partial(self.keys.remember, request, answer)
        task = asyncio.get_running_loop().create_task(_logged(run_in_threadpool(work), request))
        self._settling.add(task)  # a task nobody holds may be collected before it runs
        task.add_done_callback(self._settling.discard)


async def _logged(work: Awaitable[None], request: KeyedRequest) -> None:
    try:
        await work
    except Exception:
        # The change is made and answered; a repeat of it is told the key is in
        # use (until the key expires) instead of getting that answer.
        log.exception("could not settle Idempotency-Key %s", request.key)


_BAD_KEY = "the Idempotency-Key header must be 1 to 255 letters, digits or . _ : -"


def _header(message: dict[str, Any], name: bytes) -> str | None:
    for header, value in message.get("headers", ()):
        if header.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _keyed_request(scope: Scope, key: str, body: bytes) -> KeyedRequest:
    authorization = _header(scope, b"authorization") or ""
    query = scope.get("query_string", b"").decode("latin-1")
    return KeyedRequest(
        principal=hashlib.sha256(authorization.encode("latin-1")).hexdigest(),
        key=key,
        method=scope["method"],
        path=scope["path"] + (f"?{query}" if query else ""),
        body_sha256=hashlib.sha256(body).hexdigest(),
    )


async def _read_body(receive: Any) -> bytes | None:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that hands the app the body already read, then the server's messages."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return dict(await receive())
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _send_answer(send: Any, answer: Answer, *extra: tuple[bytes, bytes]) -> None:
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"content-length", str(len(answer.body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _send_error(
    send: Any, status: int, code: str, message: str, *, retry_after: bool = False
) -> None:
    body = json.dumps({"error_code": code, "message": message}).encode()
    extra = [(b"retry-after", b"1")] if retry_after else []
    await _send_answer(send, Answer(status, "application/json", body), *extra)
