"""A blob store that is a modelreg server: ``/api/v1/blobs/{digest}``.

Uploads hash the file locally first and send it only when the server lacks
that digest, so re-logging identical files moves no bytes.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from modelreg.api.operations import API_PREFIX
from modelreg.blobs.base import BlobStore, check_digest
from modelreg.blobs.refs import BlobRef, Progress
from modelreg.blobs.streams import copy_hashing, write_all
from modelreg.remote.http import HttpSession, raise_for_error
from modelreg.remote.progress import transfer_progress


class RemoteBlobStore(BlobStore):
    cacheable = True

    def __init__(self, http: HttpSession) -> None:
        self.http = http
        self.uri = http.base_url

    def _url(self, digest: str) -> str:
        return f"{API_PREFIX}/blobs/{check_digest(digest)}"

    def put_file(
        self, path: str | os.PathLike[str], *, progress: Progress | None = None
    ) -> BlobRef:
        with open(path, "rb") as f:
            ref = copy_hashing(f)
        if not self.exists(ref.digest):
            with (
                open(path, "rb") as f,
                transfer_progress(f"uploading {Path(path).name}", ref.size) as bar,
            ):
                self.http.request(
                    "PUT", self._url(ref.digest), content=_chunks(f, bar, progress), repeatable=True
                )
        return ref

    def put_stream(self, fileobj: BinaryIO, *, progress: Progress | None = None) -> BlobRef:
        # The digest names the upload, so the bytes are spooled to learn it first.
        with tempfile.NamedTemporaryFile(prefix="modelreg-upload-") as spool:
            copy_hashing(fileobj, write_all(spool.fileno()))
            spool.flush()
            return self.put_file(spool.name, progress=progress)

    def put_bytes(self, data: bytes) -> BlobRef:
        import hashlib

        ref = BlobRef(hashlib.sha256(data).hexdigest(), len(data))
        if not self.exists(ref.digest):
            self.http.request("PUT", self._url(ref.digest), content=bytes(data), repeatable=True)
        return ref

    def exists(self, digest: str) -> bool:
        response = self.http.request("HEAD", self._url(digest), allow_status=(404,))
        return response.status_code == 200

    def size(self, digest: str) -> int:
        response = self.http.request("HEAD", self._url(digest))
        return int(response.headers["content-length"])

    def open(self, digest: str) -> BinaryIO:
        response = self.http.client.send(
            self.http.client.build_request("GET", self._url(digest)), stream=True
        )
        if response.status_code >= 400:
            response.read()
            raise_for_error(response)
        return _ResponseReader(response)  # type: ignore[return-value]

    def get_file(
        self,
        digest: str,
        dst_path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        what: str | None = None,
    ) -> None:
        from modelreg.blobs.streams import write_verified

        with self.open(digest) as src:
            label = f"downloading {what or digest[:12]}"
            with transfer_progress(label, src.size) as bar:

                def advance(n: int) -> None:
                    bar(n)
                    if progress is not None:
                        progress(n)

                write_verified(src, dst_path, digest, progress=advance, what=what)

    def delete(self, digest: str) -> None:
        raise NotImplementedError("blobs on a server are removed by `modelreg gc` there")

    def iter_digests(self) -> Iterator[str]:
        raise NotImplementedError("a server does not list its blobs to clients")


def _chunks(f: BinaryIO, bar: Any, progress: Progress | None) -> Iterator[bytes]:
    while chunk := f.read(1024 * 1024):
        bar(len(chunk))
        if progress is not None:
            progress(len(chunk))
        yield chunk


class _ResponseReader(io.RawIOBase):
    """A read-only binary file over a streamed httpx response; ``size`` is its length."""

    def __init__(self, response: Any) -> None:
        super().__init__()
        self._response = response
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
        super().close()
