"""The S3 blob store against moto's S3 server: checksums, multipart, dedup, crashes."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelreg.blobs import s3
from modelreg.blobs.s3 import S3BlobStore
from modelreg.errors import Conflict, NotFound
from s3_fixtures import s3_object_keys


@pytest.fixture
def store(s3_uri: str) -> S3BlobStore:
    return S3BlobStore(s3_uri)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Multipart from 8 MiB on, in 8 MiB parts (S3's minimum part is 5 MiB)."""
    monkeypatch.setattr(s3, "MULTIPART_THRESHOLD", 8 << 20)
    monkeypatch.setattr(s3, "MULTIPART_CHUNKSIZE", 8 << 20)


def record_calls(store: S3BlobStore, *operations: str) -> list[dict[str, Any]]:
    """The parameters of every request of ``operations`` the store sends from now on."""
    calls: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    for operation in operations:
        store.client.meta.events.register(f"provide-client-params.s3.{operation}", hook)
    return calls


def random_file(path: Path, mib: int) -> Path:
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
    return path


def test_blobs_live_under_the_prefix(store: S3BlobStore) -> None:
    ref = store.put_bytes(b"where am I")
    assert s3_object_keys(store.uri) == [f"artifacts/blobs/{ref.digest[:2]}/{ref.digest[2:]}"]


def test_stores_with_different_prefixes_do_not_see_each_other(store: S3BlobStore) -> None:
    other = S3BlobStore(f"s3://{store.bucket}/other")
    store.put_bytes(b"mine")
    assert list(other.iter_digests()) == []


def test_a_small_blob_is_sent_in_one_put_carrying_its_sha256(
    store: S3BlobStore, tmp_path: Path
) -> None:
    puts = record_calls(store, "PutObject")
    (tmp_path / "small.txt").write_bytes(b"small")
    ref = store.put_file(tmp_path / "small.txt")
    expected = base64.b64encode(hashlib.sha256(b"small").digest()).decode()
    assert [p["ChecksumSHA256"] for p in puts] == [expected]
    assert ref.size == 5


def test_a_large_blob_is_sent_in_parts_each_with_a_sha256(
    store: S3BlobStore, tmp_path: Path, small_parts: None
) -> None:
    parts = record_calls(store, "UploadPart")
    src = random_file(tmp_path / "big.bin", 20)
    ref = store.put_file(src)
    assert len(parts) == 3
    assert all(p["ChecksumAlgorithm"] == "SHA256" for p in parts)
    store.get_file(ref.digest, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()


def test_a_blob_already_in_the_bucket_is_not_sent_again(
    store: S3BlobStore, tmp_path: Path, small_parts: None
) -> None:
    src = random_file(tmp_path / "big.bin", 9)
    store.put_file(src)
    sent = record_calls(store, "PutObject", "CreateMultipartUpload")
    store.put_file(src)
    store.put_bytes(b"x")
    store.put_bytes(b"x")
    assert len(sent) == 1  # only the first b"x"


def test_a_file_changed_during_upload_is_refused_and_not_kept(
    store: S3BlobStore, tmp_path: Path
) -> None:
    src = tmp_path / "moving.txt"
    src.write_bytes(b"version one")

    def change_file(_: int) -> None:
        src.write_bytes(b"version two, longer")

    with pytest.raises(Conflict, match="changed while it was being uploaded"):
        store.put_file(src, progress=change_file)
    assert list(store.iter_digests()) == []


def test_writing_to_a_missing_bucket_raises_not_found(s3_uri: str) -> None:
    store = S3BlobStore("s3://no-such-bucket-here/x")
    with pytest.raises(NotFound, match="bucket"):
        store.put_bytes(b"nowhere")


_SLOW_MULTIPART_UPLOAD = """
import sys
from boto3.s3.transfer import TransferConfig
from modelreg.blobs import s3
s3.MULTIPART_THRESHOLD = 8 << 20
store = s3.S3BlobStore(sys.argv[1])
store.__dict__["_transfer"] = TransferConfig(
    multipart_threshold=8 << 20, multipart_chunksize=8 << 20,
    max_concurrency=1, max_bandwidth=16 << 20,
)
store.put_file(sys.argv[2])
"""


def test_a_multipart_upload_killed_midway_leaves_no_visible_object(
    store: S3BlobStore, tmp_path: Path
) -> None:
    src = random_file(tmp_path / "big.bin", 32)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_MULTIPART_UPLOAD, store.uri, str(src)])
    try:
        wait_for(lambda: uploaded_parts(store) >= 1)
    finally:
        proc.kill()
        proc.wait()
    assert s3_object_keys(store.uri) == []
    assert list(store.iter_digests()) == []


def uploaded_parts(store: S3BlobStore) -> int:
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    return sum(
        len(
            store.client.list_parts(Bucket=store.bucket, Key=u["Key"], UploadId=u["UploadId"]).get(
                "Parts", []
            )
        )
        for u in uploads
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
