"""What every blob store does, on a local folder and on S3 (moto's server)."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from modelreg.blobs import BlobRef, BlobStore, open_blob_store
from modelreg.blobs.local import LocalBlobStore
from modelreg.blobs.s3 import S3BlobStore
from modelreg.errors import IntegrityError, InvalidArgument, NotFound


@pytest.fixture(params=[pytest.param("local", id="local"), pytest.param("s3", id="s3")])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return open_blob_store(str(tmp_path / "artifacts"))
    return open_blob_store(request.getfixturevalue("s3_uri"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def corrupt(store: BlobStore, digest: str, data: bytes) -> None:
    """Replaces a stored blob's bytes behind the store's back."""
    if isinstance(store, LocalBlobStore):
        path = store.path(digest)
        path.chmod(0o644)
        path.write_bytes(data)
    else:
        assert isinstance(store, S3BlobStore)
        store.client.put_object(Bucket=store.bucket, Key=store.key(digest), Body=data)


def test_put_file_returns_sha256_and_size(store: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "weights.bin"
    src.write_bytes(b"\x00\x01" * 1000)
    assert store.put_file(src) == BlobRef(sha256(b"\x00\x01" * 1000), 2000)


def test_get_file_writes_the_same_bytes(store: BlobStore, tmp_path: Path) -> None:
    ref = store.put_bytes(b"hello blob")
    store.get_file(ref.digest, tmp_path / "out" / "copy.txt")
    assert (tmp_path / "out" / "copy.txt").read_bytes() == b"hello blob"


def test_put_stream_reads_a_stream_without_a_file_behind_it(store: BlobStore) -> None:
    data = bytes(range(256)) * 40_000  # 10 MiB: more than one chunk
    ref = store.put_stream(io.BufferedReader(io.BytesIO(data)))  # type: ignore[arg-type]
    assert ref == BlobRef(sha256(data), len(data))
    with store.open(ref.digest) as f:
        assert f.read() == data


def test_empty_blob_round_trips(store: BlobStore, tmp_path: Path) -> None:
    ref = store.put_bytes(b"")
    store.get_file(ref.digest, tmp_path / "empty")
    assert ref.size == 0 and (tmp_path / "empty").read_bytes() == b""


def test_identical_content_is_stored_once(store: BlobStore, tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"same bytes")
    (tmp_path / "b").write_bytes(b"same bytes")
    store.put_file(tmp_path / "a")
    store.put_file(tmp_path / "b")
    store.put_bytes(b"same bytes")
    assert list(store.iter_digests()) == [sha256(b"same bytes")]


def test_put_files_returns_refs_in_order(store: BlobStore, tmp_path: Path) -> None:
    paths = []
    for i, data in enumerate([b"a", b"b", b"a", b"c" * 100]):
        paths.append(tmp_path / f"f{i}")
        paths[-1].write_bytes(data)
    refs = store.put_files(paths, threads=3)
    assert refs == [BlobRef(sha256(p.read_bytes()), p.stat().st_size) for p in paths]
    assert sorted(store.iter_digests()) == sorted({r.digest for r in refs})


def test_exists_and_size_describe_a_stored_blob(store: BlobStore) -> None:
    ref = store.put_bytes(b"12345")
    assert store.exists(ref.digest) and store.size(ref.digest) == 5
    assert not store.exists(sha256(b"other"))


def test_missing_blob_raises_not_found_and_leaves_no_file(store: BlobStore, tmp_path: Path) -> None:
    missing = sha256(b"never stored")
    with pytest.raises(NotFound, match=missing):
        store.get_file(missing, tmp_path / "out.bin")
    with pytest.raises(NotFound):
        store.size(missing)
    assert not (tmp_path / "out.bin").exists()


def test_corrupt_blob_raises_integrity_error_naming_the_file(
    store: BlobStore, tmp_path: Path
) -> None:
    ref = store.put_bytes(b"original")
    corrupt(store, ref.digest, b"tampered")
    with pytest.raises(IntegrityError, match="model.skops") as exc:
        store.get_file(ref.digest, tmp_path / "model.skops", what="artifact 'model.skops'")
    assert ref.digest in str(exc.value)
    assert not [p for p in tmp_path.iterdir() if "model.skops" in p.name]  # no partial file


def test_corrupt_download_keeps_an_existing_destination(store: BlobStore, tmp_path: Path) -> None:
    ref = store.put_bytes(b"original")
    corrupt(store, ref.digest, b"tampered")
    dst = tmp_path / "keep.txt"
    dst.write_bytes(b"previous content")
    with pytest.raises(IntegrityError):
        store.get_file(ref.digest, dst)
    assert dst.read_bytes() == b"previous content"


def test_verify_tells_intact_from_corrupt_blobs(store: BlobStore) -> None:
    good = store.put_bytes(b"good")
    bad = store.put_bytes(b"bad")
    corrupt(store, bad.digest, b"worse")
    assert store.verify(good.digest) and not store.verify(bad.digest)


def test_delete_removes_only_that_blob(store: BlobStore) -> None:
    keep = store.put_bytes(b"keep")
    drop = store.put_bytes(b"drop")
    store.delete(drop.digest)
    store.delete(drop.digest)  # deleting twice is fine
    assert list(store.iter_digests()) == [keep.digest]


@pytest.mark.parametrize("digest", ["../../etc/passwd", "ABC", "a" * 63, "A" * 64, "g" * 64])
def test_malformed_digest_is_refused(store: BlobStore, digest: str) -> None:
    with pytest.raises(InvalidArgument, match="digest"):
        store.open(digest)


def test_progress_reports_every_byte(store: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "data.bin"
    src.write_bytes(b"x" * 3_000_000)
    moved: list[int] = []
    ref = store.put_file(src, progress=moved.append)
    store.get_file(ref.digest, tmp_path / "back.bin", progress=moved.append)
    assert sum(moved) == 6_000_000


def test_open_blob_store_picks_the_backend_by_uri(tmp_path: Path) -> None:
    assert isinstance(open_blob_store(str(tmp_path)), LocalBlobStore)
    local = open_blob_store(f"file://{tmp_path}/with%20space")
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "with space"
    s3 = open_blob_store("s3://bucket/some/prefix/")
    assert isinstance(s3, S3BlobStore) and (s3.bucket, s3.prefix) == ("bucket", "some/prefix")


@pytest.mark.parametrize("uri", ["http://host/x", "gs://bucket/x", "s3://"])
def test_open_blob_store_refuses_unknown_uris(uri: str) -> None:
    with pytest.raises(InvalidArgument, match="URI"):
        open_blob_store(uri)


_UPLOAD_FROM_STDIN = """
import sys
from modelreg.blobs import open_blob_store
open_blob_store(sys.argv[1]).put_stream(sys.stdin.buffer)
"""


def test_killed_upload_leaves_no_visible_blob(store: BlobStore, tmp_path: Path) -> None:
    spool = tmp_path / "spool"  # where the S3 store stages streams
    spool.mkdir()
    staging = [spool, store.root / "tmp"] if isinstance(store, LocalBlobStore) else [spool]
    proc = subprocess.Popen(
        [sys.executable, "-c", _UPLOAD_FROM_STDIN, store.uri],
        stdin=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(spool)},
    )
    try:
        assert proc.stdin is not None
        for _ in range(24):  # 24 MiB into a pipe that is never closed
            proc.stdin.write(os.urandom(1 << 20))
        proc.stdin.flush()
        wait_for(lambda: staged_bytes(staging) >= 8 << 20)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert list(store.iter_digests()) == []


def staged_bytes(folders: list[Path]) -> int:
    return sum(p.stat().st_size for folder in folders if folder.exists() for p in folder.iterdir())


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_work_spread_over_threads_sees_who_is_acting():
    import threading

    from modelreg.actor import acting_as, current_actor
    from modelreg.blobs.base import map_in_threads

    def who(_item: int) -> tuple[str, str]:
        time.sleep(0.01)  # so the calls overlap on several threads
        return current_actor(), threading.current_thread().name

    with acting_as("alice"):
        seen = map_in_threads(who, list(range(8)), threads=4)

    assert {actor for actor, _ in seen} == {"alice"}
    assert len({thread for _, thread in seen}) > 1
