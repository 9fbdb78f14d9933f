"""Streaming copies that hash what they move, and verified writes to a final path.

Hashing SHA-256 (about 1.8 GB/s on one core) is as slow as copying the bytes,
so big copies hash each chunk on a worker thread while the calling thread
writes it and reads the next one; ``hashlib`` and file I/O release the GIL,
so the two overlap. Buffers are reused, so memory stays flat whatever the size.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import stat
import sys
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from modelreg.blobs.refs import BlobRef, Progress
from modelreg.errors import IntegrityError

CHUNK_SIZE = 8 * 1024 * 1024
_FIRST_CHUNK = 64 * 1024
_GROWTH = 4
_MAPPED_BUFFER = 1024 * 1024
_FLUSH_BEHIND = 32 * 1024 * 1024
_WRITEBACK_EVERY = 4 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2
_BUFFERS = 3  # one being read, one being hashed and written, one spare
# Chunk buffers kept for the next copy; a full deque drops the oldest, so at most
# one copy's worth stays allocated between copies.
_big_buffers: deque[mmap.mmap] = deque(maxlen=_BUFFERS)


def size_hint(fileobj: Any) -> int | None:
    """The size of a regular file behind ``fileobj``, or ``None`` (pipes, sockets, streams)."""
    try:
        st = os.fstat(fileobj.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def write_all(fd: int) -> Callable[[memoryview], None]:
    """A writer to file descriptor ``fd`` that loops over short writes."""

    def write(view: memoryview) -> None:
        while view:
            view = view[os.write(fd, view) :]

    return write


def write_flushing_behind(fd: int) -> Callable[[memoryview], None]:
    """Like :func:`write_all`, but starts the disk writes every few MiB without waiting.

    Dirty pages then never pile up (on a busy machine the kernel makes a
    writer with a gigabyte of them pay for reclaim), and a final fsync has
    little left to do, so disk time overlaps hashing instead of following it.
    """
    write = write_all(fd)
    start_writeback = _start_writeback()
    if start_writeback is None:
        return write
    done = flushed = 0

    def write_and_flush(view: memoryview) -> None:
        nonlocal done, flushed
        write(view)
        done += len(view)
        if done - flushed >= _FLUSH_BEHIND:
            start_writeback(fd, flushed, done - flushed, _SYNC_FILE_RANGE_WRITE)
            flushed = done

    return write_and_flush


def write_at(fd: int, offset: int) -> Callable[[memoryview], None]:
    """A writer of consecutive views to ``fd`` from ``offset`` on (``pwrite``, so several
    writers may fill one file at once), starting the writeback every few MiB.

    Views may be small (a request body arrives in pieces of about 64 KiB);
    starting the writeback of each one cost more kernel time than the copy.
    """
    position = flushed = offset
    start_writeback = _start_writeback()

    def write(view: memoryview) -> None:
        nonlocal position, flushed
        while view:
            n = os.pwrite(fd, view, position)
            view = view[n:]
            position += n
        if start_writeback is not None and position - flushed >= _WRITEBACK_EVERY:
            start_writeback(fd, flushed, position - flushed, _SYNC_FILE_RANGE_WRITE)
            flushed = position

    return write


@cache
def _start_writeback() -> Callable[[int, int, int, int], int] | None:
    """Linux's ``sync_file_range``, which Python's ``os`` lacks; ``None`` elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def copy_hashing(
    src: BinaryIO,
    write: Callable[[memoryview], None] | None = None,
    *,
    progress: Progress | None = None,
) -> BlobRef:
    """Reads ``src`` to its end, passing each chunk to ``write``; returns digest and size.

    ``write`` must be done with a chunk when it returns (the buffer is reused).
    """
    hint = size_hint(src)
    # A stream of unknown size starts with a small buffer that grows while reads
    # fill it, so a 4 KiB upload never pays for 8 MiB ones.
    first = _FIRST_CHUNK if hint is None else min(CHUNK_SIZE, hint + 1)
    readinto = getattr(src, "readinto", None) or _readinto_via_read(src)
    hasher = hashlib.sha256()
    spare = [_buffer(max(1, first))]
    hashing: deque[tuple[Future[None], Any]] = deque()
    pool: ThreadPoolExecutor | None = None
    size = 0
    try:
        while True:
            if not spare:
                spare.append(_hashed(hashing))
            buf = spare.pop()
            view = memoryview(buf)[: readinto(buf) or 0]
            if not view:
                spare.append(buf)
                break
            size += len(view)
            if len(view) == CHUNK_SIZE:
                # Full chunks are hashed on a worker while this thread writes and reads on.
                pool = pool or ThreadPoolExecutor(1, thread_name_prefix="modelreg-hash")
                hashing.append((pool.submit(hasher.update, view), buf))
                if len(hashing) + len(spare) < _BUFFERS:
                    spare.append(_buffer(CHUNK_SIZE))
            else:
                while hashing:
                    spare.append(_hashed(hashing))
                hasher.update(view)
                full = len(view) == len(buf)
                spare.append(_buffer(min(len(buf) * _GROWTH, CHUNK_SIZE)) if full else buf)
            if write is not None:
                write(view)
            if progress is not None:
                progress(len(view))
        while hashing:
            spare.append(_hashed(hashing))
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        _big_buffers.extend(b for b in spare if len(b) == CHUNK_SIZE)
    return BlobRef(hasher.hexdigest(), size)


def copy_all(src: BinaryIO, write: Callable[[memoryview], None]) -> int:
    """Reads ``src`` to its end, passing each piece to ``write``; returns the byte count.

    For bytes whose digest is checked elsewhere (a chunk of an upload whose
    whole blob is hashed when it completes). ``write`` must be done with a
    piece when it returns (the buffer is reused). A ``src`` with
    ``read_view(n)`` (the next at most ``n`` bytes received, as a view; empty
    at the end) hands its pieces over without a copy.
    """
    size = 0
    read_view = getattr(src, "read_view", None)
    if read_view is not None:
        # Pieces written as they were received, while still in the CPU's cache:
        # copying them into a buffer first cost more than the disk write.
        while view := read_view(CHUNK_SIZE):
            write(view)
            size += len(view)
        return size
    readinto = getattr(src, "readinto", None) or _readinto_via_read(src)
    buf = _buffer(CHUNK_SIZE)
    try:
        while n := readinto(buf) or 0:
            write(memoryview(buf)[:n])
            size += n
    finally:
        _big_buffers.append(buf)
    return size


def _hashed(hashing: deque[tuple[Future[None], Any]]) -> Any:
    """Waits for the oldest chunk's hashing to finish; returns its buffer, free again."""
    future, buf = hashing.popleft()
    future.result()
    return buf


def _buffer(size: int) -> Any:
    """A writable buffer of ``size`` bytes.

    Big ones are anonymous memory maps, which go back to the OS when dropped
    (malloc would keep freed ones in each thread's arena, so a server's RSS
    grew with every upload thread). Chunk-sized ones are reused, since first
    touching a fresh map costs a tenth of a large copy's time.
    """
    if size < _MAPPED_BUFFER:
        return bytearray(size)
    if size == CHUNK_SIZE:
        try:
            return _big_buffers.pop()
        except IndexError:
            pass
    return mmap.mmap(-1, size)


def _readinto_via_read(src: Any) -> Callable[[Any], int]:
    """``readinto`` for a file object that only has ``read``."""

    def readinto(buf: Any) -> int:
        data = src.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    return readinto


class LimitedReader(io.RawIOBase):
    """The next ``size`` bytes of ``src`` at most; ``left`` counts those not read yet."""

    def __init__(self, src: Any, size: int) -> None:
        super().__init__()
        self._src = src
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.left <= 0:
            return 0
        view = memoryview(buffer).cast("B")[: self.left]
        n = self._src.readinto(view) or 0
        self.left -= n
        return n

    def __getattr__(self, name: str) -> Any:
        if name == "read_view" and hasattr(self._src, "read_view"):
            return self._read_view
        raise AttributeError(name)

    def _read_view(self, n: int) -> memoryview:
        view: memoryview = (
            self._src.read_view(min(n, self.left)) if self.left > 0 else memoryview(b"")
        )
        self.left -= len(view)
        return view


def temp_path_next_to(path: Path) -> Path:
    """A fresh hidden name in ``path``'s folder, so the final rename stays on one filesystem."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")


def write_verified(
    src: BinaryIO,
    dst_path: str | os.PathLike[str],
    digest: str,
    *,
    progress: Progress | None = None,
    what: str | None = None,
) -> None:
    """Copies ``src`` to ``dst_path`` if and only if its bytes hash to ``digest``.

    The bytes go to a temporary name first and are renamed into place once
    verified, so ``dst_path`` never holds a partial or wrong file. Raises
    ``IntegrityError`` naming ``what`` (default: the destination) on mismatch.
    """
    dst = Path(dst_path)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_next_to(dst)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            ref = copy_hashing(src, write_flushing_behind(fd), progress=progress)
        finally:
            os.close(fd)
        check_matches(ref.digest, digest, what or str(dst))
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_matches(actual: str, expected: str, what: str) -> None:
    """Raises ``IntegrityError`` naming ``what`` unless the two digests are equal."""
    if actual != expected:
        raise IntegrityError(
            f"{what} is corrupt: its bytes hash to sha256 {actual}, not the recorded {expected}",
            details={"expected": expected, "actual": actual, "file": what},
        )


def hash_file(path: str | os.PathLike[str]) -> BlobRef:
    """Digest and size of a local file, read in chunks."""
    with open(path, "rb", buffering=0) as f:
        return copy_hashing(f)
