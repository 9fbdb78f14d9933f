"""A local read-through cache of blobs, keyed by digest.

Blobs never change, so a copy fetched once can serve every later read: the
second download of a model moves no bytes from the store. The cache lives in
``MODELREG_CACHE_DIR`` (default: ``<user cache folder>/modelreg/blobs``) and is
safe to delete at any time. Copies out of the cache are verified on the way,
and a damaged cache entry is fetched again instead of being served.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from modelreg import settings
from modelreg.blobs.base import SMALL_BLOB, BlobFetch, BlobStore, blob_key
from modelreg.blobs.refs import BlobRef, Progress
from modelreg.blobs.streams import temp_path_next_to, write_verified
from modelreg.errors import IntegrityError


def default_cache_dir() -> Path:
    """``MODELREG_CACHE_DIR``, or ``blobs`` in the user cache folder."""
    configured = settings.CACHE_DIR.get()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("modelreg")) / "blobs"


class BlobCache:
    """Verified copies of blobs in a local folder, as ``<root>/ab/cdef…``."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()

    def path(self, digest: str) -> Path:
        """Where the cached copy of a blob is (whether or not it exists)."""
        return self.root / blob_key(digest).removeprefix("blobs/")

    def __contains__(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def fetch(self, store: BlobStore, digest: str, *, what: str | None = None) -> Path:
        """The path of a verified local copy of the blob, fetching it from ``store`` if needed.

        Raises ``NotFound`` when the store lacks the blob and ``IntegrityError``
        when the store's bytes do not match the digest (nothing is cached then).
        """
        path = self.path(digest)
        if not path.is_file():
            store.get_file(digest, path, what=what)
        return path

    def discard(self, digest: str) -> None:
        """Forgets one blob."""
        self.path(digest).unlink(missing_ok=True)

    def clear(self) -> None:
        """Empties the cache."""
        shutil.rmtree(self.root, ignore_errors=True)


class CachingBlobStore(BlobStore):
    """``store`` read through ``cache``; writes, listings and deletes go to ``store`` itself."""

    def __init__(self, store: BlobStore, cache: BlobCache) -> None:
        self.store = store
        self.cache = cache
        self.uri = store.uri

    def put_stream(self, fileobj: BinaryIO, *, progress: Progress | None = None) -> BlobRef:
        return self.store.put_stream(fileobj, progress=progress)

    def put_file(
        self, path: str | os.PathLike[str], *, progress: Progress | None = None
    ) -> BlobRef:
        return self.store.put_file(path, progress=progress)

    def put_bytes(self, data: bytes) -> BlobRef:
        return self.store.put_bytes(data)

    def exists(self, digest: str) -> bool:
        return self.store.exists(digest)

    def size(self, digest: str) -> int:
        return self.store.size(digest)

    def delete(self, digest: str) -> None:
        self.store.delete(digest)

    def iter_digests(self) -> Iterator[str]:
        return self.store.iter_digests()

    def blob_age_seconds(self, digest: str) -> float:
        return self.store.blob_age_seconds(digest)

    def open(self, digest: str) -> BinaryIO:
        return open(self.cache.fetch(self.store, digest), "rb", buffering=0)

    def get_files(self, fetches: Sequence[BlobFetch], *, threads: int = 8) -> None:
        # Small blobs missing from the cache are fetched into it together (one request
        # per batch from a server); then each is copied out, verified, as one by one.
        wanted = {
            f.ref.digest: BlobFetch(f.ref, self.cache.path(f.ref.digest), f.what)
            for f in fetches
            if f.ref.size < SMALL_BLOB and f.ref.digest not in self.cache
        }
        if wanted:
            self.store.get_files(list(wanted.values()), threads=threads)
        super().get_files(fetches, threads=threads)

    def get_file(
        self,
        digest: str,
        dst_path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        what: str | None = None,
    ) -> None:
        cached = self.cache.path(digest)
        if cached.is_file():
            try:
                with open(cached, "rb", buffering=0) as src:
                    write_verified(src, dst_path, digest, progress=progress, what=what)
                return
            except IntegrityError:
                self.cache.discard(digest)  # damaged on this disk; the store's copy may be fine
        self.cache.fetch(self.store, digest, what=what)
        # Just verified by the fetch: a plain (kernel-side) copy is enough.
        dst = Path(dst_path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path_next_to(dst)
        try:
            shutil.copyfile(cached, tmp)
            os.replace(tmp, dst)
        finally:
            tmp.unlink(missing_ok=True)
        if progress is not None:
            progress(os.path.getsize(dst))
