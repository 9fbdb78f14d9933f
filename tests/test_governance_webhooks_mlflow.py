"""Webhooks in MLflow's format: MLflow's events, body and signature, for receivers written
for MLflow's server (the MLflow client's own calls are in tests/compat/scenarios_webhooks.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from governance_fixtures import Receiver, receiver, version_with_metrics  # noqa: F401
from modelreg.errors import InvalidArgument

# ruff: noqa: F811  (fixtures imported above are parameters below)

SECRET = "s3cret-for-tests"
MODEL_EVENTS = [
    "registered_model.created",
    "model_version.created",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
]


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    from conftest import LOOPBACK

    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)


def mlflow_hook(client, url, events, secret=SECRET, **kwargs):
    return client.create_webhook(url, events, secret, payload_format="mlflow", **kwargs)


def received(deliveries) -> list[tuple[str, dict]]:
    """(entity.action, data) of each delivery, in a stable order (they go out in parallel)."""
    out = []
    for d in deliveries:
        body = json.loads(d.body)
        out.append((f"{body['entity']}.{body['action']}", body["data"]))
    return sorted(out, key=lambda e: json.dumps(e, sort_keys=True))


def mlflow_signature(secret: str, headers: dict, body: bytes) -> str:
    """MLflow's documented signature, computed here independently of modelreg's code."""
    signed = f"{headers['X-MLflow-Delivery-Id']}.{headers['X-MLflow-Timestamp']}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_model_changes_are_posted_as_mlflow_events(client, receiver):
    mlflow_hook(client, receiver.url, MODEL_EVENTS)

    client.create_registered_model("fraud", description="flags fraud", tags={"team": "risk"})
    version = version_with_metrics(client, "fraud", {}, tags={"t": "v"}, description="first")
    client.set_model_version_tag("fraud", 1, "quality", "good")
    client.delete_model_version_tag("fraud", 1, "quality")
    client.set_registered_model_alias("fraud", "champion", 1)
    client.delete_registered_model_alias("fraud", "champion")

    assert received(receiver.wait_for(6)) == sorted(
        [
            (
                "registered_model.created",
                {"name": "fraud", "tags": {"team": "risk"}, "description": "flags fraud"},
            ),
            (
                "model_version.created",
                {
                    "name": "fraud",
                    "version": "1",
                    "source": version.source,
                    "run_id": version.run_id,
                    "tags": {"t": "v"},
                    "description": "first",
                },
            ),
            (
                "model_version_tag.set",
                {"name": "fraud", "version": "1", "key": "quality", "value": "good"},
            ),
            ("model_version_tag.deleted", {"name": "fraud", "version": "1", "key": "quality"}),
            ("model_version_alias.created", {"name": "fraud", "alias": "champion", "version": "1"}),
            ("model_version_alias.deleted", {"name": "fraud", "alias": "champion"}),
        ],
        key=lambda e: json.dumps(e, sort_keys=True),
    )


def test_an_mlflow_delivery_has_mlflows_envelope_headers_and_signature(client, receiver):
    mlflow_hook(client, receiver.url, ["registered_model.created"])

    client.create_registered_model("fraud")

    delivery = receiver.wait_for(1)[0]
    body = json.loads(delivery.body)
    assert (body["entity"], body["action"]) == ("registered_model", "created")
    assert body["timestamp"].endswith("+00:00") and "T" in body["timestamp"]
    assert delivery.headers["X-MLflow-Timestamp"].isdigit()
    expected = mlflow_signature(SECRET, delivery.headers, delivery.body)
    assert delivery.headers["X-MLflow-Signature"] == expected
    assert mlflow_signature("other", delivery.headers, delivery.body) != expected


def test_an_mlflow_webhook_without_a_secret_posts_unsigned(client, receiver):
    hook = mlflow_hook(client, receiver.url, ["registered_model.created"], secret=None)

    client.create_registered_model("fraud")

    assert hook.payload_format == "mlflow"
    delivery = receiver.wait_for(1)[0]
    assert "X-MLflow-Signature" not in delivery.headers
    assert delivery.headers["X-MLflow-Delivery-Id"]


def test_a_prompts_changes_are_prompt_events(client, receiver):
    mlflow_hook(client, receiver.url, ["*"])

    client.register_prompt("qa", "Answer {{question}}", tags={"k": "v"})
    client.set_registered_model_tag("qa", "owner", "me")
    client.set_model_version_tag("qa", 1, "quality", "good")
    client.set_registered_model_alias("qa", "prod", 1)

    events = dict(received(receiver.wait_for(5)))
    assert events["prompt.created"]["name"] == "qa"
    assert events["prompt_version.created"]["template"] == "Answer {{question}}"
    assert events["prompt_version.created"]["tags"] == {"k": "v"}
    assert events["prompt_tag.set"] == {"name": "qa", "key": "owner", "value": "me"}
    assert events["prompt_version_tag.set"]["key"] == "quality"
    assert events["prompt_alias.created"] == {"name": "qa", "alias": "prod", "version": "1"}


def test_a_models_tags_post_nothing_as_mlflow_has_no_such_event(client, receiver):
    client.create_registered_model("fraud")
    mlflow_hook(client, receiver.url, ["*"])

    client.set_registered_model_tag("fraud", "owner", "me")
    client.delete_registered_model_tag("fraud", "owner")
    version_with_metrics(client, "fraud", {})  # the positive control

    assert [e for e, _ in received(receiver.wait_for(1))] == ["model_version.created"]
    assert len(receiver.deliveries) == 1


def test_modelreg_format_webhooks_do_not_get_mlflows_extra_events(client, receiver):
    client.create_webhook(receiver.url, ["*"], SECRET)

    client.create_registered_model("fraud")
    client.set_registered_model_tag("fraud", "owner", "me")
    version_with_metrics(client, "fraud", {})  # the positive control
    client.set_model_version_tag("fraud", 1, "quality", "good")
    client.set_registered_model_alias("fraud", "champion", 1)

    events = [json.loads(d.body)["event"] for d in receiver.wait_for(2)]
    assert sorted(events) == ["model_version.alias_set", "model_version.created"]


@pytest.mark.parametrize(
    ("payload_format", "events"),
    [("mlflow", ["model_version.stage_transitioned"]), ("modelreg", ["model_version_tag.set"])],
)
def test_events_of_the_other_format_are_refused(client, receiver, payload_format, events):
    with pytest.raises(InvalidArgument, match="is not one of"):
        client.create_webhook(receiver.url, events, SECRET, payload_format=payload_format)


def test_an_unknown_payload_format_is_refused(client, receiver):
    with pytest.raises(InvalidArgument, match="payload_format"):
        client.create_webhook(receiver.url, ["*"], SECRET, payload_format="xml")


def test_a_test_delivery_in_mlflow_format_is_an_example_of_the_event(client):
    answering = Receiver(answer=b"ok")
    try:
        hook = mlflow_hook(client, answering.url, ["model_version_alias.created"])

        result = client.test_webhook(hook.webhook_id)

        assert (result.success, result.response_body) == (True, "ok")
        delivery = answering.wait_for(1)[0]
        body = json.loads(delivery.body)
        assert (body["entity"], body["action"]) == ("model_version_alias", "created")
        assert set(body["data"]) == {"name", "alias", "version"}
        expected = mlflow_signature(SECRET, delivery.headers, delivery.body)
        assert delivery.headers["X-MLflow-Signature"] == expected
    finally:
        answering.close()


# -- MLflow's REST endpoints on a live server -------------------------------------------


def test_mlflows_endpoints_do_not_show_modelreg_format_webhooks(live_server, receiver):
    from modelreg import Client

    own = Client(live_server).create_webhook(receiver.url, ["*"], SECRET)
    api = live_server + "/api/2.0/mlflow/webhooks"

    listed = httpx.get(api).json().get("webhooks", [])
    got = httpx.get(f"{api}/{own.webhook_id}")

    assert own.webhook_id not in [w["webhook_id"] for w in listed]
    assert (got.status_code, got.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    Client(live_server).delete_webhook(own.webhook_id)


def test_mlflows_webhook_list_pages(live_server, receiver):
    api = live_server + "/api/2.0/mlflow/webhooks"
    events = [{"entity": "MODEL_VERSION", "action": "CREATED"}]
    ids = [
        httpx.post(api, json={"name": f"h{i}", "url": receiver.url, "events": events}).json()[
            "webhook"
        ]["webhook_id"]
        for i in range(3)
    ]
    try:
        seen, token = [], None
        while True:
            params = {"max_results": 2, **({"page_token": token} if token else {})}
            page = httpx.get(api, params=params).json()
            seen += [w["webhook_id"] for w in page["webhooks"]]
            token = page.get("next_page_token")
            if not token:
                break
        assert [i for i in seen if i in ids] == ids
        bad = httpx.get(api, params={"page_token": "../x"})
        assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    finally:
        for webhook_id in ids:
            httpx.delete(f"{api}/{webhook_id}")


_EVENT = [{"entity": "MODEL_VERSION", "action": "CREATED"}]
_VALID = {"name": "h", "url": "https://x.example/h", "events": _EVENT}


def _but(**changes):
    """The valid creation body with ``changes`` (``None`` leaves a field out)."""
    return {k: v for k, v in {**_VALID, **changes}.items() if v is not None}


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"),
    [
        ("POST", "", _but(events="x"), "events"),
        ("POST", "", _but(events=["MODEL"]), "events"),
        ("POST", "", _but(events=[{"entity": 3}]), "events"),
        ("POST", "", _but(url=["https://x.example/h"]), "url"),
        ("POST", "", _but(name=None), "name"),
        ("POST", "", _but(name="h" * 300), "name"),
        ("POST", "", _but(status="ON"), "status"),
        ("POST", "", _but(secret={}), "secret"),
        ("PATCH", "/{id}", {"events": [{"entity": "MODEL_VERSION", "action": "DELETED"}]},
         "model_version.deleted"),
        ("POST", "/{id}/test", {"event": "MODEL_VERSION.CREATED"}, "event"),
        ("POST", "/{id}/test", {"event": {"entity": "MODEL_VERSION"}}, "event"),
        ("GET", "", {"max_results": "many"}, "max_results"),
        ("GET", "", {"page_token": "9" * 30}, "page_token"),
    ],
)  # fmt: skip
def test_a_malformed_mlflow_webhook_request_is_a_400_naming_the_field(
    live_server, method, suffix, body, field
):
    api = live_server + "/api/2.0/mlflow/webhooks"
    webhook_id = httpx.post(api, json=_VALID).json()["webhook"]["webhook_id"]
    try:
        url = api + suffix.replace("{id}", webhook_id)
        if method == "GET":
            response = httpx.get(url, params=body)
        else:
            response = httpx.request(method, url, json=body)

        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert field in response.json()["message"]
        got = httpx.get(f"{api}/{webhook_id}").json()["webhook"]
        assert got["events"] == _EVENT  # nothing half-written
    finally:
        httpx.delete(f"{api}/{webhook_id}")
