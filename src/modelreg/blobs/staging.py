"""Resumable uploads of big blobs in chunks, staged in a local folder until complete.

A client that wants to send a big file in pieces first declares it: the
blob's digest and size, a chunk size, and the SHA-256 of every chunk. The
declaration names a staging folder (``<uploads>/<upload id>/``) holding a
sparse ``data`` file of the blob's size and one marker file per chunk
received. Chunks may arrive in any order and in parallel (each is written at
its offset with ``pwrite``); one is marked received only once exactly its
length arrived, so an interrupted chunk is simply sent again. Declaring the
same upload again (after a killed client, a dropped connection or a
restarted server) answers which chunks are already there, so only the others
are sent.

A received chunk's bytes never change: a chunk is written by one request at
a time (each holds the chunk's claim, a ``flock`` on ``claims/<index>``),
and one sent again once marked is read and dropped. Chunk writers also hold
the folder's ``lock`` shared while ``data`` is open; completion takes it
exclusively to rename ``data`` away first, so no byte can land in the file
after it is hashed (or in the stored blob after a rename).

The blob's digest is checked on every byte, whatever the chunks claimed: the
whole ``data`` file is hashed, while chunks arrive, by a follower thread
(``blobs.upload_hasher``), or by completion itself when no follower finished.
Only then is the file fsynced and handed to the blob store (a rename on a
local store), so no reader ever sees a partial blob. Chunks are not hashed
one by one as they arrive: that pass would only repeat the whole-blob one.
When the whole digest does not match, each chunk is hashed against its
declared digest and the damaged ones are unmarked and named, to be sent
again. ``modelreg gc`` removes staging folders nobody touched for
``RESUME_SECONDS`` (:meth:`UploadStaging.remove_abandoned`).

The upload id is derived from the owner and the declaration, so a user can
reach only their own uploads, and declaring twice finds the same folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from modelreg.blobs import upload_hasher
from modelreg.blobs.base import BlobStore, check_digest
from modelreg.blobs.refs import AbandonedUpload, BlobRef
from modelreg.blobs.streams import LimitedReader, copy_all, copy_hashing, write_at
from modelreg.errors import Conflict, InvalidArgument, NotFound

MIN_CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 512 * 1024 * 1024
MAX_CHUNKS = 10_000
RESUME_SECONDS = 24 * 3600
"""How long ``gc`` keeps an interrupted chunked upload, so it can be resumed."""
IN_FLIGHT_WAIT_S = 30.0
"""How long completion waits for chunks still being written, or for another request
completing the same upload, before answering 409."""


@dataclass(frozen=True)
class UploadPlan:
    """What a client declared: the blob, how it is cut, and who sends it."""

    owner: str
    digest: str
    size: int
    chunk_size: int
    chunks: tuple[str, ...]

    @property
    def upload_id(self) -> str:
        """A name derived from every field, so one declaration always finds one folder."""
        text = "\n".join([self.owner, self.digest, str(self.size), str(self.chunk_size)])
        return hashlib.sha256((text + "\n" + "".join(self.chunks)).encode()).hexdigest()[:32]

    def span(self, index: int) -> tuple[int, int]:
        """The offset and length of chunk ``index``."""
        if not 0 <= index < len(self.chunks):
            raise NotFound(f"upload has no chunk {index}; it has {len(self.chunks)}")
        offset = index * self.chunk_size
        return offset, min(self.chunk_size, self.size - offset)

    def check(self) -> UploadPlan:
        """Itself, when the declaration is consistent; raises ``InvalidArgument`` otherwise."""
        check_digest(self.digest)
        for chunk in self.chunks:
            check_digest(chunk)
        if not MIN_CHUNK_SIZE <= self.chunk_size <= MAX_CHUNK_SIZE:
            raise InvalidArgument(
                f"chunk_size {self.chunk_size} is not between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE}"
            )
        expected = max(1, -(-self.size // self.chunk_size))
        if self.size < 1 or len(self.chunks) != expected or expected > MAX_CHUNKS:
            raise InvalidArgument(
                f"a blob of {self.size} bytes in chunks of {self.chunk_size} has {expected} "
                f"chunks (at most {MAX_CHUNKS}), not {len(self.chunks)}"
            )
        return self


class UploadStaging:
    """Chunked uploads staged under ``root`` (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @classmethod
    def for_store(cls, store: BlobStore) -> UploadStaging:
        """Staging next to a local store's blobs (so completion is a rename), else in the
        temporary folder: replicas in front of S3 then need sticky sessions or direct uploads."""
        root = getattr(store, "root", None)
        if root is not None:
            return cls(Path(root) / "tmp" / "uploads")
        name = hashlib.sha256(store.uri.encode()).hexdigest()[:16]
        return cls(Path(tempfile.gettempdir()) / "modelreg-uploads" / name)

    def _folder(self, upload_id: str) -> Path:
        if len(upload_id) != 32 or not all(c in "0123456789abcdef" for c in upload_id):
            raise NotFound(f"no upload '{upload_id[:40]}'")
        return self.root / upload_id

    # -- declaring ---------------------------------------------------------------

    def begin(self, plan: UploadPlan) -> tuple[str, list[int]]:
        """Creates (or finds again) the upload; returns its id and the chunks already received."""
        plan.check()
        folder = self.root / plan.upload_id
        (folder / "done").mkdir(parents=True, exist_ok=True)
        data = folder / "data"
        if not data.exists():
            fd = os.open(data, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.ftruncate(fd, plan.size)  # sparse: disk is used as chunks arrive
            finally:
                os.close(fd)
        plan_file = folder / "plan.json"
        if not plan_file.exists():
            tmp = folder / f".plan.{uuid.uuid4().hex}"
            tmp.write_text(json.dumps(asdict(plan)))
            os.replace(tmp, plan_file)
        return plan.upload_id, self.received(plan.upload_id, plan.owner)

    def plan(self, upload_id: str, owner: str) -> UploadPlan:
        """The declaration of ``owner``'s upload ``upload_id``; ``NotFound`` for anyone else."""
        try:
            raw: dict[str, Any] = json.loads((self._folder(upload_id) / "plan.json").read_text())
        except FileNotFoundError:
            raise NotFound(f"no upload '{upload_id}'; declare it again") from None
        plan = UploadPlan(**(raw | {"chunks": tuple(raw["chunks"])}))
        if plan.owner != owner:
            raise NotFound(f"no upload '{upload_id}'; declare it again")
        return plan

    def received(self, upload_id: str, owner: str) -> list[int]:
        """The indexes of the chunks received whole and checked, in order."""
        self.plan(upload_id, owner)
        try:
            names = os.listdir(self._folder(upload_id) / "done")
        except FileNotFoundError:
            return []
        return sorted(int(n) for n in names if n.isdigit())

    # -- receiving ---------------------------------------------------------------

    def put_chunk(self, plan: UploadPlan, index: int, body: BinaryIO) -> None:
        """Writes chunk ``index`` from ``body`` at its offset and marks it received.

        Raises ``InvalidArgument`` (and marks nothing) when the body is not
        exactly the chunk's length. Its bytes are checked by :meth:`complete`.
        A chunk already received keeps its bytes: the body is read and dropped.
        Two requests for one chunk take turns (``Conflict`` after
        ``IN_FLIGHT_WAIT_S``).
        """
        offset, length = plan.span(index)
        folder = self._folder(plan.upload_id)
        marker = folder / "done" / str(index)
        with _claimed(folder, plan.upload_id, index):
            if marker.exists():
                size = copy_all(_limited(body, length), _drop)
            else:
                with _locked(folder, plan.upload_id, fcntl.LOCK_SH):
                    try:
                        fd = os.open(folder / "data", os.O_WRONLY)
                    except FileNotFoundError:
                        raise NotFound(f"no upload '{plan.upload_id}'; declare it again") from None
                    try:
                        size = copy_all(_limited(body, length), write_at(fd, offset))
                    finally:
                        os.close(fd)
            longer = bool(body.read(1))
            if longer or size != length:
                raise InvalidArgument(
                    f"chunk {index} of the upload has {'more than ' if longer else ''}{size} "
                    f"bytes, not {length}; send it again"
                )
            try:
                marker.touch()
            except FileNotFoundError:  # completed or removed meanwhile
                raise NotFound(f"no upload '{plan.upload_id}'; declare it again") from None
        upload_hasher.follow(folder, plan.size, plan.chunk_size)

    # -- completing --------------------------------------------------------------

    def complete(self, plan: UploadPlan, store: BlobStore) -> BlobRef:
        """Checks the whole blob and stores it; removes the staging folder.

        Raises ``Conflict`` with ``details["missing"]`` (chunk indexes to send
        again) when chunks are missing or the assembled bytes do not hash to
        the declared digest.
        """
        folder = self._folder(plan.upload_id)
        received = set(self.received(plan.upload_id, plan.owner))
        missing = [i for i in range(len(plan.chunks)) if i not in received]
        if missing:
            raise _missing(missing, "chunks not received yet")
        data = self._take_data(folder, plan.upload_id)
        try:
            with (
                open(data, "rb", buffering=0) as f,
                upload_hasher.recorded_digest(folder, f, _follower_wait_s(plan)) as digest,
            ):
                size = os.fstat(f.fileno()).st_size
                ref = copy_hashing(f) if digest is None else BlobRef(digest, size)
                if ref != BlobRef(plan.digest, plan.size):
                    upload_hasher.forget(folder)
                    bad = _damaged_chunks(f, plan)
                    for index in bad:
                        (folder / "done" / str(index)).unlink(missing_ok=True)
                    raise _missing(bad, f"the assembled bytes hash to {ref.digest}")
                os.fsync(f.fileno())
        except BaseException:
            with suppress(OSError):  # back in place for the chunks sent again
                os.replace(data, folder / "data")
            raise
        adopt = getattr(store, "adopt", None)
        if adopt is not None:
            adopt(data, ref)
        else:
            store.put_file(data)
        _discard(folder)
        return ref

    def _take_data(self, folder: Path, upload_id: str) -> Path:
        """Renames the staged file to a name no chunk writer opens, once none has it open.

        Writers hold the folder's lock shared while the file is open, so no
        byte lands after it is hashed (a late write would go into the stored
        blob itself). While another request completes the upload (a retry of
        this one), waits for its outcome: the file back, or the upload gone.
        Raises ``Conflict`` after ``IN_FLIGHT_WAIT_S`` of either, ``NotFound``
        once the upload is gone.
        """
        taken = folder / f"data.{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + IN_FLIGHT_WAIT_S
        while (folder / "plan.json").exists():
            with _locked(folder, upload_id, fcntl.LOCK_EX | fcntl.LOCK_NB, deadline):
                with suppress(FileNotFoundError):
                    os.rename(folder / "data", taken)
                    return taken
            if time.monotonic() > deadline:
                raise Conflict(f"upload '{upload_id}' is being completed by another request")
            time.sleep(0.05)
        raise NotFound(f"no upload '{upload_id}'; declare it again")

    def remove_abandoned(
        self, idle_seconds: float, *, dry_run: bool = False
    ) -> list[AbandonedUpload]:
        """Removes the folders of uploads nobody touched for ``idle_seconds`` and returns
        them (with ``dry_run``, only returns them); ``gc`` keeps them ``RESUME_SECONDS``."""
        found: list[AbandonedUpload] = []
        now = time.time()
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return found
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            touched, taken = _usage(entry.path)
            if now - touched < idle_seconds:
                continue
            if dry_run or _discard(Path(entry.path)):
                found.append(AbandonedUpload(entry.path, taken, now - touched))
        return found

    def abort(self, upload_id: str, owner: str) -> None:
        """Forgets an upload and its bytes."""
        self.plan(upload_id, owner)
        _discard(self._folder(upload_id))


def _usage(folder: str) -> tuple[float, int]:
    """The newest modification time in ``folder`` (itself included) and the bytes its files
    take on disk; files of a live upload come and go while it looks ((0, 0) when gone)."""
    newest, taken = 0.0, 0
    for parent, _, names in os.walk(folder):
        for path in (parent, *(os.path.join(parent, name) for name in names)):
            with suppress(FileNotFoundError):
                st = os.lstat(path)
                newest = max(newest, st.st_mtime)
                taken += st.st_blocks * 512 if path != parent else 0
    return newest, taken


def _discard(folder: Path) -> bool:
    """Removes an upload's folder; whether it was there to remove.

    Renamed away first, so the upload is gone at once for every request, and a
    request or hasher still holding the old path cannot create files in it
    while it is emptied (a late lock file used to leave it half-removed).
    """
    doomed = folder.parent / f".removing-{uuid.uuid4().hex}"
    try:
        os.rename(folder, doomed)
    except FileNotFoundError:
        return False  # completed, aborted or removed by gc meanwhile
    shutil.rmtree(doomed, ignore_errors=True)
    return True


def _follower_wait_s(plan: UploadPlan) -> float:
    """How long completion waits for a follower still hashing: about what hashing the
    whole blob takes on a slow disk, after which hashing it anew is no slower."""
    return IN_FLIGHT_WAIT_S + plan.size / (100 * 1024 * 1024)


@contextmanager
def _claimed(folder: Path, upload_id: str, index: int) -> Iterator[None]:
    """Holds chunk ``index``'s claim for the block: one request writes a chunk at a time."""
    claims = folder / "claims"
    try:
        claims.mkdir(exist_ok=True)
        fd = os.open(claims / str(index), os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        raise NotFound(f"no upload '{upload_id}'; declare it again") from None
    try:
        _flock_until(
            fd,
            fcntl.LOCK_EX | fcntl.LOCK_NB,
            time.monotonic() + IN_FLIGHT_WAIT_S,
            f"chunk {index} of upload '{upload_id}' is being received by another request",
        )
        yield
    finally:
        os.close(fd)


def _drop(view: memoryview) -> None:
    """A writer that keeps nothing (the bytes of a chunk received already)."""


@contextmanager
def _locked(folder: Path, upload_id: str, how: int, deadline: float = 0.0) -> Iterator[None]:
    """Holds the upload's lock (``flock``) for the block: shared by chunk writers,
    exclusive for completion. A non-blocking ``how`` is retried until ``deadline``."""
    try:
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        raise NotFound(f"no upload '{upload_id}'; declare it again") from None
    try:
        _flock_until(
            fd,
            how,
            deadline,
            f"chunks of upload '{upload_id}' are still being received; "
            "complete it once every chunk was answered",
        )
        yield
    finally:
        os.close(fd)  # releases the lock


def _flock_until(fd: int, how: int, deadline: float, busy: str) -> None:
    """``flock(fd, how)``; a non-blocking ``how`` is retried until ``deadline``, then
    raises ``Conflict(busy)``."""
    while True:
        try:
            fcntl.flock(fd, how)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise Conflict(busy) from None
            time.sleep(0.02)


def _missing(indexes: list[int], why: str) -> Conflict:
    shown = ", ".join(map(str, indexes[:20])) + (" …" if len(indexes) > 20 else "")
    return Conflict(
        f"the upload cannot complete: {why}; send chunks {shown} again",
        details={"missing": indexes},
    )


def _damaged_chunks(f: BinaryIO, plan: UploadPlan) -> list[int]:
    """The chunks whose bytes on disk do not hash to their declared digest."""
    bad = []
    for index, expected in enumerate(plan.chunks):
        offset, length = plan.span(index)
        f.seek(offset)
        if copy_hashing(_limited(f, length)).digest != expected:
            bad.append(index)
    return bad


def _limited(src: BinaryIO, size: int) -> BinaryIO:
    return cast(BinaryIO, LimitedReader(src, size))
