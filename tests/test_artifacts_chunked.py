"""Big files through the server in resumable chunks: whole, checked, invisible until complete.

Chunks are 1 MiB here (files of a few MiB), so every path is exercised in
well under a second of transfer. Bytes "sent again" are counted on the wire,
by a loopback proxy that records each request's head.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import hashlib
import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import server_env, start_server, stop_server
from loopback_proxy import LoopbackProxy
from modelreg import Client
from modelreg.actor import acting_as
from modelreg.blobs import open_blob_store
from modelreg.remote import chunked
from modelreg.store.database import Database

MIB = 1024 * 1024
CHUNK_PUT = "PUT /api/v1/blobs/chunks/"


@dataclass
class Server:
    db: str
    artifacts: Path
    process: subprocess.Popen
    url: str

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def restart(self) -> None:
        self.process, self.url = start_server(self.db, str(self.artifacts), env=server_env())

    def staged_chunks(self) -> int:
        """How many chunks the server holds, received whole, for unfinished uploads."""
        return sum(1 for _ in (self.artifacts / "tmp" / "uploads").glob("*/done/*"))


@contextlib.contextmanager
def _serving(root: Path) -> Iterator[Server]:
    db = f"sqlite:///{root / 'db' / 'registry.db'}"
    Database(db).upgrade()
    artifacts = root / "artifacts"
    process, url = start_server(db, str(artifacts), env=server_env())
    srv = Server(db, artifacts, process, url)
    try:
        yield srv
    finally:
        stop_server(srv.process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server the module's tests share: each uploads bytes of its own, so what one
    stores or stages is no other's."""
    with _serving(tmp_path_factory.mktemp("shared")) as srv:
        yield srv


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own: for tests that kill it, or count or clean every
    upload it holds."""
    with _serving(tmp_path) as srv:
        yield srv


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunked, "CHUNK_SIZE", MIB)
    monkeypatch.setattr(chunked, "CHUNKED_THRESHOLD", 2 * MIB)


def _big_file(tmp_path: Path, mib: int = 8, extra: int = 12345) -> tuple[Path, str]:
    path = tmp_path / "weights.bin"
    path.write_bytes(os.urandom(mib * MIB + extra))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _chunk_bytes_sent(proxy: LoopbackProxy) -> int:
    """The Content-Length of every chunk PUT that went through the proxy."""
    total = 0
    for head in proxy.request_heads:
        if head.startswith(CHUNK_PUT):
            lengths = [h for h in head.split("\r\n") if h.lower().startswith("content-length:")]
            total += int(lengths[0].split(":")[1])
    return total


def _declaration(path: Path) -> dict:
    ref, chunks = chunked.hash_chunks(path, MIB)
    return {"digest": ref.digest, "size": ref.size, "chunk_size": MIB, "chunks": chunks}


def _declare(url: str, path: Path, user: str = "alice") -> dict:
    body = _declaration(path)
    response = httpx.post(f"{url}/api/v1/uploads", json=body, headers={"X-Modelreg-User": user})
    assert response.status_code in (200, 201), response.text
    return response.json()


def _complete(url: str, upload_id: str, path: Path, user: str = "alice") -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/uploads/{upload_id}/complete",
        json=_declaration(path),
        headers={"X-Modelreg-User": user},
    )


def _put_chunk(url: str, upload_id: str, index: int, data: bytes, user: str = "alice"):
    return httpx.put(
        f"{url}/api/v1/blobs/chunks/{upload_id}/{index}",
        content=data,
        headers={"X-Modelreg-User": user},
    )


def _chunk(path: Path, index: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(index * MIB)
        return f.read(MIB)


def test_a_big_file_goes_up_in_chunks_and_comes_back_whole(own_server, tmp_path):
    server = own_server
    path, digest = _big_file(tmp_path)
    proxy = LoopbackProxy(server.url)
    client = Client(proxy.url)
    run_id = client.create_run("0").info.run_id

    client.log_artifact(run_id, path, "model")
    got = client.download_artifacts(run_id, "model/weights.bin", tmp_path / "down")

    assert hashlib.sha256(Path(got).read_bytes()).hexdigest() == digest
    assert sum(h.startswith(CHUNK_PUT) for h in proxy.request_heads) == 9
    assert _chunk_bytes_sent(proxy) == path.stat().st_size
    assert not any(h.startswith("PUT /api/v1/blobs/" + digest) for h in proxy.request_heads)
    assert server.staged_chunks() == 0


def test_uploading_a_file_the_server_holds_sends_no_chunk(server, tmp_path):
    path, _ = _big_file(tmp_path)
    client = Client(server.url)
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, path)
    proxy = LoopbackProxy(server.url)

    Client(proxy.url).log_artifact(run_id, path, "again")

    assert _chunk_bytes_sent(proxy) == 0


def test_no_blob_is_visible_until_the_upload_completes(server, tmp_path):
    path, digest = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    for index in range(4):
        assert _put_chunk(server.url, upload_id, index, _chunk(path, index)).status_code == 201

    store = open_blob_store(str(server.artifacts))
    assert httpx.head(f"{server.url}/api/v1/blobs/{digest}").status_code == 404
    assert not store.exists(digest) and digest not in set(store.iter_digests())

    done = _complete(server.url, upload_id, path)
    assert done.status_code == 200, done.text
    assert store.exists(digest) and store.verify(digest)
    assert not (server.artifacts / "tmp" / "uploads" / upload_id).exists()


def test_completing_with_chunks_missing_names_them_and_stores_nothing(server, tmp_path):
    path, digest = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    _put_chunk(server.url, upload_id, 1, _chunk(path, 1))

    response = _complete(server.url, upload_id, path)

    assert response.status_code == 409
    assert response.json()["details"]["missing"] == [0, 2, 3]
    assert not open_blob_store(str(server.artifacts)).exists(digest)


def test_a_cut_or_overlong_chunk_is_refused_and_not_counted_as_received(server, tmp_path):
    path, _ = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]

    short = _put_chunk(server.url, upload_id, 1, _chunk(path, 1)[:-1])
    longer = _put_chunk(server.url, upload_id, 0, _chunk(path, 0) + b"x")

    assert [r.status_code for r in (short, longer)] == [400, 400]
    assert "bytes, not" in short.json()["message"]
    assert _declare(server.url, path)["received"] == []


def _damaged(path: Path, index: int) -> bytes:
    chunk = bytearray(_chunk(path, index))
    chunk[1000] ^= 0xFF
    return bytes(chunk)


def test_a_damaged_chunk_is_named_at_completion_and_nothing_is_stored(server, tmp_path):
    path, digest = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    for index in (0, 1, 3):
        _put_chunk(server.url, upload_id, index, _chunk(path, index))
    assert _put_chunk(server.url, upload_id, 2, _damaged(path, 2)).status_code == 201

    refused = _complete(server.url, upload_id, path)

    assert refused.status_code == 409
    assert refused.json()["details"]["missing"] == [2]
    store = open_blob_store(str(server.artifacts))
    assert not store.exists(digest)
    assert httpx.head(f"{server.url}/api/v1/blobs/{digest}").status_code == 404
    assert _declare(server.url, path)["received"] == [0, 1, 3]
    _put_chunk(server.url, upload_id, 2, _chunk(path, 2))
    assert _complete(server.url, upload_id, path).status_code == 200
    assert store.verify(digest)


def test_the_client_sends_again_only_a_chunk_found_damaged_at_completion(server, tmp_path):
    path, digest = _big_file(tmp_path, mib=3)
    run_id = Client(server.url).create_run("0").info.run_id
    upload_id = _declare(server.url, path)["upload_id"]
    _put_chunk(server.url, upload_id, 2, _damaged(path, 2))  # staged by an earlier attempt
    proxy = LoopbackProxy(server.url)

    with acting_as("alice"):
        Client(proxy.url).log_artifact(run_id, path)

    assert _chunk_bytes_sent(proxy) == path.stat().st_size  # 0, 1, 3, then 2 after the check
    assert open_blob_store(str(server.artifacts)).verify(digest)
    assert Client(server.url)._backend.artifacts.manifest(run_id)["weights.bin"].digest == digest


def test_another_users_upload_answers_as_a_missing_one(server, tmp_path):
    path, _ = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path, user="alice")["upload_id"]

    chunk = _put_chunk(server.url, upload_id, 0, _chunk(path, 0), user="mallory")
    complete = _complete(server.url, upload_id, path, user="mallory")

    assert (chunk.status_code, complete.status_code) == (404, 404)
    assert _declare(server.url, path, user="mallory")["upload_id"] != upload_id


def test_a_dropped_connection_sends_again_only_the_chunk_it_cut(server, tmp_path):
    path, digest = _big_file(tmp_path)
    proxy = LoopbackProxy(server.url)
    client = Client(proxy.url)
    run_id = client.create_run("0").info.run_id
    proxy.cut_request(CHUNK_PUT, after_bytes=MIB // 2)

    client.log_artifact(run_id, path)

    assert len(proxy.dropped) == 1
    assert _chunk_bytes_sent(proxy) == path.stat().st_size + MIB  # the cut chunk, twice
    assert open_blob_store(str(server.artifacts)).verify(digest)


def _wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


CHILD = """
import sys, time
from modelreg import Client
from modelreg.remote import chunked

chunked.CHUNK_SIZE = 1024 * 1024
chunked.CHUNKED_THRESHOLD = 2 * 1024 * 1024
chunked.PARALLEL = 1
send = chunked.ChunkedUpload._send_chunk

def slow_send(self, *args):
    send(self, *args)
    time.sleep(0.3)  # so the kill lands mid-upload

chunked.ChunkedUpload._send_chunk = slow_send
url, run_id, path = sys.argv[1:]
Client(url).log_artifact(run_id, path)
"""


def _resume(url: str, run_id: str, path: Path) -> int:
    """Uploads ``path`` again through a proxy; returns the chunk bytes that went."""
    proxy = LoopbackProxy(url)
    Client(proxy.url).log_artifact(run_id, path)
    return _chunk_bytes_sent(proxy)


def test_a_client_killed_half_way_resumes_sending_only_missing_chunks(own_server, tmp_path):
    server = own_server
    path, digest = _big_file(tmp_path, mib=10, extra=0)
    run_id = Client(server.url).create_run("0").info.run_id
    env = {**server_env(), "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), server.url, run_id, str(path)], env=env
    )
    _wait_for(lambda: server.staged_chunks() >= 5, "half of the chunks")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    kept = server.staged_chunks()
    assert not open_blob_store(str(server.artifacts)).exists(digest)

    resent = _resume(server.url, run_id, path)

    assert resent == (10 - kept) * MIB <= 0.55 * path.stat().st_size
    assert open_blob_store(str(server.artifacts)).verify(digest)
    assert Client(server.url)._backend.artifacts.manifest(run_id)["weights.bin"].digest == digest


def test_a_server_killed_half_way_keeps_the_chunks_it_had(own_server, tmp_path, monkeypatch):
    server = own_server
    path, digest = _big_file(tmp_path, mib=10, extra=0)
    run_id = Client(server.url).create_run("0").info.run_id
    send = chunked.ChunkedUpload._send_chunk
    sent: list[int] = []

    def counting_send(self, *args):
        send(self, *args)
        sent.append(1)
        if len(sent) == 6:
            server.kill()  # before the 7th chunk

    monkeypatch.setattr(chunked, "PARALLEL", 1)
    monkeypatch.setattr(chunked.ChunkedUpload, "_send_chunk", counting_send)
    monkeypatch.setenv("MODELREG_HTTP_RETRIES", "0")
    with pytest.raises(Exception, match="resume|reach"):
        Client(server.url).log_artifact(run_id, path)
    monkeypatch.setattr(chunked.ChunkedUpload, "_send_chunk", send)
    assert server.staged_chunks() == 6
    assert not open_blob_store(str(server.artifacts)).exists(digest)

    server.restart()
    resent = _resume(server.url, run_id, path)

    assert resent == 4 * MIB
    assert open_blob_store(str(server.artifacts)).verify(digest)


def test_abandoned_upload_folders_are_removed_once_idle(own_server, tmp_path):
    server = own_server
    from modelreg.blobs.local import LocalBlobStore
    from modelreg.blobs.staging import UploadStaging

    path, _ = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    _put_chunk(server.url, upload_id, 0, _chunk(path, 0))
    folder = server.artifacts / "tmp" / "uploads" / upload_id
    assert folder.is_dir()
    staging = UploadStaging.for_store(LocalBlobStore(server.artifacts))

    assert staging.remove_abandoned(3600) == []
    removed = staging.remove_abandoned(-1)

    assert [(u.where, u.size >= MIB) for u in removed] == [(str(folder), True)]
    assert not folder.exists()


def test_completing_twice_answers_the_stored_blob_both_times(server, tmp_path):
    path, digest = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    for index in range(4):
        _put_chunk(server.url, upload_id, index, _chunk(path, index))

    first = _complete(server.url, upload_id, path)
    second = _complete(server.url, upload_id, path)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (
        first.json()
        == second.json()
        == {"digest": digest, "size": path.stat().st_size, "stored": True}
    )


def _start_put(url: str, upload_id: str, index: int, length: int) -> socket.socket:
    """A chunk PUT whose head is sent and whose body is not (yet): the server is waiting."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    head = (
        f"PUT /api/v1/blobs/chunks/{upload_id}/{index} HTTP/1.1\r\nHost: {host}\r\n"
        f"X-Modelreg-User: alice\r\nContent-Length: {length}\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


def test_a_chunk_written_while_the_upload_completes_never_reaches_the_stored_blob(server, tmp_path):
    path, digest = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    for index in range(4):
        _put_chunk(server.url, upload_id, index, _chunk(path, index))
    late = _start_put(server.url, upload_id, 0, MIB)
    time.sleep(0.5)  # the server has opened the staged file for that chunk
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        completing = pool.submit(_complete, server.url, upload_id, path)
        time.sleep(0.5)

        late.sendall(_damaged(path, 0))
        late.recv(4096)
        late.close()
        completing.result(timeout=60)

    store = open_blob_store(str(server.artifacts))
    assert not store.exists(digest) or store.verify(digest)


def _staged_in_process(tmp_path: Path):
    """An upload of a 3 MiB file with every chunk received, staged without a server."""
    from modelreg.blobs.staging import UploadPlan, UploadStaging

    path, digest = _big_file(tmp_path, mib=3)
    declared = _declaration(path)
    plan = UploadPlan("alice", digest, declared["size"], MIB, tuple(declared["chunks"]))
    staging = UploadStaging(tmp_path / "uploads")
    staging.begin(plan)
    for index in range(4):
        staging.put_chunk(plan, index, io.BytesIO(_chunk(path, index)))
    return staging, plan, tmp_path / "uploads" / plan.upload_id, open_blob_store(str(tmp_path))


def test_completion_answers_409_while_a_chunk_is_still_being_written(tmp_path, monkeypatch):
    from modelreg.blobs import staging as staging_module
    from modelreg.errors import Conflict

    monkeypatch.setattr(staging_module, "IN_FLIGHT_WAIT_S", 0.2)
    staging, plan, folder, store = _staged_in_process(tmp_path)

    with open(folder / "lock", "rb") as writing:
        fcntl.flock(writing, fcntl.LOCK_SH)  # as a chunk writer holds it
        with pytest.raises(Conflict, match="still being received"):
            staging.complete(plan, store)

    assert staging.complete(plan, store).digest == plan.digest
    assert store.verify(plan.digest)


def test_a_retried_completion_waits_for_the_one_in_progress(tmp_path):
    staging, plan, folder, store = _staged_in_process(tmp_path)
    (folder / "data").rename(folder / "data.first")  # as a completion in progress does
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        retry = pool.submit(staging.complete, plan, store)
        time.sleep(0.3)
        assert not retry.done()

        (folder / "data.first").rename(folder / "data")  # the first one failed and gave it back

        assert retry.result(timeout=10).digest == plan.digest
    assert store.verify(plan.digest)


@contextlib.contextmanager
def _late_writer(folder: Path) -> Iterator[None]:
    """Keeps creating the upload hasher's lock file in ``folder``, as a hasher starting late
    does, while the block runs."""
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                os.close(os.open(folder / "hashing", os.O_RDWR | os.O_CREAT, 0o600))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()


@pytest.mark.parametrize("removal", ["complete", "abort", "gc"])
def test_an_upload_folder_is_removed_whole_though_a_late_writer_races_it(tmp_path, removal):
    for attempt in range(8):
        (tmp_path / str(attempt)).mkdir()
        staging, plan, folder, store = _staged_in_process(tmp_path / str(attempt))
        with _late_writer(folder):
            if removal == "complete":
                staging.complete(plan, store)
            elif removal == "abort":
                staging.abort(plan.upload_id, plan.owner)
            else:
                assert [u.where for u in staging.remove_abandoned(-1)] == [str(folder)]

        assert not folder.exists(), f"attempt {attempt}: {sorted(os.listdir(folder))}"


def test_a_chunk_sent_again_once_received_keeps_its_first_bytes(server, tmp_path):
    path, digest = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    for index in range(4):
        _put_chunk(server.url, upload_id, index, _chunk(path, index))

    again = _put_chunk(server.url, upload_id, 2, _damaged(path, 2))
    done = _complete(server.url, upload_id, path)

    assert (again.status_code, done.status_code) == (201, 200)
    assert open_blob_store(str(server.artifacts)).verify(digest)


def test_a_chunk_sent_again_with_the_wrong_length_is_still_refused(server, tmp_path):
    path, _ = _big_file(tmp_path, mib=3)
    upload_id = _declare(server.url, path)["upload_id"]
    _put_chunk(server.url, upload_id, 1, _chunk(path, 1))

    assert _put_chunk(server.url, upload_id, 1, _chunk(path, 1)[:-1]).status_code == 400


def _wait_for_record(folder: Path) -> None:
    _wait_for(lambda: (folder / "hashed").exists(), "the follower's digest", seconds=30)


def test_completion_uses_the_digest_hashed_while_the_chunks_arrived(tmp_path, monkeypatch):
    from modelreg.blobs import staging as staging_module

    staging, plan, folder, store = _staged_in_process(tmp_path)
    _wait_for_record(folder)

    def no_second_pass(*args, **kwargs):
        raise AssertionError("the staged file was hashed again")

    monkeypatch.setattr(staging_module, "copy_hashing", no_second_pass)
    assert staging.complete(plan, store).digest == plan.digest
    monkeypatch.undo()
    assert store.verify(plan.digest)


def test_a_recorded_digest_of_another_file_is_not_trusted(tmp_path):
    staging, plan, folder, store = _staged_in_process(tmp_path)
    _wait_for_record(folder)
    (folder / "hashed").write_text(
        '{"digest": "%s", "device": 0, "inode": 0}' % ("0" * 64)  # not this file
    )

    assert staging.complete(plan, store).digest == plan.digest
    assert store.verify(plan.digest)


def test_completion_waits_for_a_follower_still_hashing(tmp_path):
    staging, plan, folder, store = _staged_in_process(tmp_path)
    _wait_for_record(folder)
    (folder / "hashed").unlink()
    with open(folder / "hashing", "rb") as follower:
        fcntl.flock(follower, fcntl.LOCK_EX)  # as a follower in another process holds it
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            completing = pool.submit(staging.complete, plan, store)
            time.sleep(0.3)
            assert not completing.done()

            fcntl.flock(follower, fcntl.LOCK_UN)  # it died without a record: completion hashes

            assert completing.result(timeout=30).digest == plan.digest
    assert store.verify(plan.digest)


def test_a_follower_gives_up_when_no_chunk_comes_and_a_new_one_starts_later(tmp_path, monkeypatch):
    from modelreg.blobs import upload_hasher
    from modelreg.blobs.staging import UploadPlan, UploadStaging

    monkeypatch.setattr(upload_hasher, "FOLLOW_IDLE_S", 0.2)
    path, digest = _big_file(tmp_path, mib=3)
    declared = _declaration(path)
    plan = UploadPlan("alice", digest, declared["size"], MIB, tuple(declared["chunks"]))
    staging = UploadStaging(tmp_path / "uploads")
    staging.begin(plan)
    folder = tmp_path / "uploads" / plan.upload_id
    staging.put_chunk(plan, 0, io.BytesIO(_chunk(path, 0)))

    def follower_ended() -> bool:
        name = f"modelreg-upload-hash-{plan.upload_id}"
        return not any(t.name == name for t in threading.enumerate())

    _wait_for(follower_ended, "the idle follower to give up", seconds=10)
    assert not (folder / "hashed").exists()

    for index in range(1, 4):
        staging.put_chunk(plan, index, io.BytesIO(_chunk(path, index)))
    _wait_for_record(folder)
    assert staging.complete(plan, open_blob_store(str(tmp_path))).digest == digest


def test_two_requests_for_one_chunk_take_turns(tmp_path, monkeypatch):
    from modelreg.blobs import staging as staging_module
    from modelreg.errors import Conflict

    staging, plan, folder, store = _staged_in_process(tmp_path)
    (folder / "done" / "1").unlink()  # chunk 1 is to be sent again
    path = tmp_path / "weights.bin"
    with open(folder / "claims" / "1", "rb") as claim:
        fcntl.flock(claim, fcntl.LOCK_EX)  # another request is writing chunk 1
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            second = pool.submit(staging.put_chunk, plan, 1, io.BytesIO(_chunk(path, 1)))
            time.sleep(0.3)
            assert not second.done()
            fcntl.flock(claim, fcntl.LOCK_UN)
            second.result(timeout=10)

        monkeypatch.setattr(staging_module, "IN_FLIGHT_WAIT_S", 0.2)
        fcntl.flock(claim, fcntl.LOCK_EX)
        with pytest.raises(Conflict, match="being received by another request"):
            staging.put_chunk(plan, 1, io.BytesIO(_chunk(path, 1)))
    assert staging.complete(plan, store).digest == plan.digest


def test_chunks_of_a_size_off_the_page_grid_are_hashed_as_they_arrive(tmp_path):
    from modelreg.blobs.staging import UploadPlan, UploadStaging

    path, digest = _big_file(tmp_path, mib=3)
    size = path.stat().st_size
    chunk_size = MIB + 1
    _, chunks = chunked.hash_chunks(path, chunk_size)
    plan = UploadPlan("alice", digest, size, chunk_size, tuple(chunks))
    staging = UploadStaging(tmp_path / "uploads")
    staging.begin(plan)
    data = path.read_bytes()
    for index in range(len(chunks)):
        piece = data[index * chunk_size : (index + 1) * chunk_size]
        staging.put_chunk(plan, index, io.BytesIO(piece))
    folder = tmp_path / "uploads" / plan.upload_id
    _wait_for_record(folder)

    assert staging.complete(plan, open_blob_store(str(tmp_path))).digest == digest


def test_a_completion_that_hashes_the_whole_blob_is_waited_for_past_the_usual_timeout(
    own_server, tmp_path, monkeypatch
):
    server = own_server
    path, digest = _big_file(tmp_path, mib=3)
    monkeypatch.setenv("MODELREG_HTTP_TIMEOUT", "1")
    monkeypatch.setattr(chunked, "COMPLETE_HASH_RATE", MIB)  # 3 MiB: 3 s more to complete
    monkeypatch.setattr(chunked, "PARALLEL", 1)
    send = chunked.ChunkedUpload._send_chunk

    def send_then_keep_the_server_hashing(self, fd, target, index, length):
        send(self, fd, target, index, length)
        if index == 3:  # the last chunk: the follower's digest is lost, as in a restart
            folder = next((server.artifacts / "tmp" / "uploads").iterdir())
            lock = open(folder / "hashing", "a+b")
            fcntl.flock(lock, fcntl.LOCK_EX)  # once the follower is done
            (folder / "hashed").unlink(missing_ok=True)
            threading.Timer(2.5, lock.close).start()  # completion waits, then hashes

    monkeypatch.setattr(chunked.ChunkedUpload, "_send_chunk", send_then_keep_the_server_hashing)
    client = Client(server.url)
    run_id = client.create_run("0").info.run_id

    client.log_artifact(run_id, path)

    assert open_blob_store(str(server.artifacts)).verify(digest)
