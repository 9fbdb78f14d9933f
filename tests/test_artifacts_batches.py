"""Many small files through the server in a few requests, each blob checked."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx

from auth_fixtures import AuthServer
from loopback_proxy import LoopbackProxy
from modelreg import Client


def _folder(tmp_path: Path, count: int = 200) -> Path:
    folder = tmp_path / "tokenizer"
    folder.mkdir()
    for i in range(count):
        (folder / f"part-{i:03d}.bin").write_bytes(os.urandom(4096))
    return folder


def _batch(*blobs: bytes, sizes: list[int] | None = None, digests: list[str] | None = None):
    digests = digests or [hashlib.sha256(b).hexdigest() for b in blobs]
    sizes = sizes or [len(b) for b in blobs]
    head = json.dumps({"blobs": [[d, s] for d, s in zip(digests, sizes, strict=True)]})
    return head.encode() + b"\n" + b"".join(blobs)


def _requests_to_log(url: str, folder: Path) -> tuple[Client, str, list[str]]:
    """Logs ``folder`` through a proxy; the last path segment of each request it made."""
    proxy = LoopbackProxy(url)
    client = Client(proxy.url)
    run_id = client.create_run("0").info.run_id
    before = len(proxy.request_heads)

    client.log_artifacts(run_id, folder, "tokenizer")

    lines = [h.split("\r\n", 1)[0] for h in proxy.request_heads[before:]]
    return client, run_id, [line.split(" ")[1].split("?")[0].rsplit("/", 1)[-1] for line in lines]


def test_two_hundred_small_files_go_up_in_four_batches_side_by_side(live_server, tmp_path):
    folder = _folder(tmp_path)

    client, run_id, requests = _requests_to_log(live_server, folder)

    assert requests == ["missing", "batch", "batch", "batch", "batch", "artifacts"]
    got = Path(client.download_artifacts(run_id, "tokenizer", tmp_path / "down"))
    assert sorted(p.name for p in got.iterdir()) == sorted(p.name for p in folder.iterdir())
    for path in folder.iterdir():
        assert (got / path.name).read_bytes() == path.read_bytes()


def test_a_few_small_files_go_up_in_one_batch(live_server, tmp_path):
    _, _, requests = _requests_to_log(live_server, _folder(tmp_path, count=30))

    assert requests == ["missing", "batch", "artifacts"]


def test_two_hundred_small_files_come_down_in_one_request(live_server, tmp_path):
    folder = _folder(tmp_path)
    client = Client(live_server)
    run_id = client.create_run("0").info.run_id
    client.log_artifacts(run_id, folder, "tokenizer")
    proxy = LoopbackProxy(live_server)

    got = Path(Client(proxy.url).download_artifacts(run_id, "tokenizer", tmp_path / "down"))

    fetches = [h for h in proxy.request_heads if h.startswith("POST /api/v1/downloads")]
    assert len(fetches) == 1
    assert not any(h.startswith("GET /api/v1/blobs/") for h in proxy.request_heads)
    for path in folder.iterdir():
        assert (got / path.name).read_bytes() == path.read_bytes()


def test_files_the_server_holds_are_not_sent_again(live_server, tmp_path):
    url = live_server
    folder = _folder(tmp_path, count=20)
    Client(url).log_artifacts(Client(url).create_run("0").info.run_id, folder)
    proxy = LoopbackProxy(url)
    client = Client(proxy.url)

    client.log_artifacts(client.create_run("0").info.run_id, folder)

    assert not any(h.startswith("POST /api/v1/blobs/batch") for h in proxy.request_heads)


def test_a_batch_with_a_damaged_blob_keeps_the_blobs_before_it_only(live_server):
    url = live_server
    good, bad, after = os.urandom(100), os.urandom(100), os.urandom(100)
    digests = [hashlib.sha256(b).hexdigest() for b in (good, bad, after)]
    body = _batch(good, b"x" * 100, after, digests=digests)

    response = httpx.post(f"{url}/api/v1/blobs/batch", content=body)

    assert response.status_code == 400 and digests[1] in response.json()["message"]
    held = [httpx.head(f"{url}/api/v1/blobs/{d}").status_code for d in digests]
    assert held == [200, 404, 404]


def test_a_batch_shorter_or_longer_than_it_says_is_refused(live_server):
    url = live_server
    blob = os.urandom(100)
    short = _batch(blob, sizes=[101])
    longer = _batch(blob) + b"extra"
    no_head = b"not json\n" + blob

    answers = [httpx.post(f"{url}/api/v1/blobs/batch", content=b) for b in (short, longer, no_head)]

    assert [a.status_code for a in answers] == [400, 400, 400]


def test_batches_and_chunked_uploads_need_a_user_before_any_body_is_read(auth_server: AuthServer):
    http = auth_server.http()  # no credentials
    digest = "0" * 64
    answers = [
        http.post("/api/v1/blobs/batch", content=_batch(b"x")),
        http.post("/api/v1/uploads/missing", json={"digests": [digest]}),
        http.post(
            "/api/v1/uploads",
            json={"digest": digest, "size": 1, "chunk_size": 2**20, "chunks": [digest]},
        ),
        http.put(f"/api/v1/blobs/chunks/{'0' * 32}/0", content=b"x"),
        http.post(f"/api/v1/uploads/{'0' * 32}/complete", json={}),
    ]
    assert [a.status_code for a in answers] == [401] * 5


def _blob_of_one_run(auth_server: AuthServer) -> str:
    """The digest of bytes only a new world's run holds (the world's MLmodel is the same
    in every world, so a grant made by another test may let anyone read it)."""
    world = auth_server.world()
    ref = auth_server.backend.artifacts.log_bytes(world.run_id, os.urandom(64), "weights.bin")
    return ref.digest


def test_a_download_batch_with_a_blob_the_caller_may_not_read_answers_404(
    auth_server: AuthServer,
):
    digest = _blob_of_one_run(auth_server)
    asked = {"digests": [digest]}

    refused = auth_server.http("stranger").post("/api/v1/downloads", json=asked)
    allowed = auth_server.http("reader").post("/api/v1/downloads", json=asked)

    assert refused.status_code == 404 and digest in refused.json()["message"]
    assert allowed.status_code == 200
    head, _, data = allowed.content.partition(b"\n")
    assert hashlib.sha256(data).hexdigest() == digest
    assert json.loads(head) == {"sizes": [len(data)]}


def test_missing_lists_a_blob_the_caller_may_not_read(auth_server: AuthServer, tmp_path):
    digest = _blob_of_one_run(auth_server)
    stranger = auth_server.http("stranger")
    reader = auth_server.http("reader")

    def missing(http: httpx.Client) -> list[str]:
        answer = http.post("/api/v1/uploads/missing", json={"digests": [digest]})
        return answer.json()["missing"]

    assert (missing(stranger), missing(reader)) == ([digest], [])
