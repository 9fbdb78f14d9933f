"""The blob store interface: immutable byte strings named by their SHA-256.

A blob's name is the lowercase hex SHA-256 of its bytes, so identical files
are stored once and any reader can check what it got. Stores lay blobs out as
``blobs/ab/cdef…`` (the first two hex digits name a folder) under their root.

Every write is all-or-nothing: a blob becomes visible under its digest only
once all its bytes are stored, so a crash mid-upload leaves nothing a reader
could see.
"""

from __future__ import annotations

import io
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, NamedTuple, TypeVar

from modelreg.blobs.refs import AbandonedUpload, BlobRef, Progress
from modelreg.blobs.streams import copy_hashing, write_verified
from modelreg.errors import InvalidArgument

T = TypeVar("T")
_DIGEST_RE = re.compile(r"[0-9a-f]{64}")


def check_digest(digest: object) -> str:
    """A lowercase hex SHA-256; anything else raises ``InvalidArgument``."""
    if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
        raise InvalidArgument(f"blob digest {digest!r:.80} is not a lowercase hex SHA-256")
    return digest


def map_in_threads(fn: Callable[[Any], T], items: Sequence[Any], threads: int) -> list[T]:
    """``[fn(item) for item in items]``, run on up to ``threads`` threads (I/O-bound work).

    Each call runs in a copy of the caller's context, so context variables
    (who is acting, whose request it is) hold in the threads as they do here.
    """
    if len(items) <= 1 or threads <= 1:
        return [fn(item) for item in items]
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    context = contextvars.copy_context()
    with ThreadPoolExecutor(min(threads, len(items))) as pool:
        # One copy a call: a context can be entered by one thread at a time.
        return list(pool.map(lambda item: context.copy().run(fn, item), items))


def blob_key(digest: str) -> str:
    """The relative location of a blob under a store's root: ``blobs/ab/cdef…``."""
    digest = check_digest(digest)
    return f"blobs/{digest[:2]}/{digest[2:]}"


class BlobFetch(NamedTuple):
    """One blob to write to a local file: what the manifest says it is, where it goes, and
    how an error names it."""

    ref: BlobRef
    dst: str | os.PathLike[str]
    what: str | None = None


SMALL_BLOB = 1024 * 1024
"""Blobs below this size may be fetched many per request (``BlobStore.get_files``)."""


class BlobStore(ABC):
    """Content-addressed storage of immutable blobs.

    ``cacheable`` says whether readers should keep a local copy of what they
    fetch (true for remote stores; a local folder already is local).
    """

    uri: str
    cacheable: bool = False

    @abstractmethod
    def put_stream(self, fileobj: BinaryIO, *, progress: Progress | None = None) -> BlobRef:
        """Stores everything ``fileobj`` yields up to its end; returns its digest and size."""

    def put_file(
        self, path: str | os.PathLike[str], *, progress: Progress | None = None
    ) -> BlobRef:
        """Stores the file at ``path``, streaming it; returns its digest and size."""
        with open(path, "rb", buffering=0) as f:
            return self.put_stream(f, progress=progress)

    def put_files(
        self, paths: Sequence[str | os.PathLike[str]], *, threads: int = 8
    ) -> list[BlobRef]:
        """Stores several files, ``threads`` at a time; returns their refs in order."""
        return map_in_threads(self.put_file, paths, threads)

    def put_bytes(self, data: bytes) -> BlobRef:
        """Stores ``data``; returns its digest and size."""
        return self.put_stream(io.BytesIO(data))

    @abstractmethod
    def exists(self, digest: str) -> bool:
        """Whether the store holds the blob."""

    @abstractmethod
    def size(self, digest: str) -> int:
        """The blob's size in bytes; raises ``NotFound`` when the store lacks it."""

    @abstractmethod
    def open(self, digest: str) -> BinaryIO:
        """A binary file object reading the blob; raises ``NotFound`` when the store lacks it.

        The bytes are not verified: use :meth:`get_file` for that.
        """

    def get_file(
        self,
        digest: str,
        dst_path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        what: str | None = None,
    ) -> None:
        """Writes the blob to ``dst_path``, verifying its digest on the way.

        Raises ``NotFound`` when the store lacks the blob and ``IntegrityError``
        naming ``what`` (default: ``dst_path``) and the digest when the bytes do
        not match; in both cases ``dst_path`` is left untouched.
        """
        with self.open(digest) as src:
            write_verified(src, dst_path, digest, progress=progress, what=what)

    def get_files(self, fetches: Sequence[BlobFetch], *, threads: int = 8) -> None:
        """:meth:`get_file` for each of ``fetches``, ``threads`` at a time (stores that can
        fetch many small blobs in one request do)."""

        def fetch(item: BlobFetch) -> None:
            self.get_file(item.ref.digest, item.dst, what=item.what)

        map_in_threads(fetch, fetches, threads)

    def verify(self, digest: str) -> bool:
        """Re-reads the blob and tells whether its bytes still hash to ``digest``."""
        with self.open(digest) as src:
            return copy_hashing(src).digest == digest

    @abstractmethod
    def delete(self, digest: str) -> None:
        """Removes the blob; removing a missing blob is not an error."""

    @abstractmethod
    def iter_digests(self) -> Iterator[str]:
        """Every digest the store holds, in no particular order."""

    def blob_age_seconds(self, digest: str) -> float:
        """Seconds since the blob was last written or re-uploaded (``gc`` spares young blobs)."""
        return float("inf")

    def remove_abandoned_uploads(
        self, idle_seconds: float, *, dry_run: bool = False
    ) -> list[AbandonedUpload]:
        """Removes what writers that died mid-upload left in the store (temporary files,
        incomplete multipart uploads) once untouched for ``idle_seconds``, and returns
        it; with ``dry_run`` only returns it. A live upload keeps touching what it
        writes, so it is never taken for an abandoned one."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"
