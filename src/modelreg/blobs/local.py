"""Blobs in a local folder: ``<root>/blobs/ab/cdef…``, uploads staged in ``<root>/tmp/``.

An upload streams into a temporary file in ``<root>/tmp`` (same filesystem)
while hashing, is fsynced, and is then renamed to its digest's name; the
folder is fsynced so the rename survives a power cut. A crash at any point
leaves at most a stray file in ``tmp/``, which :meth:`remove_abandoned_uploads`
clears. Blob files are created read-only. Chunked uploads (``blobs.staging``)
are staged in ``<root>/tmp/uploads/`` and moved into place by :meth:`adopt`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from modelreg.blobs.base import BlobStore, blob_key, check_digest, map_in_threads
from modelreg.blobs.refs import AbandonedUpload, BlobRef, Progress
from modelreg.blobs.streams import copy_hashing, write_flushing_behind
from modelreg.errors import NotFound

_HEX = frozenset("0123456789abcdef")


class LocalBlobStore(BlobStore):
    """A blob store in the folder ``root`` (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self.uri = str(self.root)
        self._tmp = self.root / "tmp"

    def path(self, digest: str) -> Path:
        """Where the blob's file is (whether or not it exists)."""
        return self.root / blob_key(digest)

    # -- writing ---------------------------------------------------------------

    def put_stream(self, fileobj: BinaryIO, *, progress: Progress | None = None) -> BlobRef:
        ref, folder = self._put(fileobj, progress)
        if folder is not None:
            _fsync_dir(folder)
        return ref

    def put_files(
        self, paths: Sequence[str | os.PathLike[str]], *, threads: int = 8
    ) -> list[BlobRef]:
        # The folders' renames are made durable once at the end, not once per file.
        def put(path: str | os.PathLike[str]) -> tuple[BlobRef, Path | None]:
            with open(path, "rb", buffering=0) as f:
                return self._put(f, None)

        results = map_in_threads(put, paths, threads)
        for folder in {folder for _, folder in results if folder is not None}:
            _fsync_dir(folder)
        return [ref for ref, _ in results]

    def _put(self, fileobj: BinaryIO, progress: Progress | None) -> tuple[BlobRef, Path | None]:
        """Stores the stream; returns its ref and the folder to fsync (``None`` on dedup)."""
        tmp = self._tmp / f"{uuid.uuid4().hex}.part"
        # Mode 0o444: blobs are immutable. The descriptor is writable anyway,
        # as permissions are only checked when a file is opened.
        fd = _create(tmp, 0o444)
        try:
            try:
                ref = copy_hashing(fileobj, write_flushing_behind(fd), progress=progress)
                if self._has_intact(ref):
                    # Dedup. Touching the blob tells `gc` it was just wanted again.
                    _touch(self.path(ref.digest))
                    return ref, None
                os.fsync(fd)
            finally:
                os.close(fd)
            final = self.path(ref.digest)
            try:
                os.replace(tmp, final)
            except FileNotFoundError:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            return ref, final.parent
        finally:
            tmp.unlink(missing_ok=True)

    def adopt(self, path: str | os.PathLike[str], ref: BlobRef) -> None:
        """Moves a finished upload into place as blob ``ref`` (a rename, no copy).

        ``path`` must be on this store's filesystem, fsynced, and already
        checked to hold exactly ``ref``'s bytes; it is gone afterwards. When
        the store holds the blob intact already, ``path`` is just removed.
        """
        if self._has_intact(ref):
            _touch(self.path(ref.digest))
            os.unlink(path)
            return
        os.chmod(path, 0o444)
        final = self.path(ref.digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, final)
        _fsync_dir(final.parent)

    def _has_intact(self, ref: BlobRef) -> bool:
        # A wrong size means a damaged blob; the fresh upload replaces it.
        try:
            return os.stat(self.path(ref.digest)).st_size == ref.size
        except FileNotFoundError:
            return False

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def remove_abandoned_uploads(
        self, idle_seconds: float, *, dry_run: bool = False
    ) -> list[AbandonedUpload]:
        """The temporary files in ``tmp/`` of uploads whose writer died (see
        :meth:`BlobStore.remove_abandoned_uploads`); chunked uploads' folders in
        ``tmp/uploads/`` are their staging's (``UploadStaging.remove_abandoned``)."""
        found: list[AbandonedUpload] = []
        now = time.time()
        try:
            entries = list(os.scandir(self._tmp))
        except FileNotFoundError:
            return found
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            if now - st.st_mtime < idle_seconds:
                continue
            if not dry_run:
                Path(entry.path).unlink(missing_ok=True)
            found.append(AbandonedUpload(entry.path, st.st_blocks * 512, now - st.st_mtime))
        return found

    # -- reading ---------------------------------------------------------------

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int:
        try:
            return os.stat(self.path(digest)).st_size
        except FileNotFoundError:
            raise _not_found(digest) from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb", buffering=0)
        except FileNotFoundError:
            raise _not_found(digest) from None

    def iter_digests(self) -> Iterator[str]:
        try:
            shards = sorted(os.scandir(self.root / "blobs"), key=lambda e: e.name)
        except FileNotFoundError:
            return
        for shard in shards:
            if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(shard.path):
                digest = shard.name + entry.name
                if len(digest) == 64 and set(digest) <= _HEX:
                    yield digest

    def blob_age_seconds(self, digest: str) -> float:
        try:
            return max(0.0, time.time() - os.stat(self.path(check_digest(digest))).st_mtime)
        except FileNotFoundError:
            return float("inf")


def _not_found(digest: str) -> NotFound:
    return NotFound(f"blob {digest} is not in the artifact store")


def _create(path: Path, mode: int) -> int:
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:  # someone else's blob in a shared store: gc's grace period still applies
        pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
