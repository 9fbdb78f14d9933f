"""Managing webhooks after they exist: update, turn off and on, send a test delivery."""

from __future__ import annotations

import json
import time

import pytest

from governance_fixtures import Receiver, receiver, version_with_metrics  # noqa: F401
from modelreg.errors import InvalidArgument, NotFound
from modelreg.webhooks import SIGNATURE_HEADER, verify_signature
from modelreg.webhooks.dispatch import RETRY_DELAYS

# ruff: noqa: F811  (fixtures imported above are parameters below)

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    from conftest import LOOPBACK

    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)


def versions_in(deliveries) -> list[int]:
    return [json.loads(d.body)["version"] for d in deliveries]


def test_a_disabled_webhook_gets_nothing_until_it_is_enabled_again(client, receiver):
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET, status="DISABLED")
    version_with_metrics(client, "fraud", {})

    enabled = client.update_webhook(hook.webhook_id, status="ACTIVE")
    version_with_metrics(client, "fraud", {})

    assert (hook.status, enabled.status) == ("DISABLED", "ACTIVE")
    assert versions_in(receiver.wait_for(1)) == [2]


def test_disabling_a_webhook_stops_its_deliveries(client, receiver):
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)
    version_with_metrics(client, "fraud", {})
    receiver.wait_for(1)

    client.update_webhook(hook.webhook_id, status="DISABLED")
    version_with_metrics(client, "fraud", {})
    client.update_webhook(hook.webhook_id, status="ACTIVE")
    version_with_metrics(client, "fraud", {})

    assert versions_in(receiver.wait_for(2)) == [1, 3]


def test_an_update_changes_the_given_fields_and_keeps_the_others(client, receiver):
    hook = client.create_webhook(
        receiver.url, ["model_version.created"], SECRET, description="deploy bot", name="ci"
    )

    updated = client.update_webhook(hook.webhook_id, events=["model_version.alias_set"], name="cd")

    assert client.get_webhook(hook.webhook_id) == updated
    assert (updated.events, updated.name) == (("model_version.alias_set",), "cd")
    assert (updated.url, updated.description, updated.status) == (
        receiver.url,
        "deploy bot",
        "ACTIVE",
    )
    assert updated.creation_timestamp == hook.creation_timestamp
    assert updated.last_updated_timestamp >= hook.last_updated_timestamp


def test_an_empty_description_clears_it(client, receiver):
    hook = client.create_webhook(receiver.url, ["*"], SECRET, description="deploy bot")

    assert client.update_webhook(hook.webhook_id, description="").description is None


def test_deliveries_after_a_secret_change_are_signed_with_the_new_secret(client, receiver):
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["model_version.created"], SECRET)

    client.update_webhook(hook.webhook_id, secret="the-new-secret")
    version_with_metrics(client, "fraud", {})

    delivery = receiver.wait_for(1)[0]
    assert verify_signature("the-new-secret", delivery.body, delivery.headers[SIGNATURE_HEADER])
    assert not verify_signature(SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "ftp://example.com/x"}, "http:// or https://"),
        ({"events": ["model_version.deleted"]}, "is not one of"),
        ({"events": []}, "non-empty list"),
        ({"status": "PAUSED"}, "status"),
        ({"secret": ""}, "secret"),
        ({"name": "n" * 300}, "webhook name"),
    ],
    ids=["url", "event", "no-events", "status", "secret", "name"],
)
def test_a_malformed_update_is_refused_and_changes_nothing(client, receiver, change, message):
    hook = client.create_webhook(receiver.url, ["*"], SECRET, name="ci")

    with pytest.raises(InvalidArgument, match=message):
        client.update_webhook(hook.webhook_id, description="never stored", **change)

    assert client.get_webhook(hook.webhook_id) == hook


def test_updating_a_missing_webhook_is_not_found(client):
    with pytest.raises(NotFound):
        client.update_webhook("0" * 32, name="x")


def test_an_update_is_in_the_audit_trail_without_the_secret(client, receiver):
    client.create_registered_model("fraud")
    hook = client.create_webhook(receiver.url, ["*"], SECRET, model_name="fraud")

    client.update_webhook(hook.webhook_id, status="DISABLED", secret="the-new-secret")

    event = client.get_history("fraud")[-1]
    assert (event.action, event.before["status"], event.after["status"]) == (
        "update_webhook",
        "ACTIVE",
        "DISABLED",
    )
    assert "the-new-secret" not in json.dumps([event.before, event.after])


def test_a_test_delivery_reports_what_the_receiver_answered(client):
    answering = Receiver(answer=b"thanks")
    try:
        hook = client.create_webhook(answering.url, ["model_version.created"], SECRET)

        result = client.test_webhook(hook.webhook_id)

        assert (result.success, result.response_status, result.response_body) == (
            True,
            200,
            "thanks",
        )
        delivery = answering.wait_for(1)[0]
        body = json.loads(delivery.body)
        assert (body["event"], body["test"]) == ("model_version.created", True)
        assert verify_signature(SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER])
    finally:
        answering.close()


def test_a_test_delivery_to_a_failing_receiver_is_reported_once_not_retried(client):
    failing = Receiver(statuses=[500] * 10)
    try:
        hook = client.create_webhook(failing.url, ["*"], SECRET)

        result = client.test_webhook(hook.webhook_id, "model_version.alias_set")

        assert (result.success, result.response_status) == (False, 500)
        assert json.loads(failing.wait_for(1)[0].body)["event"] == "model_version.alias_set"
        failing.statuses.clear()  # a retry would now succeed and be recorded
        time.sleep(RETRY_DELAYS[0] * 1.25 + 0.2)  # past the first retry's time
        version_with_metrics(client, client.create_registered_model("fraud").name, {})
        assert [json.loads(d.body)["event"] for d in failing.wait_for(2)] == [
            "model_version.alias_set",
            "model_version.created",
        ]
    finally:
        failing.close()


def test_a_test_delivery_to_nobody_says_why(client, receiver):
    from conftest import free_port

    hook = client.create_webhook(f"http://127.0.0.1:{free_port()}/x", ["*"], SECRET)

    result = client.test_webhook(hook.webhook_id)

    assert (result.success, result.response_status) == (False, None)
    assert "could not deliver" in result.error_message


def test_a_test_delivery_of_an_event_of_another_format_is_refused(client, receiver):
    hook = client.create_webhook(receiver.url, ["*"], SECRET)

    with pytest.raises(InvalidArgument, match="is not one of"):
        client.test_webhook(hook.webhook_id, "model_version_alias.created")


def test_testing_a_missing_webhook_is_not_found(client):
    with pytest.raises(NotFound):
        client.test_webhook("0" * 32)
