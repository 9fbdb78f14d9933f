"""Hashing a chunked upload while its chunks arrive, so completing it need not read it again.

Completing an upload checks the whole blob against its digest. Hashing the
staged file only then made the client wait one more full read and SHA-256
pass (about a second per GiB) after its last chunk. Instead, the server
process that receives a chunk starts a *follower*: a thread that hashes the
staged file from its start, one chunk after the other, each as soon as it is
marked received, and records the digest in the upload's folder. Completion
then finds the digest ready, or waits only for the tail.

Why the recorded digest can be trusted: a chunk is written only by a request
holding its claim and only while it is not marked received
(``UploadStaging.put_chunk``), so the bytes of a marked chunk never change;
the follower reads a chunk only once it is marked. The record names the
staged file (device and inode) it was computed from, and completion uses it
only for that file.

One follower runs per upload, whatever the number of server processes: it
holds the folder's ``hashing`` lock (``flock``) while it works, and
completion takes that lock before reading the record, so it waits for a
follower still at work. A follower gives up (recording nothing) when no new
chunk arrives for :data:`FOLLOW_IDLE_S` or the upload goes away; completion
then hashes the file itself, as it does when the follower's process died.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import mmap
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

FOLLOW_IDLE_S = 60.0
"""How long a follower waits for the next chunk before it gives up."""
_POLL_S = 0.01
_WINDOW = 8 * 1024 * 1024
_HASHED = "hashed"
_LOCK = "hashing"

_following: set[Path] = set()  # upload folders this process has a follower for
_following_guard = threading.Lock()


def follow(folder: Path, size: int, chunk_size: int) -> None:
    """Makes sure an upload's staged file (``size`` bytes in chunks of ``chunk_size``)
    is being hashed as its chunks arrive.

    Returns at once; does nothing when this process follows the upload already.
    """
    with _following_guard:
        if folder in _following:
            return
        _following.add(folder)
    threading.Thread(
        target=_follow,
        args=(folder, size, chunk_size),
        name=f"modelreg-upload-hash-{folder.name}",
        daemon=True,
    ).start()


def _follow(folder: Path, size: int, chunk_size: int) -> None:
    try:
        with _hashing_lock(folder, wait_s=0.0) as held:
            if held:
                _hash_as_received(folder, size, chunk_size)
    except OSError:
        pass  # the upload went away (completed or aborted): nothing to record
    finally:
        with _following_guard:
            _following.discard(folder)


def _hash_as_received(folder: Path, size: int, chunk_size: int) -> None:
    hasher = hashlib.sha256()
    with open(folder / "data", "rb", buffering=0) as f:
        if os.fstat(f.fileno()).st_size != size:
            return  # completion's own check says what is wrong
        for index, offset in enumerate(range(0, size, chunk_size)):
            if not _wait_for_chunk(folder, index):
                return
            end = min(offset + chunk_size, size)
            for start in range(offset, end, _WINDOW):
                _hash_mapped(hasher, f.fileno(), start, min(_WINDOW, end - start))
        _record(folder, f, hasher.hexdigest())


def _hash_mapped(hasher: Any, fd: int, start: int, length: int) -> None:
    """Hashes ``length`` bytes of ``fd`` from ``start`` where the page cache holds them
    (reading them into a buffer first cost as much again); a map starts on the page
    grid and spans at most a window, so memory stays flat whatever the chunk size."""
    skip = start % mmap.ALLOCATIONGRANULARITY
    with (
        mmap.mmap(fd, skip + length, access=mmap.ACCESS_READ, offset=start - skip) as mapped,
        memoryview(mapped) as view,
    ):
        hasher.update(view[skip:])


def _wait_for_chunk(folder: Path, index: int) -> bool:
    """Whether chunk ``index`` is marked received before the follower gives up."""
    marker = folder / "done" / str(index)
    waiting_since = time.monotonic()
    while not marker.exists():
        if time.monotonic() - waiting_since > FOLLOW_IDLE_S or not (folder / "plan.json").exists():
            return False
        time.sleep(_POLL_S)
    return True


def _record(folder: Path, f: BinaryIO, digest: str) -> None:
    st = os.fstat(f.fileno())
    text = json.dumps({"digest": digest, "device": st.st_dev, "inode": st.st_ino})
    tmp = folder / f".{_HASHED}.{threading.get_ident()}"
    tmp.write_text(text)
    os.replace(tmp, folder / _HASHED)


@contextmanager
def recorded_digest(folder: Path, f: BinaryIO, wait_s: float) -> Iterator[str | None]:
    """The digest a follower recorded for the staged file open as ``f``, else ``None``.

    Waits up to ``wait_s`` for a follower still at work, and keeps any other
    from starting for the block; a record that does not name ``f``'s file is
    ignored. Call :func:`forget` in the block when the file is to change.
    """
    with _hashing_lock(folder, wait_s) as held:
        if not held:  # a follower still at work: hashing anew is no slower than waiting
            yield None
            return
        try:
            record = json.loads((folder / _HASHED).read_text())
        except (OSError, ValueError):
            yield None
            return
        st = os.fstat(f.fileno())
        if (record.get("device"), record.get("inode")) != (st.st_dev, st.st_ino):
            yield None
            return
        yield record.get("digest")


def forget(folder: Path) -> None:
    """Drops the recorded digest (chunks are about to be sent again)."""
    with suppress(FileNotFoundError):
        os.unlink(folder / _HASHED)


@contextmanager
def _hashing_lock(folder: Path, wait_s: float) -> Iterator[bool]:
    """Holds the upload's ``hashing`` lock for the block, trying for up to ``wait_s``;
    yields whether it is held (the block runs either way)."""
    fd = os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    held = False
                    break
                time.sleep(_POLL_S)
        yield held
    finally:
        os.close(fd)  # releases the lock
