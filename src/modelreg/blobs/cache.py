"""A local read-through cache of blobs, keyed by digest.

Blobs never change, so a copy fetched once can serve every later read: the
second download of a model moves no bytes from the store. The cache lives in
``MODELREG_CACHE_DIR`` (default: ``<user cache folder>/modelreg/blobs``) and is
safe to delete at any time. Copies out of the cache are verified on the way,
and a damaged cache entry is fetched again instead of being served.

A blob downloaded to a file the caller named is written there only, not also
into the cache (a multi-GB model would take its disk space twice, and the
second write costs a third of a cold download's time). The cache hard-links
that file instead, when both are on one filesystem: the bytes stay in the
cache after the file is deleted or replaced, and take no extra space while it
is not. Elsewhere the cache notes where the copy is (device, inode, size and
modification time) and uses it while it is unchanged. A linked or noted copy
may have been edited in place, so it is only ever read verified.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from modelreg import settings
from modelreg.blobs.base import SMALL_BLOB, BlobFetch, BlobStore, blob_key
from modelreg.blobs.refs import AbandonedUpload, BlobRef, Progress
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
    """Verified copies of blobs in a local folder, as ``<root>/ab/cdef…``; beside them,
    ``cdef….link`` (a hard link to a file downloaded elsewhere) and ``cdef….copy``
    (a note of where such a file is, across filesystems)."""

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
        if path.is_file():
            return path
        if not self.copy_noted(digest, path, what=what):
            store.get_file(digest, path, what=what)
        return path

    def note_copy(self, digest: str, path: str | os.PathLike[str]) -> None:
        """Remembers that the file at ``path`` holds the blob, as it is now.

        The file is hard-linked into the cache where it can be, and noted
        otherwise. Best effort: a cache folder that cannot be written costs
        later reads a fetch, never the download that has just succeeded.
        """
        target = Path(path).resolve()
        with suppress(OSError):
            self._link_path(digest).parent.mkdir(parents=True, exist_ok=True)
            if _replaced_by_link(self._link_path(digest), target):
                self._note_path(digest).unlink(missing_ok=True)
                return
            note = {"path": str(target), **_identity(target.stat())}
            _replace_with_text(self._note_path(digest), json.dumps(note))

    def _noted(self, digest: str) -> list[tuple[Path, Path]]:
        """The copies noted as holding the blob, each with the cache file that notes it:
        its hard link in the cache, if there is one, and the noted file, if it is still
        as it was when noted. Either may have been edited in place since."""
        link = self._link_path(digest)
        noted = [(link, link)] if link.is_file() else []
        note = self._note_path(digest)
        try:
            recorded = json.loads(note.read_text())
            if isinstance(recorded, dict) and isinstance(recorded.get("path"), str):
                target = Path(recorded.pop("path"))
                if recorded == _identity(target.stat()):
                    noted.append((target, note))
        except (OSError, ValueError):
            pass  # no note, an unreadable one, or the file is gone
        return noted

    def copy_noted(
        self,
        digest: str,
        dst_path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        what: str | None = None,
    ) -> bool:
        """Copies a noted copy of the blob to ``dst_path``, verified; ``False`` when there
        is none that still holds the blob's bytes (those that do not are forgotten)."""
        for copy, note in self._noted(digest):
            if _copied_verified(copy, dst_path, digest, progress, what):
                return True
            note.unlink(missing_ok=True)  # changed since it was noted: the store's copy is fine
        return False

    def _link_path(self, digest: str) -> Path:
        path = self.path(digest)
        return path.with_name(path.name + ".link")

    def _note_path(self, digest: str) -> Path:
        path = self.path(digest)
        return path.with_name(path.name + ".copy")

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

    def remove_abandoned_uploads(
        self, idle_seconds: float, *, dry_run: bool = False
    ) -> list[AbandonedUpload]:
        return self.store.remove_abandoned_uploads(idle_seconds, dry_run=dry_run)

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
            if _copied_verified(cached, dst_path, digest, progress, what):
                return
            cached.unlink(missing_ok=True)  # damaged on this disk; the store's copy is fine
        if not self.cache.copy_noted(digest, dst_path, progress=progress, what=what):
            self.store.get_file(digest, dst_path, progress=progress, what=what)
        # The newest copy: it outlives the noted one when that one is overwritten or removed.
        self.cache.note_copy(digest, dst_path)


def _copied_verified(
    src_path: Path,
    dst_path: str | os.PathLike[str],
    digest: str,
    progress: Progress | None,
    what: str | None,
) -> bool:
    """Copies a local file to ``dst_path`` if its bytes hash to ``digest``; ``False`` when
    they do not or the file cannot be read (``dst_path`` is then untouched)."""
    try:
        src = open(src_path, "rb", buffering=0)
    except OSError:
        return False
    try:
        with src:
            write_verified(src, dst_path, digest, progress=progress, what=what)
    except IntegrityError:
        return False
    return True


def _identity(stat: os.stat_result) -> dict[str, int]:
    """What tells a file apart from a changed or replaced one, short of reading it."""
    return {
        "dev": stat.st_dev,
        "ino": stat.st_ino,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }


def _replaced_by_link(link: Path, target: Path) -> bool:
    """Makes ``link`` a hard link to ``target``; ``False`` where the filesystem cannot."""
    tmp = temp_path_next_to(link)
    try:
        os.link(target, tmp)
        os.replace(tmp, link)
    except OSError:
        return False
    finally:
        tmp.unlink(missing_ok=True)  # left when ``link`` already was ``target``
    return True


def _replace_with_text(path: Path, text: str) -> None:
    """Writes ``path`` whole or not at all."""
    tmp = temp_path_next_to(path)
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
