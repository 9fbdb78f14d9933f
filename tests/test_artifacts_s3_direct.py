"""Big files straight between the client and S3 (moto's server), checked by the server.

With ``MODELREG_S3_DIRECT=1`` the server hands out presigned multipart part
URLs and presigned GETs; the bytes never pass through it on the way up, yet
nothing reaches a blob key before the server has read it back and checked
every part and the whole against the declared digests.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import server_env, start_server, stop_server
from loopback_proxy import LoopbackProxy
from modelreg import Client
from modelreg.actor import current_actor
from modelreg.blobs import open_blob_store
from modelreg.remote import chunked
from modelreg.store.database import Database
from s3_fixtures import s3_object_keys

MIB = 1024 * 1024
PART = 5 * MIB


@pytest.fixture
def direct_server(tmp_path: Path, s3_uri: str) -> Iterator[str]:
    db = f"sqlite:///{tmp_path / 'db' / 'registry.db'}"
    Database(db).upgrade()
    env = {**server_env(), "MODELREG_S3_DIRECT": "1"}
    env["MODELREG_S3_ENDPOINT_URL"] = os.environ["MODELREG_S3_ENDPOINT_URL"]
    process, url = start_server(db, s3_uri, env=env)
    yield url
    stop_server(process)


@pytest.fixture(autouse=True)
def parts_of_five_mib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunked, "CHUNK_SIZE", PART)
    monkeypatch.setattr(chunked, "CHUNKED_THRESHOLD", 2 * MIB)


def _file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "weights.bin"
    path.write_bytes(os.urandom(2 * PART + 12345))  # three parts, the last one short
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _declaration(path: Path) -> dict:
    ref, chunks = chunked.hash_chunks(path, PART)
    return {"digest": ref.digest, "size": ref.size, "chunk_size": PART, "chunks": chunks}


def _part(path: Path, index: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(index * PART)
        return f.read(PART)


def _put_part(declared: dict, declaration: dict, index: int, data: bytes) -> httpx.Response:
    checksum = chunked._b64(declaration["chunks"][index])
    return httpx.put(
        declared["parts"][str(index)], content=data, headers={"x-amz-checksum-sha256": checksum}
    )


def _blob_keys(s3_uri: str) -> list[str]:
    return [k for k in s3_object_keys(s3_uri) if "/blobs/" in k]


def test_a_big_file_goes_to_s3_and_back_without_passing_through_the_server(
    direct_server, s3_uri, tmp_path
):
    path, digest = _file(tmp_path)
    proxy = LoopbackProxy(direct_server)  # sees everything that goes to the server
    client = Client(proxy.url)
    run_id = client.create_run("0").info.run_id

    client.log_artifact(run_id, path)
    got = client.download_artifacts(run_id, "weights.bin", tmp_path / "down")

    assert hashlib.sha256(Path(got).read_bytes()).hexdigest() == digest
    assert not any(h.startswith("PUT ") for h in proxy.request_heads)
    assert open_blob_store(s3_uri).verify(digest)
    assert all("/uploads/" not in key for key in s3_object_keys(s3_uri))


def test_nothing_reaches_a_blob_key_until_every_part_is_there(direct_server, s3_uri, tmp_path):
    path, digest = _file(tmp_path)
    declaration = _declaration(path)
    declared = httpx.post(f"{direct_server}/api/v1/uploads", json=declaration).json()
    for index in (0, 1):
        assert _put_part(declared, declaration, index, _part(path, index)).status_code == 200

    upload_id = declared["upload_id"]
    early = httpx.post(f"{direct_server}/api/v1/uploads/{upload_id}/complete", json=declaration)

    assert early.status_code == 409 and early.json()["details"]["missing"] == [2]
    assert _blob_keys(s3_uri) == []
    again = httpx.post(f"{direct_server}/api/v1/uploads", json=declaration).json()
    assert again["received"] == [0, 1] and list(again["parts"]) == ["2"]


def test_a_corrupted_part_is_refused_and_no_blob_appears(direct_server, s3_uri, tmp_path):
    path, digest = _file(tmp_path)
    declaration = _declaration(path)
    declared = httpx.post(f"{direct_server}/api/v1/uploads", json=declaration).json()
    for index in range(3):
        data = bytearray(_part(path, index))
        if index == 1:
            data[4242] ^= 0xFF  # same length, one bit off
        _put_part(declared, declaration, index, bytes(data))

    url = f"{direct_server}/api/v1/uploads/{declared['upload_id']}/complete"
    refused = httpx.post(url, json=declaration)

    assert refused.status_code == 409 and "[1]" in refused.json()["message"]
    assert _blob_keys(s3_uri) == []
    assert all("/uploads/" not in key for key in s3_object_keys(s3_uri))
    client = Client(direct_server)
    client.log_artifact(client.create_run("0").info.run_id, path)
    assert open_blob_store(s3_uri).verify(digest)


def test_a_resumed_direct_upload_sends_only_the_missing_parts(
    direct_server, s3_uri, tmp_path, monkeypatch
):
    path, digest = _file(tmp_path)
    declaration = _declaration(path)
    as_client = {"X-Modelreg-User": current_actor()}  # the same owner, so the same upload
    declared = httpx.post(
        f"{direct_server}/api/v1/uploads", json=declaration, headers=as_client
    ).json()
    _put_part(declared, declaration, 0, _part(path, 0))
    sent: list[int] = []
    send = chunked.ChunkedUpload._send_chunk

    def recording_send(self, fd, target, index, length):
        sent.append(index)
        send(self, fd, target, index, length)

    monkeypatch.setattr(chunked.ChunkedUpload, "_send_chunk", recording_send)
    client = Client(direct_server)

    client.log_artifact(client.create_run("0").info.run_id, path)

    assert sorted(sent) == [1, 2]
    assert open_blob_store(s3_uri).verify(digest)


def test_without_direct_transfers_chunks_go_through_the_server_to_s3(s3_uri, tmp_path):
    db = f"sqlite:///{tmp_path / 'db' / 'registry.db'}"
    Database(db).upgrade()
    env = {**server_env(), "MODELREG_S3_ENDPOINT_URL": os.environ["MODELREG_S3_ENDPOINT_URL"]}
    process, url = start_server(db, s3_uri, env=env)
    try:
        path, digest = _file(tmp_path)
        proxy = LoopbackProxy(url)
        client = Client(proxy.url)
        client.log_artifact(client.create_run("0").info.run_id, path)
        redirected = httpx.get(f"{url}/api/v1/blobs/{digest}", headers={"X-Modelreg-Direct": "1"})
    finally:
        stop_server(process)

    assert sum(h.startswith("PUT /api/v1/blobs/chunks/") for h in proxy.request_heads) == 3
    assert open_blob_store(s3_uri).verify(digest)
    assert redirected.status_code == 200 and redirected.content == path.read_bytes()
