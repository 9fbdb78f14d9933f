"""The local folder blob store: layout, staging, read-only blobs, flat memory."""

from __future__ import annotations

import hashlib
import io
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from modelreg.blobs.local import LocalBlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "artifacts")


def test_blobs_are_laid_out_by_the_first_two_hex_digits(store: LocalBlobStore) -> None:
    ref = store.put_bytes(b"layout")
    digest = hashlib.sha256(b"layout").hexdigest()
    assert (store.root / "blobs" / digest[:2] / digest[2:]).read_bytes() == b"layout"
    assert ref.digest == digest


def test_blob_files_are_read_only(store: LocalBlobStore) -> None:
    ref = store.put_bytes(b"immutable")
    assert store.path(ref.digest).stat().st_mode & 0o222 == 0


def test_a_finished_upload_leaves_nothing_in_staging(store: LocalBlobStore) -> None:
    store.put_bytes(b"one")
    store.put_bytes(b"one")  # the deduplicated second copy is discarded too
    assert list((store.root / "tmp").iterdir()) == []


def test_a_truncated_blob_is_repaired_by_uploading_it_again(store: LocalBlobStore) -> None:
    ref = store.put_bytes(b"complete content")
    path = store.path(ref.digest)
    path.chmod(0o644)
    path.write_bytes(b"compl")
    store.put_bytes(b"complete content")
    assert path.read_bytes() == b"complete content"


def test_reuploading_a_blob_refreshes_its_age(store: LocalBlobStore) -> None:
    ref = store.put_bytes(b"old")
    an_hour_ago = time.time() - 3600
    os.utime(store.path(ref.digest), (an_hour_ago, an_hour_ago))
    store.put_bytes(b"old")
    assert store.blob_age_seconds(ref.digest) < 60


def test_abandoned_temporary_files_are_removed_and_live_ones_kept(store: LocalBlobStore) -> None:
    tmp = store.root / "tmp"
    tmp.mkdir(parents=True)
    (tmp / "crashed.part").write_bytes(b"half" * 4096)
    (tmp / "running.part").write_bytes(b"half")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(tmp / "crashed.part", (two_hours_ago, two_hours_ago))

    listed = store.remove_abandoned_uploads(3600, dry_run=True)
    assert (tmp / "crashed.part").exists()
    removed = store.remove_abandoned_uploads(3600)

    assert [(u.where, u.size >= 16384) for u in removed] == [(str(tmp / "crashed.part"), True)]
    assert [u.where for u in listed] == [u.where for u in removed]
    assert removed[0].idle_seconds >= 2 * 3600
    assert [p.name for p in tmp.iterdir()] == ["running.part"]


def test_iter_digests_ignores_foreign_files(store: LocalBlobStore) -> None:
    ref = store.put_bytes(b"real")
    (store.root / "blobs" / "README").write_text("not a blob")
    (store.path(ref.digest).parent / ".DS_Store").write_text("not a blob")
    (store.root / "tmp" / "x.part").write_text("not a blob")
    assert list(store.iter_digests()) == [ref.digest]


def test_a_large_file_streams_with_flat_memory(store: LocalBlobStore, tmp_path: Path) -> None:
    size = 96 << 20
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            f.write(block)
    tracemalloc.start()
    try:
        ref = store.put_file(src)
        store.get_file(ref.digest, tmp_path / "back.bin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ref.size == size and (tmp_path / "back.bin").stat().st_size == size
    assert peak < size / 3, f"peak traced memory {peak >> 20} MiB for a {size >> 20} MiB file"


def test_a_stream_without_a_size_also_streams_with_flat_memory(store: LocalBlobStore) -> None:
    class Endless(io.RawIOBase):
        """64 MiB of bytes produced on the fly, like a socket."""

        def __init__(self) -> None:
            self.left = 64 << 20

        def readable(self) -> bool:
            return True

        def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
            n = min(len(buf), self.left, 1 << 20)
            buf[:n] = b"z" * n
            self.left -= n
            return n

    tracemalloc.start()
    try:
        ref = store.put_stream(Endless())  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ref.size == 64 << 20
    assert peak < 32 << 20
