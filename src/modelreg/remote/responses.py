"""Streamed httpx responses read as binary files."""

from __future__ import annotations

import io
from typing import Any, BinaryIO

import httpx


def response_reader(response: Any, owner: httpx.Client | None = None) -> BinaryIO:
    """A read-only binary file over a streamed response; closing it closes the response
    (and ``owner``, a client opened for it alone). Its ``size`` is the Content-Length."""
    return _ResponseReader(response, owner)  # type: ignore[return-value]


class _ResponseReader(io.RawIOBase):
    """A read-only binary file over a streamed httpx response; ``size`` is its length."""

    def __init__(self, response: Any, owner: httpx.Client | None = None) -> None:
        super().__init__()
        self._response = response
        self._owner = owner  # a client of its own (a presigned URL's), closed with it
        self.size = int(response.headers.get("content-length", 0))
        self._chunks = response.iter_raw()
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Fills ``buffer`` with the next bytes of the response; short only at its end."""
        target = memoryview(buffer).cast("B")
        n = 0
        while n < len(target):
            if not self._pending:
                chunk = next(self._chunks, b"")
                if not chunk:
                    break
                self._pending = memoryview(chunk)
            take = min(len(self._pending), len(target) - n)
            target[n : n + take] = self._pending[:take]
            self._pending = self._pending[take:]
            n += take
        return n

    def close(self) -> None:
        self._response.close()
        if self._owner is not None:
            self._owner.close()
        super().close()
