"""The client side of resumable chunked uploads (the server side is ``blobs.staging``).

A big file is read once to learn its digest and the digest of each chunk,
declared to the server, and then only the chunks the server lacks are sent,
several at once, each streamed from the file (memory stays flat whatever the
size): to the server, or straight to S3 when the server hands out presigned
part URLs (``blobs.s3_direct``). An upload cut short (the process killed,
the connection dropped, the server restarted) is taken up again by uploading
the same file: the declaration finds the chunks already there, and only the
others are sent.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from modelreg.actor import current_actor
from modelreg.api.operations import API_PREFIX
from modelreg.blobs.base import map_in_threads
from modelreg.blobs.refs import BlobRef, Progress
from modelreg.blobs.streams import copy_hashing
from modelreg.errors import Conflict, ServiceUnavailable
from modelreg.remote.http import RETRY_STATUSES, HttpSession, raise_for_error
from modelreg.remote.progress import transfer_progress
from modelreg.tls import tls_context

CHUNKED_THRESHOLD = 64 * 1024 * 1024
"""Files of at least this many bytes go up in chunks; smaller ones in one request."""
CHUNK_SIZE = 32 * 1024 * 1024
PARALLEL = 4
_PIECE = 1024 * 1024
_COMPLETE_ROUNDS = 3
USER_HEADER = "X-Modelreg-User"
COMPLETE_HASH_RATE = 50 * 1024 * 1024
"""Bytes a second a slow server is assumed to hash at when completing an upload."""


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
        declaration = {
            "digest": ref.digest,
            "size": ref.size,
            "chunk_size": self.chunk_size,
            "chunks": chunks,
        }
        fd = os.open(self.path, os.O_RDONLY)
        try:
            with (
                transfer_progress(f"uploading {self.path.name}", ref.size) as bar,
                httpx.Client(timeout=self.http.client.timeout, verify=tls_context()) as direct,
            ):

                def advance(n: int) -> None:
                    bar(n)
                    _report(progress, n)

                for round_ in range(_COMPLETE_ROUNDS):
                    if self._round(fd, ref, declaration, advance, direct, first=round_ == 0):
                        return ref
        finally:
            os.close(fd)
        raise Conflict(
            f"file '{self.path}' kept failing its digest check on the server; "
            "was it changing while being uploaded?"
        )

    def _round(
        self,
        fd: int,
        ref: BlobRef,
        declaration: dict[str, Any],
        advance: Callable[[int], None],
        direct: httpx.Client,
        *,
        first: bool,
    ) -> bool:
        """Declares the upload, sends what the server lacks, completes; ``False`` when the
        server found chunks missing or damaged (to be sent in another round)."""
        url = f"{API_PREFIX}/uploads"
        declared = self.http.json("POST", url, json=declaration, repeatable=True)
        if declared["stored"]:
            advance(ref.size if first else 0)
            return True
        upload_id = declared["upload_id"]
        count = len(declaration["chunks"])
        missing = sorted(set(range(count)) - set(declared["received"]))
        if first:  # a resumed upload's bar starts at what the server holds
            advance(ref.size - sum(self._length(ref, i) for i in missing))
        parts: dict[str, str] | None = declared.get("parts")
        checksums = [_b64(digest) for digest in declaration["chunks"]]

        def send(index: int) -> None:
            length = self._length(ref, index)
            target: tuple[httpx.Client, str, dict[str, str]]
            if parts is None:
                target = (self.http.client, f"{API_PREFIX}/blobs/chunks/{upload_id}/{index}", {})
            else:  # straight to S3; the URL is signed with the chunk's SHA-256
                target = (direct, parts[str(index)], {"x-amz-checksum-sha256": checksums[index]})
            self._send_chunk(fd, target, index, length)
            advance(length)

        map_in_threads(send, missing, self.parallel)
        try:
            self.http.request(
                "POST",
                f"{url}/{upload_id}/complete",
                json=declaration,
                timeout=self._completion_timeout(ref.size),
            )
        except Conflict as exc:
            # Chunks that did not survive (the server's disk lost them, or the file
            # changed under us): another round sends them and checks the blob again.
            if not exc.details.get("missing"):
                raise
            return False
        return True

    def _completion_timeout(self, size: int) -> httpx.Timeout:
        """The usual timeouts, but a read one that also allows the server to hash the whole
        blob: it does when the hashing done while the chunks arrived was lost (a restart)."""
        usual = self.http.client.timeout
        if usual.read is None:  # no limit at all
            return usual
        read = usual.read + size / COMPLETE_HASH_RATE
        return httpx.Timeout(usual.connect, read=read, write=usual.write, pool=usual.pool)

    def _length(self, ref: BlobRef, index: int) -> int:
        return min(self.chunk_size, ref.size - index * self.chunk_size)

    def _send_chunk(
        self, fd: int, target: tuple[httpx.Client, str, dict[str, str]], index: int, length: int
    ) -> None:
        """PUTs one chunk, again after a dropped connection (a chunk is safe to repeat)."""
        client, url, headers = target
        offset = index * self.chunk_size
        attempt = 0
        while True:
            try:
                response = client.put(
                    url,
                    content=_pieces(fd, offset, length),
                    headers={**headers, "Content-Length": str(length), **self._identity(client)},
                )
                if response.status_code not in RETRY_STATUSES:
                    raise_for_error(response)
                    return
                failure: Exception = ServiceUnavailable(f"HTTP {response.status_code}")
            except httpx.TransportError as exc:
                failure = exc
            if attempt >= self.http.retries:
                raise ServiceUnavailable(
                    f"uploading chunk {index} of '{self.path}' failed: {failure}; "
                    "upload the file again to resume"
                ) from failure
            time.sleep(min(8.0, 0.1 * 2**attempt) * (0.5 + random.random()))
            attempt += 1

    def _identity(self, client: httpx.Client) -> dict[str, str]:
        # Only the server hears who is acting; S3 gets the presigned URL alone.
        return {USER_HEADER: current_actor()} if client is self.http.client else {}


def _pieces(fd: int, offset: int, length: int) -> Iterator[bytes]:
    """The bytes ``[offset, offset + length)`` of ``fd``, read positionally in pieces."""
    end = offset + length
    while offset < end:
        piece = os.pread(fd, min(_PIECE, end - offset), offset)
        if not piece:
            raise Conflict("the file got shorter while it was being uploaded; log it again")
        offset += len(piece)
        yield piece


def _b64(digest: str) -> str:
    return base64.b64encode(bytes.fromhex(digest)).decode("ascii")


def _report(progress: Progress | None, n: int) -> None:
    if progress is not None and n:
        progress(n)
