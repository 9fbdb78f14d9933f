"""``modelreg webhooks list|show|create|update|test|delete``: webhooks from the command line."""

from __future__ import annotations

import json
import time

import pytest

from governance_fixtures import Receiver, receiver  # noqa: F401
from modelreg.webhooks import SIGNATURE_HEADER, verify_signature

# ruff: noqa: F811  (fixtures imported above are parameters below)

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def _loopback_and_secret(monkeypatch):
    from conftest import LOOPBACK

    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)
    monkeypatch.setenv("MODELREG_WEBHOOK_SECRET", SECRET)


def test_create_takes_the_secret_from_the_environment_and_never_prints_it(invoke, lib, receiver):
    lib.create_registered_model("fraud")
    result = invoke(
        "webhooks", "create", receiver.url, "--event", "registered_model.created", "--format",
        "mlflow", "--name", "ci", "--json",
    )  # fmt: skip

    hook = json.loads(result.stdout)
    assert (hook["name"], hook["payload_format"], hook["events"]) == (
        "ci",
        "mlflow",
        ["registered_model.created"],
    )
    assert SECRET not in result.output
    assert lib.test_webhook(hook["webhook_id"]).success
    delivery = receiver.wait_for(1)[0]
    assert delivery.headers["X-MLflow-Signature"].startswith("v1,")


def test_list_and_show_print_what_exists(invoke, lib, receiver):
    hook = lib.create_webhook(receiver.url, ["*"], SECRET, name="deploy-bot")

    listed = invoke("webhooks", "list")
    shown = invoke("webhooks", "show", hook.webhook_id)

    assert hook.webhook_id in listed.stdout and "ACTIVE" in listed.stdout
    assert "deploy-bot" in shown.stdout and "every model" in shown.stdout


def test_update_disables_and_enables(invoke, lib, receiver):
    hook = lib.create_webhook(receiver.url, ["*"], SECRET)

    invoke("webhooks", "update", hook.webhook_id, "--disable")
    off = lib.get_webhook(hook.webhook_id).status
    invoke("webhooks", "update", hook.webhook_id, "--enable", "--event", "model_version.created")

    assert off == "DISABLED"
    on = lib.get_webhook(hook.webhook_id)
    assert (on.status, on.events) == ("ACTIVE", ("model_version.created",))


def test_test_prints_the_answer_and_exits_0_when_delivered(invoke, lib):
    answering = Receiver(answer=b"thanks")
    try:
        hook = lib.create_webhook(answering.url, ["*"], SECRET)

        result = invoke("webhooks", "test", hook.webhook_id, "--json")

        assert result.exit_code == 0
        assert json.loads(result.stdout)["response_body"] == "thanks"
        delivery = answering.wait_for(1)[0]
        assert verify_signature(SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER])
    finally:
        answering.close()


def test_test_exits_1_when_the_receiver_fails(invoke, lib):
    failing = Receiver(statuses=[503])
    try:
        hook = lib.create_webhook(failing.url, ["*"], SECRET)

        result = invoke("webhooks", "test", hook.webhook_id)

        assert result.exit_code == 1
        assert "503" in result.stdout
    finally:
        failing.close()


def test_delete_removes_it_and_a_missing_one_fails(invoke, lib, receiver):
    hook = lib.create_webhook(receiver.url, ["*"], SECRET)

    deleted = invoke("webhooks", "delete", hook.webhook_id)
    again = invoke("webhooks", "delete", hook.webhook_id)

    assert deleted.exit_code == 0 and lib.list_webhooks() == []
    assert again.exit_code != 0 and hook.webhook_id in again.output


def test_create_refuses_an_unknown_event_naming_it(invoke, receiver):
    result = invoke("webhooks", "create", receiver.url, "--event", "model.exploded")

    assert result.exit_code != 0
    assert "model.exploded" in result.output


def test_deliveries_lists_what_was_sent_and_redeliver_sends_it_again(invoke, lib, receiver):
    lib.create_registered_model("fraud")
    hook = lib.create_webhook(receiver.url, ["model_version.created"], SECRET)
    run_id = lib.create_run("0").info.run_id
    lib.create_model_version("fraud", f"runs:/{run_id}/model")
    receiver.wait_for(1)
    deadline = time.monotonic() + 20
    while lib.list_webhook_deliveries(hook.webhook_id)[0].status == "pending":
        assert time.monotonic() < deadline
        time.sleep(0.05)

    listed = invoke("webhooks", "deliveries", hook.webhook_id, "--json")
    [delivery] = json.loads(listed.stdout)
    again = invoke("webhooks", "redeliver", hook.webhook_id, delivery["delivery_id"])

    assert (delivery["event"], delivery["status"]) == ("model_version.created", "delivered")
    assert again.exit_code == 0
    assert receiver.wait_for(2)[1].body == receiver.deliveries[0].body
