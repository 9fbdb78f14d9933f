"""The client side of resumable chunked uploads (the server side is ``blobs.staging``).

A big file is read once to learn its digest and the digest of each chunk,
declared to the server, and then only the chunks the server lacks are sent,
several at once, each streamed from the file (memory stays flat whatever the
size). An upload cut short (the process killed, the connection dropped, the
server restarted) is taken up again by uploading the same file: the
declaration finds the chunks already there, and only the others are sent.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from modelreg.blobs.base import BlobRef, Progress
from modelreg.blobs.streams import copy_hashing
from modelreg.errors import Conflict, ServiceUnavailable
from modelreg.operations import API_PREFIX
from modelreg.remote.http import HttpSession
from modelreg.remote.progress import transfer_progress

CHUNKED_THRESHOLD = 64 * 1024 * 1024
"""Files of at least this many bytes go up in chunks; smaller ones in one request."""
CHUNK_SIZE = 32 * 1024 * 1024
PARALLEL = 4
_PIECE = 1024 * 1024
_COMPLETE_ROUNDS = 3


def hash_chunks(path: str | os.PathLike[str], chunk_size: int) -> tuple[BlobRef, list[str]]:
    """The file's digest and size, and the SHA-256 of each ``chunk_size`` piece, in one read."""
    chunks: list[str] = []
    hasher = hashlib.sha256()
    filled = 0

    def split(view: memoryview) -> None:
        nonlocal hasher, filled
        while view:
            take = min(len(view), chunk_size - filled)
            hasher.update(view[:take])
            filled += take
            view = view[take:]
            if filled == chunk_size:
                chunks.append(hasher.hexdigest())
                hasher, filled = hashlib.sha256(), 0

    with open(path, "rb", buffering=0) as f:
        ref = copy_hashing(f, split)
    if filled or not chunks:
        chunks.append(hasher.hexdigest())
    return ref, chunks


class ChunkedUpload:
    """One big file going up in chunks over ``http``; :meth:`run` sends it."""

    def __init__(
        self,
        http: HttpSession,
        path: str | os.PathLike[str],
        *,
        chunk_size: int | None = None,
        parallel: int | None = None,
    ) -> None:
        self.http = http
        self.path = Path(path)
        self.chunk_size = chunk_size or CHUNK_SIZE
        self.parallel = parallel or PARALLEL

    def run(self, progress: Progress | None = None) -> BlobRef:
        """Uploads the file unless the server holds it; returns its digest and size.

        Raises ``Conflict`` when the file changes while it is sent, and
        ``ServiceUnavailable`` when the server stays out of reach (upload the
        same file again later: what arrived is kept).
        """
        ref, chunks = hash_chunks(self.path, self.chunk_size)
        declared = self.http.json(
            "POST",
            f"{API_PREFIX}/uploads",
            json={
                "digest": ref.digest,
                "size": ref.size,
                "chunk_size": self.chunk_size,
                "chunks": chunks,
            },
            repeatable=True,
        )
        if declared["stored"]:
            _report(progress, ref.size)
            return ref
        upload_id = declared["upload_id"]
        missing = sorted(set(range(len(chunks))) - set(declared["received"]))
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return self._upload(fd, ref, upload_id, missing, progress)
        finally:
            os.close(fd)

    def _upload(
        self,
        fd: int,
        ref: BlobRef,
        upload_id: str,
        missing: list[int],
        progress: Progress | None,
    ) -> BlobRef:
        with transfer_progress(f"uploading {self.path.name}", ref.size) as bar:

            def advance(n: int) -> None:
                bar(n)
                _report(progress, n)

            advance(ref.size - sum(self._length(ref, i) for i in missing))
            for _round in range(_COMPLETE_ROUNDS):
                self._send(fd, ref, upload_id, missing, advance)
                try:
                    self.http.request(
                        "POST", f"{API_PREFIX}/uploads/{upload_id}/complete", repeatable=True
                    )
                    return ref
                except Conflict as exc:
                    # Chunks that did not survive (a server lost its disk cache, or the
                    # file changed under us): sent again, then the blob is checked again.
                    missing = list(exc.details.get("missing", ()))
                    if not missing:
                        raise
        raise Conflict(
            f"file '{self.path}' kept failing its digest check on the server; "
            "was it changing while being uploaded?"
        )

    def _length(self, ref: BlobRef, index: int) -> int:
        return min(self.chunk_size, ref.size - index * self.chunk_size)

    def _send(
        self,
        fd: int,
        ref: BlobRef,
        upload_id: str,
        indexes: list[int],
        advance: Callable[[int], None],
    ) -> None:
        def send(index: int) -> None:
            self._send_chunk(fd, upload_id, index, self._length(ref, index), advance)

        if not indexes:
            return
        with ThreadPoolExecutor(max(1, min(self.parallel, len(indexes)))) as pool:
            for future in [pool.submit(send, i) for i in indexes]:
                future.result()

    def _send_chunk(
        self, fd: int, upload_id: str, index: int, length: int, advance: Callable[[int], None]
    ) -> None:
        """PUTs one chunk, again after a dropped connection (a chunk is safe to repeat)."""
        url = f"{API_PREFIX}/blobs/chunks/{upload_id}/{index}"
        offset = index * self.chunk_size
        attempt = 0
        while True:
            try:
                self.http.request(
                    "PUT",
                    url,
                    content=_pieces(fd, offset, length),
                    headers={"Content-Length": str(length)},
                    repeatable=True,
                )
                advance(length)
                return
            except (ServiceUnavailable, httpx.TransportError) as exc:
                if attempt >= self.http.retries:
                    raise ServiceUnavailable(
                        f"uploading chunk {index} of '{self.path}' failed: {exc}; "
                        "upload the file again to resume"
                    ) from exc
            time.sleep(min(8.0, 0.1 * 2**attempt) * (0.5 + random.random()))
            attempt += 1


def _pieces(fd: int, offset: int, length: int) -> Iterator[bytes]:
    """The bytes ``[offset, offset + length)`` of ``fd``, read positionally in pieces."""
    end = offset + length
    while offset < end:
        piece = os.pread(fd, min(_PIECE, end - offset), offset)
        if not piece:
            raise Conflict("the file got shorter while it was being uploaded; log it again")
        offset += len(piece)
        yield piece


def _report(progress: Progress | None, n: int) -> None:
    if progress is not None and n:
        progress(n)
