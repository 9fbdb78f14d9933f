"""Webhooks: signed JSON events after commit, retried, never in the way of a change."""

from __future__ import annotations

import json

import pytest

from governance_fixtures import Receiver, receiver, version_with_metrics  # noqa: F401
from modelreg.errors import InvalidArgument, NotFound
from modelreg.webhooks import SIGNATURE_HEADER, verify_signature
from modelreg.webhooks.dispatch import RETRY_DELAYS

# ruff: noqa: F811  (fixtures imported above are parameters below)

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    """The receivers listen on loopback, which webhooks reach only where an admin allows it."""
    from conftest import LOOPBACK

    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)


def events_of(deliveries) -> list[tuple[str, int | None]]:
    return [(json.loads(d.body)["event"], json.loads(d.body)["version"]) for d in deliveries]


def test_version_creation_posts_a_created_event(client, receiver):
    client.create_registered_model("fraud")
    client.create_webhook(receiver.url, ["model_version.created"], SECRET)

    version_with_metrics(client, "fraud", {})

    event = json.loads(receiver.wait_for(1)[0].body)
    assert (event["event"], event["model_name"], event["version"]) == (
        "model_version.created",
        "fraud",
        1,
    )
    assert event["after"]["semver"] == "1.0.0"


def test_the_body_is_signed_with_hmac_sha256_of_the_secret(client, receiver):
    client.create_registered_model("fraud")
    client.create_webhook(receiver.url, ["*"], SECRET)

    version_with_metrics(client, "fraud", {})

    delivery = receiver.wait_for(1)[0]
    assert verify_signature(SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER])
    assert not verify_signature("another secret", delivery.body, delivery.headers[SIGNATURE_HEADER])


def test_stage_transition_alias_move_and_rollback_each_post_an_event(client, receiver):
    client.create_registered_model("fraud")
    for _ in range(2):
        version_with_metrics(client, "fraud", {})
    client.create_webhook(receiver.url, ["*"], SECRET)

    client.transition_model_version_stage("fraud", 1, "Production")
    client.transition_model_version_stage("fraud", 2, "Production")
    client.set_registered_model_alias("fraud", "champion", 2)
    client.rollback("fraud")

    assert sorted(events_of(receiver.wait_for(4))) == [
        ("model_version.alias_set", 2),
        ("model_version.stage_transitioned", 1),
        ("model_version.stage_transitioned", 2),
        ("registered_model.rolled_back", 1),
    ]


def test_the_event_is_sent_after_the_change_is_committed(client, receiver):
    client.create_registered_model("fraud")
    version_with_metrics(client, "fraud", {})
    client.create_webhook(receiver.url, ["model_version.stage_transitioned"], SECRET)
    receiver.on_request = lambda: client.get_model_version("fraud", 1).current_stage

    client.transition_model_version_stage("fraud", 1, "Staging")

    assert receiver.wait_for(1)[0].seen == "Staging"


def test_a_failing_receiver_neither_blocks_nor_undoes_the_change(client):
    failing = Receiver(statuses=[500] * 100)
    try:
        client.create_registered_model("fraud")
        version_with_metrics(client, "fraud", {})
        client.create_webhook(failing.url, ["model_version.stage_transitioned"], SECRET)

        moved = client.transition_model_version_stage("fraud", 1, "Production")

        # Returned before the retries were spent; the change stands.
        assert len(failing.deliveries) <= len(RETRY_DELAYS)
        assert moved.current_stage == "Production"
        failing.wait_for(1)
        assert client.get_model_version("fraud", 1).current_stage == "Production"
        failing.statuses.clear()  # let the next retry succeed, so nothing stays queued
        failing.wait_for(2)
    finally:
        failing.close()


def test_a_failed_delivery_is_retried_with_the_same_delivery_id(client):
    flaky = Receiver(statuses=[503, 500])
    try:
        client.create_registered_model("fraud")
        client.create_webhook(flaky.url, ["model_version.created"], SECRET)

        version_with_metrics(client, "fraud", {})

        deliveries = flaky.wait_for(3)
        assert len({d.headers["X-Modelreg-Delivery"] for d in deliveries}) == 1
        assert {d.body for d in deliveries} == {deliveries[0].body}
    finally:
        flaky.close()


def test_an_unreachable_receiver_does_not_fail_the_change(client, receiver):
    client.create_registered_model("fraud")
    client.create_webhook("http://127.0.0.1:9/nobody-listens", ["*"], SECRET)

    created = version_with_metrics(client, "fraud", {})

    assert client.get_model_version("fraud", created.version).semver == "1.0.0"


def test_a_webhook_only_gets_the_events_it_subscribed_to(client, receiver):
    everything = Receiver()
    try:
        client.create_registered_model("fraud")
        client.create_webhook(receiver.url, ["model_version.stage_transitioned"], SECRET)
        client.create_webhook(everything.url, ["*"], SECRET)

        version_with_metrics(client, "fraud", {})
        client.transition_model_version_stage("fraud", 1, "Staging")

        everything.wait_for(2)
        assert events_of(receiver.wait_for(1)) == [("model_version.stage_transitioned", 1)]
    finally:
        everything.close()


def test_a_model_scoped_webhook_ignores_other_models(client, receiver):
    everything = Receiver()
    try:
        for name in ("fraud", "churn"):
            client.create_registered_model(name)
        client.create_webhook(receiver.url, ["*"], SECRET, model_name="fraud")
        client.create_webhook(everything.url, ["*"], SECRET)

        version_with_metrics(client, "churn", {})
        version_with_metrics(client, "fraud", {})

        everything.wait_for(2)
        assert [json.loads(d.body)["model_name"] for d in receiver.wait_for(1)] == ["fraud"]
    finally:
        everything.close()


def test_create_webhook_never_returns_the_secret(client, receiver):
    hook = client.create_webhook(receiver.url, ["*"], SECRET, description="deploy bot")

    listed = client.list_webhooks()

    assert [h.webhook_id for h in listed] == [hook.webhook_id]
    assert SECRET not in json.dumps(listed[0].to_dict())
    assert client.get_webhook(hook.webhook_id).description == "deploy bot"


def test_a_deleted_webhook_is_gone(client, receiver):
    hook = client.create_webhook(receiver.url, ["*"], SECRET)

    client.delete_webhook(hook.webhook_id)

    assert client.list_webhooks() == []
    with pytest.raises(NotFound):
        client.get_webhook(hook.webhook_id)


@pytest.mark.parametrize(
    ("url", "events", "secret", "message"),
    [
        ("file:///etc/passwd", ["*"], SECRET, "http:// or https://"),
        ("http://127.0.0.1:1/x", ["model_version.deleted"], SECRET, "is not one of"),
        ("http://127.0.0.1:1/x", [], SECRET, "non-empty list"),
        ("http://127.0.0.1:1/x", ["*"], "", "secret"),
    ],
    ids=["scheme", "event", "no-events", "secret"],
)
def test_a_malformed_webhook_is_refused(client, url, events, secret, message):
    with pytest.raises(InvalidArgument, match=message):
        client.create_webhook(url, events, secret)


def test_creating_a_model_webhook_is_in_the_models_audit_trail(client, receiver):
    client.create_registered_model("fraud")

    client.create_webhook(receiver.url, ["*"], SECRET, model_name="fraud")

    event = client.get_history("fraud")[-1]
    assert (event.action, event.after["url"]) == ("create_webhook", receiver.url)
    assert SECRET not in json.dumps(event.after)


class SetClock:
    """A clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def now_ms(self) -> int:
        return int(self.seconds * 1000)

    def monotonic(self) -> float:
        return self.seconds


def test_a_webhook_made_by_another_process_is_seen_once_the_cached_list_expires(tmp_path, receiver):
    from modelreg.backend import EmbeddedBackend
    from modelreg.services.audit import audit_event
    from modelreg.webhooks.dispatch import CACHE_SECONDS, WebhookDispatcher

    url, artifacts = f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "artifacts")
    clock = SetClock()
    db = EmbeddedBackend(url, artifacts).db
    dispatcher = WebhookDispatcher(db, clock)

    def publish(version: int) -> None:
        with db.write() as conn:
            dispatcher.publish(
                conn, [audit_event(1, "fraud", "create_model_version", version, after={})]
            )

    publish(1)  # caches "no webhooks"
    governance = EmbeddedBackend(url, artifacts).governance
    hook = governance.create_webhook(receiver.url, ["*"], SECRET)

    clock.seconds += CACHE_SECONDS - 0.1
    publish(1)  # still the cached list
    clock.seconds += 0.2
    publish(2)

    assert events_of(receiver.wait_for(1)) == [("model_version.created", 2)]
    # Every delivery is written with its change: the log holds all there will ever be.
    logged = governance.list_webhook_deliveries(hook.webhook_id)
    assert [json.loads(d.body)["version"] for d in logged] == [2]


def test_webhooks_made_in_one_millisecond_are_listed_in_the_order_they_were_made(
    tmp_path, monkeypatch, receiver
):
    from modelreg import Client
    from modelreg.services import governance

    monkeypatch.setattr(governance, "now_ms", lambda: 1_700_000_000_000)
    client = Client(f"sqlite:///{tmp_path / 'r.db'}")

    made = [client.create_webhook(receiver.url, ["*"], SECRET).webhook_id for _ in range(8)]

    assert [hook.webhook_id for hook in client.list_webhooks()] == made


class BlackHole:
    """A server on loopback that takes connections and never answers: every delivery to it
    waits for the timeout."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def close(self) -> None:
        self.sock.close()


def test_a_receiver_that_never_answers_does_not_hold_up_the_others(tmp_path, receiver):
    from modelreg import Client
    from modelreg.webhooks.dispatch import PER_WEBHOOK, TIMEOUT_SECONDS, WORKERS

    client = Client(f"sqlite:///{tmp_path / 'r.db'}")
    dead = BlackHole()
    try:
        for name in ("stuck", "fine"):
            client.create_registered_model(name)
        client.create_webhook(dead.url, ["model_version.created"], SECRET, model_name="stuck")
        client.create_webhook(receiver.url, ["model_version.created"], SECRET, model_name="fine")
        # Enough to keep every thread waiting on the black hole for longer than wait_for's
        # 20 s, were its deliveries allowed all of them.
        backlog = int(20 / TIMEOUT_SECONDS + 2) * WORKERS
        for _ in range(backlog):
            version_with_metrics(client, "stuck", {})

        version_with_metrics(client, "fine", {})

        assert events_of(receiver.wait_for(1)) == [("model_version.created", 1)]
        assert PER_WEBHOOK < WORKERS
    finally:
        dead.close()  # its retries now fail at once
