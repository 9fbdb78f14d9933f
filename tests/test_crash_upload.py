"""kill -9 of a server in the middle of a large upload: no partial blob, no version using one.

The upload is paused at a known point, so the kill always lands mid-transfer:
while the server is receiving the body (its bytes visible in its upload
folder) or, for S3, while it is sending a multipart upload to the bucket.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from conftest import server_env, start_server, stop_server
from modelreg import Client
from modelreg.blobs import open_blob_store
from modelreg.cli import cli
from modelreg.store.database import Database
from s3_fixtures import s3_object_keys

CHUNK = 256 * 1024


def _wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class PausedUpload:
    """A PUT of ``data`` to the blob route that stops after ``pause_at`` bytes until released."""

    def __init__(self, url: str, data: bytes, pause_at: int) -> None:
        self.digest = hashlib.sha256(data).hexdigest()
        self.release = threading.Event()
        self.outcome: list[object] = []

        def body() -> Iterator[bytes]:
            for start in range(0, len(data), CHUNK):
                if start >= pause_at:
                    self.release.wait(60)
                yield data[start : start + CHUNK]

        def send() -> None:
            try:
                self.outcome.append(
                    httpx.put(f"{url}/api/v1/blobs/{self.digest}", content=body(), timeout=60)
                )
            except httpx.HTTPError as exc:
                self.outcome.append(exc)

        self.thread = threading.Thread(target=send, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.release.set()
        self.thread.join(60)


def _bytes_in(folder: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern)) if folder.exists() else 0


def _kill(process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'db' / 'registry.db'}"
    Database(uri).upgrade()
    return uri


def _registered_model(url: str, tmp_path: Path) -> tuple[Client, str]:
    """Model 'm' version 1 from a run with one small file; returns the client and the run."""
    client = Client(url)
    run_id = client.create_run("0").info.run_id
    (tmp_path / "small.txt").write_text("small")
    client.log_artifact(run_id, tmp_path / "small.txt", "model")
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    return client, run_id


def _assert_nothing_points_at(url: str, run_id: str, digest: str, size: int) -> None:
    """The lost blob cannot be named by a run, so no version can hold it."""
    entries = {"model/big.bin": {"digest": digest, "size": size}}
    refused = httpx.post(f"{url}/api/v1/runs/{run_id}/artifacts", json={"entries": entries})
    assert refused.status_code == 400 and "never uploaded" in refused.json()["message"]
    client = Client(url)
    assert sorted(client._backend.artifacts.manifest(run_id)) == ["model/small.txt"]
    assert [v.version for v in client.search_model_versions("name = 'm'")] == [1]


def test_kill_9_while_a_local_server_receives_a_blob_leaves_no_blob(sqlite_store, tmp_path):
    artifacts = tmp_path / "artifacts"
    process, url = start_server(sqlite_store, str(artifacts), env=server_env())
    data = os.urandom(CHUNK) * 32  # 8 MiB
    try:
        client, run_id = _registered_model(url, tmp_path)
        upload = PausedUpload(url, data, pause_at=len(data) // 2)
        _wait_for(lambda: _bytes_in(artifacts / "tmp", "*.part") >= len(data) // 2, "4 MiB")
    finally:
        _kill(process)
    upload.finish()

    store = open_blob_store(str(artifacts))
    assert not store.exists(upload.digest)
    assert upload.digest not in set(store.iter_digests())
    process, url = start_server(sqlite_store, str(artifacts), env=server_env())
    try:
        assert httpx.head(f"{url}/api/v1/blobs/{upload.digest}").status_code == 404
        _assert_nothing_points_at(url, run_id, upload.digest, len(data))
    finally:
        stop_server(process)


@pytest.fixture
def s3_env(s3_uri: str, tmp_path: Path) -> dict[str, str]:
    """A server environment reaching moto, with its own temporary folder to watch."""
    env = server_env()
    env["MODELREG_S3_ENDPOINT_URL"] = os.environ["MODELREG_S3_ENDPOINT_URL"]
    env["TMPDIR"] = str(tmp_path / "server-tmp")
    (tmp_path / "server-tmp").mkdir()
    return env


def _visible_blobs_are_whole(s3_uri: str) -> list[str]:
    """The digests of the blob objects in the bucket, after checking each one's bytes."""
    store = open_blob_store(s3_uri)
    digests = sorted(store.iter_digests())
    assert all(store.verify(d) for d in digests)
    return digests


def test_kill_9_while_an_s3_server_receives_a_blob_leaves_nothing_in_the_bucket(
    sqlite_store, s3_uri, s3_env, tmp_path
):
    process, url = start_server(sqlite_store, s3_uri, env=s3_env)
    data = os.urandom(CHUNK) * 32
    spool = Path(s3_env["TMPDIR"])
    try:
        client, run_id = _registered_model(url, tmp_path)
        before = _visible_blobs_are_whole(s3_uri)
        upload = PausedUpload(url, data, pause_at=len(data) // 2)
        _wait_for(lambda: _bytes_in(spool, "modelreg-upload-*") >= len(data) // 2, "4 MiB")
    finally:
        _kill(process)
    upload.finish()

    assert _visible_blobs_are_whole(s3_uri) == before
    assert upload.digest not in before
    process, url = start_server(sqlite_store, s3_uri, env=s3_env)
    try:
        _assert_nothing_points_at(url, run_id, upload.digest, len(data))
    finally:
        stop_server(process)


def test_kill_9_during_an_s3_multipart_upload_leaves_no_partial_blob(
    sqlite_store, s3_uri, s3_env, tmp_path
):
    from modelreg.blobs.s3 import MULTIPART_THRESHOLD

    s3 = open_blob_store(s3_uri).client
    bucket = s3_uri[len("s3://") :].split("/")[0]
    process, url = start_server(sqlite_store, s3_uri, env=s3_env)
    data = os.urandom(1 << 20) * (MULTIPART_THRESHOLD >> 20)
    try:
        client, run_id = _registered_model(url, tmp_path)
        upload = PausedUpload(url, data, pause_at=len(data))
        _wait_for(
            lambda: s3.list_multipart_uploads(Bucket=bucket).get("Uploads"),
            "the server to start a multipart upload",
            60,
        )
    finally:
        _kill(process)
    upload.finish()

    digests = _visible_blobs_are_whole(s3_uri)
    if upload.digest in digests:
        # The last part landed between seeing the upload and the kill: whole, not partial.
        assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    else:
        assert not any(upload.digest[2:] in key for key in s3_object_keys(s3_uri))
        process, url = start_server(sqlite_store, s3_uri, env=s3_env)
        try:
            _assert_nothing_points_at(url, run_id, upload.digest, len(data))
        finally:
            stop_server(process)


def _gc(db_url: str, artifacts_uri: str, *args: str) -> dict:
    """``modelreg gc --json`` on the store, as an operator runs it where the store is."""
    from modelreg.backend import clear_backend_cache

    clear_backend_cache()
    result = CliRunner().invoke(
        cli,
        ["gc", "--tracking-uri", db_url, "--json", *args],
        env={"MODELREG_ARTIFACTS_URI": artifacts_uri},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_gc_removes_the_partial_file_a_killed_server_left_once_idle(sqlite_store, tmp_path):
    artifacts = tmp_path / "artifacts"
    process, url = start_server(sqlite_store, str(artifacts), env=server_env())
    data = os.urandom(CHUNK) * 32  # 8 MiB
    try:
        upload = PausedUpload(url, data, pause_at=len(data) // 2)
        _wait_for(lambda: _bytes_in(artifacts / "tmp", "*.part") >= len(data) // 2, "4 MiB")
    finally:
        _kill(process)
    upload.finish()

    recent = _gc(sqlite_store, str(artifacts))  # touched a moment ago: spared an hour
    listed = _gc(sqlite_store, str(artifacts), "--grace-seconds", "0", "--dry-run")
    removed = _gc(sqlite_store, str(artifacts), "--grace-seconds", "0")

    assert recent["abandoned_uploads"] == []
    assert [u["size"] >= len(data) // 2 for u in removed["abandoned_uploads"]] == [True]
    assert [u["where"] for u in listed["abandoned_uploads"]] == [
        u["where"] for u in removed["abandoned_uploads"]
    ]
    assert _bytes_in(artifacts / "tmp", "*.part") == 0


def test_gc_aborts_the_multipart_upload_a_dead_writer_left_and_keeps_resumable_ones(
    sqlite_store, s3_uri
):
    store = open_blob_store(s3_uri)
    s3, bucket = store.client, store.bucket
    dead_key = store.key("ab" * 32)
    dead = s3.create_multipart_upload(Bucket=bucket, Key=dead_key)["UploadId"]
    s3.upload_part(Bucket=bucket, Key=dead_key, UploadId=dead, PartNumber=1, Body=b"x" * 1024)
    # A direct upload, resumable for a day. (moto dates the start of every multipart
    # upload in 2010, so both have a part, which it dates right.)
    resumable_key = f"{store.prefix}/uploads/{'0' * 32}"
    resumable = s3.create_multipart_upload(Bucket=bucket, Key=resumable_key)["UploadId"]
    s3.upload_part(
        Bucket=bucket, Key=resumable_key, UploadId=resumable, PartNumber=1, Body=b"y" * 1024
    )

    report = _gc(sqlite_store, s3_uri, "--grace-seconds", "0")

    assert [(u["where"], u["size"]) for u in report["abandoned_uploads"]] == [
        (f"s3://{bucket}/{dead_key} (multipart upload)", 1024)
    ]
    left = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["Key"] for u in left] == [resumable_key]
