"""Retries never repeat a change: changes carry an Idempotency-Key the server remembers.

Against a live server on PostgreSQL, through a loopback proxy that can lose
an answer after the server committed, and by hand with httpx.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

import modelreg
from conftest import reset_postgres
from loopback_proxy import LoopbackProxy
from modelreg.remote import RemoteBackend
from modelreg.services.idempotency import KEEP_SECONDS, Answer, IdempotencyService, KeyedRequest
from modelreg.store.database import Database


@pytest.fixture
def server(pg_url: str, live_server: str) -> str:
    reset_postgres(pg_url)
    return live_server


@pytest.fixture
def proxy(server: str) -> Iterator[LoopbackProxy]:
    proxy = LoopbackProxy(server)
    yield proxy
    proxy.close()


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server}/api/v1", timeout=30) as client:
        yield client


def _client(url: str) -> modelreg.Client:
    return modelreg.Client.from_backend(RemoteBackend(url))


def _run_with_model_file(client: modelreg.Client) -> str:
    run_id = client.create_run("0").info.run_id
    client.log_text(run_id, "flavor: python", "model/MLmodel")
    return run_id


def test_a_version_whose_answer_was_lost_is_registered_once_and_returned(proxy):
    client = _client(proxy.url)
    client.create_registered_model("lossy")
    run_id = _run_with_model_file(client)
    proxy.drop_answer_to("POST /api/v1/registered-models/lossy/versions")

    created = client.create_model_version("lossy", f"runs:/{run_id}/model")

    assert proxy.dropped == ["POST /api/v1/registered-models/lossy/versions HTTP/1.1"]
    assert created.version == 1
    assert [v.version for v in client.search_model_versions("name = 'lossy'")] == [1]


def test_each_change_carries_its_own_key_and_reads_carry_none(proxy):
    client = _client(proxy.url)
    run_id = client.create_run("0").info.run_id
    client.set_tag(run_id, "team", "risk")
    client.search_runs(["0"])
    client.get_run(run_id)

    keys = {
        head.split(" ", 2)[:2][1]: _key(head)
        for head in proxy.request_heads
        if "/blobs/" not in head
    }
    assert keys["/api/v1/runs/search"] is None
    assert keys[f"/api/v1/runs/{run_id}"] is None
    changes = [keys["/api/v1/runs"], keys[f"/api/v1/runs/{run_id}/batch"]]
    assert None not in changes and len(set(changes)) == 2


def _key(head: str) -> str | None:
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "idempotency-key":
            return value.strip()
    return None


def test_a_repeat_gets_the_first_answer_marked_replayed(http):
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    first = http.post("/registered-models", json={"name": "once"}, headers=headers)
    again = http.post("/registered-models", json={"name": "once"}, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_a_key_sent_again_with_another_body_is_refused(http):
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    http.post("/registered-models", json={"name": "first"}, headers=headers)

    reused = http.post("/registered-models", json={"name": "second"}, headers=headers)

    assert reused.status_code == 409
    assert "was first sent with POST /api/v1/registered-models" in reused.json()["message"]
    assert http.get("/registered-models/second").status_code == 404


def test_a_refused_change_is_not_remembered(http, server):
    run_id = _run_with_model_file(_client(server))
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"source": f"runs:/{run_id}/model"}
    refused = http.post("/registered-models/late/versions", json=body, headers=headers)
    http.post("/registered-models", json={"name": "late"})

    again = http.post("/registered-models/late/versions", json=body, headers=headers)

    assert (refused.status_code, again.status_code) == (404, 200)
    assert again.json()["version"] == 1


def test_a_key_belongs_to_the_credentials_that_sent_it(auth_server, world):
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"experiment_id": world.experiment_id}
    runs = []
    for user in ("editor", "manager"):
        with auth_server.http(user) as http:
            runs.append(http.post("/api/v1/runs", json=body, headers=headers).json())

    assert [r["info"]["user_id"] for r in runs] == ["editor", "manager"]
    assert runs[0]["info"]["run_id"] != runs[1]["info"]["run_id"]


def test_concurrent_repeats_of_one_key_run_once_and_all_get_its_answer(http, server):
    client = _client(server)
    client.create_registered_model("raced")
    run_id = _run_with_model_file(client)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"source": f"runs:/{run_id}/model"}
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=f"{server}/api/v1", timeout=30) as own:
            answers.append(
                own.post("/registered-models/raced/versions", json=body, headers=headers)
            )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200] * 8
    assert {a.json()["version"] for a in answers} == {1}
    assert [v.version for v in client.search_model_versions("name = 'raced'")] == [1]


def test_a_malformed_key_is_refused_naming_the_header(http):
    answer = http.post("/registered-models", json={"name": "x"}, headers={"Idempotency-Key": "a b"})

    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()["message"]


def test_keys_are_forgotten_a_day_after_their_first_use(sqlite_uri):
    db = Database(sqlite_uri)
    db.ensure_schema(upgrade=True)
    now = [1_700_000_000.0]
    keys = IdempotencyService(db, clock=lambda: now[0])
    request = KeyedRequest("caller", "key-1", "POST", "/api/v1/runs", "0" * 64)
    answer = Answer(200, "application/json", b'{"run": 1}')
    keys.claim(request)
    keys.remember(request, answer)

    now[0] += KEEP_SECONDS - 60
    remembered = keys.claim(request)
    now[0] += 120
    forgotten = keys.claim(request)

    assert (remembered, forgotten) == (answer, None)
