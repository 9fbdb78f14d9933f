"""The delivery log of a webhook: what was sent and how it went, redelivery, and deliveries
left pending by a process that stopped."""

from __future__ import annotations

import json
import time

import pytest

from governance_fixtures import Receiver, receiver, version_with_metrics  # noqa: F401
from modelreg.errors import InvalidArgument, NotFound

# ruff: noqa: F811  (fixtures imported above are parameters below)

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    from conftest import LOOPBACK

    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)


def settled(client, webhook_id, count=1, timeout=20.0, max_results=20):
    """The log once ``count`` deliveries are no longer pending (the log is written after
    the receiver answered, so a test that saw the POST waits for it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = client.list_webhook_deliveries(webhook_id, max_results)
        done = [d for d in found if d.status != "pending"]
        if len(done) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_delivered_event_is_logged_with_the_receivers_answer(client, receiver):
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)

    version_with_metrics(client, "fraud", {})

    sent = receiver.wait_for(1)[0]
    [logged] = settled(client, hook.webhook_id)
    assert (logged.event, logged.status, logged.attempts, logged.response_status) == (
        "model_version.created",
        "delivered",
        1,
        200,
    )
    assert logged.body == sent.body.decode()
    assert logged.delivery_id == sent.headers["X-Modelreg-Delivery"]
    assert SECRET not in json.dumps(logged.to_dict())


def test_a_retried_delivery_counts_its_attempts(client):
    flaky = Receiver(statuses=[503])
    try:
        client.create_registered_model("fraud")
        hook = client.create_webhook(flaky.url, ["model_version.created"], SECRET)

        version_with_metrics(client, "fraud", {})

        flaky.wait_for(2)
        deadline = time.monotonic() + 20
        while (logged := client.list_webhook_deliveries(hook.webhook_id)[0]).status != "delivered":
            assert time.monotonic() < deadline, logged
            time.sleep(0.05)
        assert (logged.attempts, logged.response_status) == (2, 200)
    finally:
        flaky.close()


def test_an_answer_that_is_not_retried_is_logged_as_failed(client):
    gone = Receiver(statuses=[410])
    try:
        client.create_registered_model("fraud")
        hook = client.create_webhook(gone.url, ["model_version.created"], SECRET)

        version_with_metrics(client, "fraud", {})

        [logged] = settled(client, hook.webhook_id)
        assert (logged.status, logged.attempts, logged.response_status) == ("failed", 1, 410)
    finally:
        gone.close()


def test_the_log_lists_the_newest_first(client, receiver):
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)
    for _ in range(3):
        version_with_metrics(client, "fraud", {})

    logged = settled(client, hook.webhook_id, 3)

    assert [json.loads(d.body)["version"] for d in logged] == [3, 2, 1]
    assert len(client.list_webhook_deliveries(hook.webhook_id, max_results=2)) == 2


class _StillClock:
    """A clock that stands at one millisecond."""

    def now_ms(self) -> int:
        return 1_700_000_000_000

    def monotonic(self) -> float:
        return 0.0


def test_deliveries_logged_in_one_millisecond_are_listed_newest_first(tmp_path, receiver):
    from modelreg.backend import EmbeddedBackend
    from modelreg.services.audit import audit_event
    from modelreg.webhooks.dispatch import WebhookDispatcher

    backend = EmbeddedBackend(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "artifacts"))
    hook = backend.governance.create_webhook(receiver.url, ["*"], SECRET)
    dispatcher = WebhookDispatcher(backend.db, _StillClock())

    for version in range(1, 9):
        with backend.db.write() as conn:
            event = audit_event(1, "fraud", "create_model_version", version, after={})
            dispatcher.publish(conn, [event])

    logged = backend.governance.list_webhook_deliveries(hook.webhook_id)
    assert [json.loads(d.body)["version"] for d in logged] == list(range(8, 0, -1))


def test_redelivery_sends_the_same_body_and_delivery_id_again(client, receiver):
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)
    version_with_metrics(client, "fraud", {})
    [first] = settled(client, hook.webhook_id)

    again = client.redeliver_webhook(hook.webhook_id, first.delivery_id)

    assert again.status == "pending"
    original, repeat = receiver.wait_for(2)
    assert repeat.body == original.body
    assert repeat.headers["X-Modelreg-Delivery"] == original.headers["X-Modelreg-Delivery"]
    deadline = time.monotonic() + 20
    while (logged := client.list_webhook_deliveries(hook.webhook_id)[0]).attempts < 2:
        assert time.monotonic() < deadline, logged
        time.sleep(0.05)
    assert logged.status == "delivered"


def test_an_unknown_delivery_or_webhook_is_not_found(client, receiver):
    hook = client.create_webhook(receiver.url, ["*"], SECRET)

    with pytest.raises(NotFound):
        client.redeliver_webhook(hook.webhook_id, "0" * 32)
    with pytest.raises(NotFound):
        client.list_webhook_deliveries("0" * 32)


def test_a_malformed_delivery_id_is_refused_naming_it(client, receiver):
    hook = client.create_webhook(receiver.url, ["*"], SECRET)

    with pytest.raises(InvalidArgument, match="delivery_id must be a delivery's id"):
        client.redeliver_webhook(hook.webhook_id, "d" * 40)


@pytest.mark.parametrize("max_results", [0, 101])
def test_max_results_outside_1_to_100_is_refused(client, receiver, max_results):
    hook = client.create_webhook(receiver.url, ["*"], SECRET)

    with pytest.raises(InvalidArgument, match="max_results"):
        client.list_webhook_deliveries(hook.webhook_id, max_results=max_results)


def test_the_log_keeps_a_webhooks_newest_deliveries(tmp_path, monkeypatch, receiver):
    from sqlalchemy import func, select

    from modelreg import Client
    from modelreg.store.database import Database
    from modelreg.store.schema import webhook_deliveries
    from modelreg.webhooks import dispatch

    monkeypatch.setattr(dispatch, "LOG_KEEP", 2)
    client = Client(f"sqlite:///{tmp_path / 'r.db'}")
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)
    for _ in range(4):
        version_with_metrics(client, "fraud", {})
    receiver.wait_for(4)

    logged = settled(client, hook.webhook_id, 2, max_results=2)
    dispatch._log_writer.flush(10)  # trims run on the log's thread, after the change

    assert [json.loads(d.body)["version"] for d in logged] == [4, 3]
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_deliveries)).scalar() == 2
    db.dispose()


class _LaterClock:
    """The system clock, moved ``seconds`` ahead."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def now_ms(self) -> int:
        return int((time.time() + self.seconds) * 1000)

    def monotonic(self) -> float:
        return time.monotonic() + self.seconds


def _abandoned_delivery(url: str, artifacts: str, receiver_url: str, monkeypatch) -> str:
    """A delivery its process queued and logged but never sent (as if it stopped)."""
    from modelreg import Client
    from modelreg.webhooks import dispatch

    client = Client(url, artifacts_uri=artifacts) if artifacts else Client(url)
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver_url, ["model_version.created"], SECRET)
    with monkeypatch.context() as patch:
        patch.setattr(dispatch._pool, "submit", lambda *args, **kwargs: None)
        version_with_metrics(client, "fraud", {})
    [pending] = client.list_webhook_deliveries(hook.webhook_id)
    assert pending.status == "pending"
    return hook.webhook_id


def test_a_delivery_left_pending_is_sent_by_the_next_process_once_its_claim_ran_out(
    tmp_path, monkeypatch, receiver
):
    from modelreg.backend import EmbeddedBackend
    from modelreg.webhooks.dispatch import CLAIM_MS, WebhookDispatcher

    url = f"sqlite:///{tmp_path / 'r.db'}"
    webhook_id = _abandoned_delivery(url, "", receiver.url, monkeypatch)
    db = EmbeddedBackend(url, str(tmp_path / "artifacts")).db

    too_early = WebhookDispatcher(db, _LaterClock(CLAIM_MS / 1000 - 5)).resume()
    later = WebhookDispatcher(db, _LaterClock(CLAIM_MS / 1000 + 1))
    resumed, again = later.resume(), later.resume()

    assert (too_early, resumed, again) == (0, 1, 0)
    assert json.loads(receiver.wait_for(1)[0].body)["version"] == 1
    from modelreg import Client

    deadline = time.monotonic() + 20
    while (logged := Client(url).list_webhook_deliveries(webhook_id)[0]).status == "pending":
        assert time.monotonic() < deadline, logged
        time.sleep(0.05)
    assert (logged.status, logged.attempts) == ("delivered", 1)


def test_a_starting_server_sends_what_a_stopped_one_left_pending(tmp_path, monkeypatch, receiver):
    from conftest import LOOPBACK, server_env, start_server, stop_server
    from modelreg.store.database import Database
    from modelreg.store.schema import webhook_deliveries

    url = f"sqlite:///{tmp_path / 'r.db'}"
    _abandoned_delivery(url, "", receiver.url, monkeypatch)
    db = Database(url)
    with db.write() as conn:  # the claim of the stopped process has run out
        conn.execute(webhook_deliveries.update().values(claimed_until=0))
    db.dispose()

    env = {**server_env(), "MODELREG_WEBHOOK_ALLOWED_NETWORKS": LOOPBACK}
    process, _ = start_server(url, str(tmp_path / "artifacts"), env=env)
    try:
        assert json.loads(receiver.wait_for(1)[0].body)["version"] == 1
    finally:
        stop_server(process)


# Makes a version in a process that dies the moment the version's transaction commits.
_DIES_AT_COMMIT = """
import os, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from modelreg import Client

client = Client(sys.argv[1])
run_id = client.create_run("0").info.run_id
audited = False

@event.listens_for(Engine, "after_cursor_execute")
def die_once_audited(conn, cursor, statement, parameters, context, executemany):
    global audited
    audited = audited or statement.startswith("INSERT INTO audit_events")
    if audited and statement == "COMMIT":
        os._exit(0)

client.create_model_version("fraud", f"runs:/{run_id}/model")
os._exit(3)
"""


@pytest.mark.parametrize("tracking_uri", ["sqlite", "postgres"], indirect=True)
def test_a_process_that_dies_as_its_change_commits_leaves_the_delivery_to_the_next(
    tracking_uri, receiver
):
    import subprocess
    import sys

    from modelreg import Client
    from modelreg.store.database import Database
    from modelreg.webhooks.dispatch import CLAIM_MS, WebhookDispatcher

    client = Client(tracking_uri)
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)

    died = subprocess.run([sys.executable, "-c", _DIES_AT_COMMIT, tracking_uri], timeout=120)

    assert died.returncode == 0
    assert client.get_model_version("fraud", 1).version == 1  # the change committed
    resumed = WebhookDispatcher(Database(tracking_uri), _LaterClock(CLAIM_MS / 1000 + 1)).resume()
    assert resumed == 1
    assert json.loads(receiver.wait_for(1)[0].body)["version"] == 1
    assert [d.status for d in settled(client, hook.webhook_id)] == ["delivered"]


def test_a_change_that_rolls_back_leaves_no_delivery(tmp_path, receiver):
    from modelreg import Client
    from modelreg.errors import PolicyViolation

    client = Client(f"sqlite:///{tmp_path / 'r.db'}")
    client.create_registered_model("fraud")
    version_with_metrics(client, "fraud", {})
    hook = client.create_webhook(receiver.url, ["model_version.stage_transitioned"], SECRET)
    client.set_promotion_policy("fraud", {"Staging": {"thresholds": ["auc >= 0.9"]}})

    with pytest.raises(PolicyViolation):
        client.transition_model_version_stage("fraud", 1, "Staging")
    client.transition_model_version_stage("fraud", 1, "Production")  # the positive control

    assert [json.loads(d.body)["after"] for d in receiver.wait_for(1)] == [
        {"current_stage": "Production"}
    ]
    assert len(client.list_webhook_deliveries(hook.webhook_id)) == 1


def test_deleting_a_webhook_deletes_its_log(tmp_path, receiver):
    from sqlalchemy import func, select

    from modelreg import Client
    from modelreg.store.database import Database
    from modelreg.store.schema import webhook_deliveries

    url = f"sqlite:///{tmp_path / 'r.db'}"
    client = Client(url)
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)
    version_with_metrics(client, "fraud", {})
    settled(client, hook.webhook_id)

    client.delete_webhook(hook.webhook_id)

    db = Database(url)
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_deliveries)).scalar() == 0
    db.dispose()


@pytest.mark.parametrize("tracking_uri", ["sqlite", "postgres"], indirect=True)
def test_two_processes_resuming_at_once_send_each_left_delivery_once(
    tracking_uri, monkeypatch, receiver
):
    import threading

    from modelreg import Client
    from modelreg.store.database import Database
    from modelreg.webhooks import dispatch
    from modelreg.webhooks.dispatch import CLAIM_MS, WebhookDispatcher

    client = Client(tracking_uri)
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)
    with monkeypatch.context() as patch:  # the process stops before sending anything
        patch.setattr(dispatch._pool, "submit", lambda *args, **kwargs: None)
        for _ in range(6):
            version_with_metrics(client, "fraud", {})
    later = _LaterClock(CLAIM_MS / 1000 + 1)
    dispatchers = [WebhookDispatcher(Database(tracking_uri), later) for _ in range(2)]
    start, counts = threading.Barrier(2), []

    def resume(d: WebhookDispatcher) -> None:
        start.wait()
        counts.append(d.resume())

    threads = [threading.Thread(target=resume, args=(d,)) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    version_with_metrics(client, "fraud", {})  # the positive control

    assert sorted(counts) in ([0, 6], [1, 5], [2, 4], [3, 3])
    receiver.wait_for(7)
    dispatch._pool.drain(20)  # every queued send has finished
    versions = sorted(json.loads(d.body)["version"] for d in receiver.deliveries)
    assert versions == [1, 2, 3, 4, 5, 6, 7]
    assert {d.status for d in settled(client, hook.webhook_id, 7)} == {"delivered"}


def test_a_locked_database_holds_up_the_log_not_the_deliveries(tmp_path, receiver):
    import sqlite3

    from modelreg import Client
    from modelreg.backend import EmbeddedBackend
    from modelreg.store.webhook_deliveries import delivery_rows
    from modelreg.webhooks import dispatch

    url = f"sqlite:///{tmp_path / 'r.db'}"
    client = Client(url)
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)
    for _ in range(2 * dispatch.WORKERS):
        version_with_metrics(client, "fraud", {})
    receiver.wait_for(2 * dispatch.WORKERS)
    dispatch._log_writer.flush(20)
    dispatcher = EmbeddedBackend(url, str(tmp_path / "artifacts")).webhooks
    with dispatcher.db.read() as conn:
        logged = delivery_rows(conn, hook.webhook_id, 100)
    writer = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process writing for a long time
    try:
        for row in logged:  # each one's log update waits for the lock
            delivery = dispatch._Delivery.from_log({**row, "attempts": 0})
            dispatch._pool.submit(lambda d=delivery: dispatcher._send(d))

        # More sends than delivery threads went out while the lock is still held.
        assert len(receiver.wait_for(4 * dispatch.WORKERS)) == 4 * dispatch.WORKERS
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    dispatch._log_writer.flush(20)
    assert {d.attempts for d in client.list_webhook_deliveries(hook.webhook_id)} == {2}
