"""Artifact bytes stay right: dedup, verified downloads, crash safety, gc, verify, cache.

Every test runs on SQLite and PostgreSQL, each with a local folder and with S3.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from artifact_fixtures import blob_store, corrupt_blob
from modelreg.blobs import BlobRef
from modelreg.blobs.local import LocalBlobStore
from modelreg.blobs.s3 import S3BlobStore
from modelreg.errors import IntegrityError, InvalidArgument


@pytest.fixture
def client(embedded_uri: str):
    import modelreg

    return modelreg.Client(embedded_uri)


@pytest.fixture
def run_id(client) -> str:
    return client.create_run("0").info.run_id


def digest_of(client, run_id: str, path: str) -> str:
    return client._backend.artifacts.manifest(run_id)[path].digest


def test_identical_files_are_stored_once(client, run_id, tmp_path: Path) -> None:
    other_run = client.create_run("0").info.run_id
    (tmp_path / "w.bin").write_bytes(b"weights" * 1000)
    client.log_artifact(run_id, tmp_path / "w.bin")
    client.log_artifact(run_id, tmp_path / "w.bin", artifact_path="copy")
    client.log_artifact(other_run, tmp_path / "w.bin")
    client.log_text(run_id, "different", "notes.txt")
    assert len(list(blob_store(client).iter_digests())) == 2


def test_a_corrupt_blob_fails_the_download_naming_the_artifact(
    client, run_id, tmp_path: Path
) -> None:
    client.log_text(run_id, "the real model", "model/model.skops")
    corrupt_blob(blob_store(client), digest_of(client, run_id, "model/model.skops"), b"evil")
    with pytest.raises(IntegrityError, match=f"artifact 'model/model.skops' of run {run_id}"):
        client.download_artifacts(run_id, "model", tmp_path / "out")
    assert not (tmp_path / "out" / "model" / "model.skops").exists()


def test_a_corrupt_blob_fails_the_download_of_a_model_version(
    client, run_id, tmp_path: Path
) -> None:
    client.log_text(run_id, "weights", "model/w.bin")
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    corrupt_blob(blob_store(client), digest_of(client, run_id, "model/w.bin"), b"evil")
    with pytest.raises(IntegrityError, match="artifact 'w.bin' of model m v1"):
        client.download_artifacts(artifact_uri="models:/m/1", dst_path=tmp_path)


_LOG_ARTIFACT = """
import sys
import modelreg
modelreg.Client(sys.argv[1]).log_artifact(sys.argv[2], sys.argv[3])
"""


def test_a_killed_upload_leaves_no_blob_and_no_manifest_entry(
    client, run_id, embedded_uri: str, tmp_path: Path
) -> None:
    fifo = tmp_path / "endless.bin"
    os.mkfifo(fifo)
    spool = tmp_path / "spool"  # where the S3 store stages a stream
    spool.mkdir()
    store = blob_store(client)
    staging = [spool, store.root / "tmp"] if isinstance(store, LocalBlobStore) else [spool]
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOG_ARTIFACT, embedded_uri, run_id, str(fifo)],
        env={**os.environ, "TMPDIR": str(spool)},
    )
    try:
        writer = open_writer_when_read(fifo, proc)
        for _ in range(24):  # 24 MiB into a pipe that is never closed
            writer.write(os.urandom(1 << 20))
        writer.flush()
        wait_for(lambda: staged_bytes(staging) >= 8 << 20)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert list(store.iter_digests()) == []
    assert client._backend.artifacts.manifest(run_id) == {}
    assert client.list_artifacts(run_id) == []


def open_writer_when_read(fifo: Path, proc: subprocess.Popen[bytes]) -> BinaryIO:
    """Opens the FIFO for writing once the child has opened it for reading."""
    deadline = time.monotonic() + 30
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or proc.poll() is not None:
                raise
            assert time.monotonic() < deadline, "the child never opened the FIFO"
            time.sleep(0.02)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "wb")


def staged_bytes(folders: list[Path]) -> int:
    return sum(p.stat().st_size for folder in folders if folder.exists() for p in folder.iterdir())


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_recording_a_blob_that_was_never_uploaded_is_refused(client, run_id) -> None:
    ghost = BlobRef("0" * 64, 3)
    with pytest.raises(InvalidArgument, match="never uploaded"):
        client._backend.artifacts.record_artifacts(run_id, {"a.txt": ghost})
    assert client.list_artifacts(run_id) == []


def test_recording_a_blob_with_the_wrong_size_is_refused(client, run_id) -> None:
    real = blob_store(client).put_bytes(b"12345")
    with pytest.raises(InvalidArgument, match="has 5"):
        client._backend.artifacts.record_artifacts(run_id, {"a.txt": BlobRef(real.digest, 4)})


def test_recorded_blobs_become_artifacts(client, run_id, tmp_path: Path) -> None:
    ref = blob_store(client).put_bytes(b"uploaded first")
    client._backend.artifacts.record_artifacts(run_id, {"dir/a.txt": ref})
    assert client._backend.artifacts.manifest(run_id, "dir") == {"dir/a.txt": ref}


# -- gc and verify ---------------------------------------------------------------


def test_gc_dry_run_lists_unreferenced_blobs_and_deletes_nothing(client, run_id) -> None:
    client.log_text(run_id, "v1", "a.txt")
    orphan = digest_of(client, run_id, "a.txt")
    client.log_text(run_id, "v2", "a.txt")  # the v1 blob is now unreferenced
    assert client._backend.artifacts.gc(dry_run=True, grace_seconds=0) == [orphan]
    assert len(list(blob_store(client).iter_digests())) == 2


def test_gc_deletes_only_unreferenced_blobs(client, run_id, tmp_path: Path) -> None:
    client.log_text(run_id, "v1", "a.txt")
    orphan = digest_of(client, run_id, "a.txt")
    client.log_text(run_id, "v2", "a.txt")
    assert client._backend.artifacts.gc(grace_seconds=0) == [orphan]
    assert list(blob_store(client).iter_digests()) == [digest_of(client, run_id, "a.txt")]
    assert Path(client.download_artifacts(run_id, "a.txt", tmp_path)).read_text() == "v2"


def test_gc_keeps_blobs_a_model_version_still_uses(client, run_id, tmp_path: Path) -> None:
    client.log_text(run_id, "registered bytes", "model/w.bin")
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    client.log_text(run_id, "retrained", "model/w.bin")  # the run no longer names the old blob
    assert client._backend.artifacts.gc(grace_seconds=0) == []
    local = client.download_artifacts(artifact_uri="models:/m/1/w.bin", dst_path=tmp_path)
    assert Path(local).read_text() == "registered bytes"


def test_gc_spares_blobs_younger_than_the_grace_period(client, run_id) -> None:
    client.log_text(run_id, "v1", "a.txt")
    client.log_text(run_id, "v2", "a.txt")
    assert client._backend.artifacts.gc() == []


def test_verify_reports_each_blob_checked_in_order_with_the_total(client, run_id) -> None:
    for i in range(5):
        client.log_text(run_id, f"file {i}", f"f{i}.txt")
    heard: list[tuple[int, int]] = []

    assert client._backend.artifacts.verify(lambda *args: heard.append(args)) == []
    assert heard == [(i, 5) for i in range(1, 6)]


def test_verify_reports_corrupt_and_missing_blobs_with_their_users(client, run_id) -> None:
    client.log_text(run_id, "fine", "ok.txt")
    client.log_text(run_id, "rotten", "bad.txt")
    client.log_text(run_id, "gone", "lost.txt")
    store = blob_store(client)
    corrupt_blob(store, digest_of(client, run_id, "bad.txt"), b"r0tten")
    store.delete(digest_of(client, run_id, "lost.txt"))
    problems = {(p.problem, p.used_by) for p in client._backend.artifacts.verify()}
    assert problems == {
        ("corrupt", (f"run {run_id}: bad.txt",)),
        ("missing", (f"run {run_id}: lost.txt",)),
    }


def test_verify_names_the_model_versions_using_a_bad_blob(client, run_id) -> None:
    client.log_text(run_id, "weights", "model/w.bin")
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    corrupt_blob(blob_store(client), digest_of(client, run_id, "model/w.bin"), b"bad")
    [problem] = client._backend.artifacts.verify()
    assert problem.used_by == ("model m v1: w.bin", f"run {run_id}: model/w.bin")


# -- cache -------------------------------------------------------------------------


class CountingS3Store(S3BlobStore):
    """A real S3 store that counts the reads made from it."""

    reads = 0

    def open(self, digest: str) -> BinaryIO:
        self.reads += 1
        return super().open(digest)

    def get_file(self, digest: str, dst_path, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.reads += 1
        super().get_file(digest, dst_path, **kwargs)


def test_a_second_download_from_s3_reads_nothing_from_the_store(
    s3_backed_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import modelreg

    client = modelreg.Client(s3_backed_uri)
    run = client.create_run("0").info.run_id
    client.log_text(run, "model bytes", "model/w.bin")
    counting = CountingS3Store(blob_store(client).uri)
    monkeypatch.setattr(client._backend.artifacts, "blobs", counting)
    client.download_artifacts(run, "model", tmp_path / "first")
    client.download_artifacts(run, "model", tmp_path / "second")
    assert counting.reads == 1
    assert (tmp_path / "second" / "model" / "w.bin").read_text() == "model bytes"
