"""A blob store that is a modelreg server: ``/api/v1/blobs/{digest}``.

Uploads hash the file locally first and send it only when the server lacks
that digest, so re-logging identical files moves no bytes. Big files go up
in resumable chunks (``remote.chunked``), small ones in batches
(:meth:`RemoteBlobStore.put_files`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from modelreg.api.operations import API_PREFIX
from modelreg.blobs.base import SMALL_BLOB, BlobFetch, BlobStore, check_digest
from modelreg.blobs.refs import BlobRef, Progress
from modelreg.blobs.streams import copy_hashing, write_all
from modelreg.remote import chunked
from modelreg.remote.batches import BATCH_MAX_FILE, get_small_blobs, put_small_files
from modelreg.remote.http import HttpSession, raise_for_error
from modelreg.remote.progress import transfer_progress
from modelreg.remote.responses import response_reader
from modelreg.tls import tls_context

DIRECT_HEADER = "X-Modelreg-Direct"


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
        if os.path.getsize(path) >= chunked.CHUNKED_THRESHOLD:
            return chunked.ChunkedUpload(self.http, path).run(progress)
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

    def put_files(
        self, paths: Sequence[str | os.PathLike[str]], *, threads: int = 8
    ) -> list[BlobRef]:
        """Stores several files: small ones in batches (one request each, after one request
        asking which the server lacks), big ones one by one; returns their refs in order."""
        sizes = [os.path.getsize(p) for p in paths]
        small = [i for i, size in enumerate(sizes) if size < BATCH_MAX_FILE]
        refs: dict[int, BlobRef] = dict(
            zip(small, put_small_files(self.http, [paths[i] for i in small], threads), strict=True)
        )
        for i, path in enumerate(paths):
            if i not in refs:
                refs[i] = self.put_file(path)
        return [refs[i] for i in range(len(paths))]

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
        # A server on S3 may redirect to a presigned URL: followed by a client of its
        # own, so the token never goes to S3.
        client = self.http.client
        request = client.build_request("GET", self._url(digest), headers={DIRECT_HEADER: "1"})
        response = client.send(request, stream=True)
        owner = None
        if response.status_code == 307:
            response.close()
            owner = httpx.Client(timeout=client.timeout, verify=tls_context())
            response = owner.send(httpx.Request("GET", response.headers["location"]), stream=True)
        if response.status_code >= 400:
            response.read()
            if owner is not None:
                owner.close()
            raise_for_error(response)
        return response_reader(response, owner)

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
            with transfer_progress(label, getattr(src, "size", 0)) as bar:

                def advance(n: int) -> None:
                    bar(n)
                    if progress is not None:
                        progress(n)

                write_verified(src, dst_path, digest, progress=advance, what=what)

    def get_files(self, fetches: Sequence[BlobFetch], *, threads: int = 8) -> None:
        small = [f for f in fetches if f.ref.size < SMALL_BLOB]
        if small:
            get_small_blobs(self.http, small, threads)
        super().get_files([f for f in fetches if f.ref.size >= SMALL_BLOB], threads=threads)

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
