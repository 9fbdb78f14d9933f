"""MLflow's webhooks (MLflow 3.3+) through the MLflow client: managing them, testing them,
and the deliveries a receiver on loopback gets for registry changes.

Both servers must be allowed to post to loopback over http (MLflow:
``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS``, ``MLFLOW_WEBHOOK_ALLOWED_SCHEMES``;
modelreg: ``MODELREG_WEBHOOK_ALLOWED_NETWORKS``); MLflow's cached webhook
list must expire within a second (``MLFLOW_WEBHOOK_CACHE_TTL=1``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time
from typing import Any

import mlflow
from compat_support import outcome, scenario
from mlflow import MlflowClient

SECRET = "compat-s3cret"
EVENTS = [
    "registered_model.created",
    "model_version.created",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
    "prompt.created",
    "prompt_version.created",
    "prompt_tag.set",
    "prompt_version_tag.set",
    "prompt_alias.created",
]


class _Receiver:
    """An HTTP server on loopback that keeps every POST (500 for paths under /fail)."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, dict(self.headers), body))
                self.send_response(500 if self.path.startswith("/fail") else 200)
                self.end_headers()
                self.wfile.write(b"received")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # anything more that was on its way


def _hook_view(hook: Any) -> dict[str, Any]:
    return {
        "name": hook.name,
        "url_path": hook.url.split("/", 3)[-1],
        "events": sorted(str(e) for e in hook.events),
        "description": hook.description,
        "status": str(hook.status),
        "updated_after_creation": hook.last_updated_timestamp >= hook.creation_timestamp,
    }


def _result_view(result: Any) -> dict[str, Any]:
    return {
        "success": result.success,
        "response_status": result.response_status,
        "response_body": result.response_body,
        "error": result.error_message is not None,
    }


def _signed(headers: dict[str, str], body: bytes) -> bool:
    """Whether MLflow's signature header signs this delivery with SECRET."""
    delivery, stamp = headers.get("X-MLflow-Delivery-Id"), headers.get("X-MLflow-Timestamp")
    signature = headers.get("X-MLflow-Signature", "")
    if not delivery or not (stamp or "").isdigit() or not signature.startswith("v1,"):
        return False
    content = f"{delivery}.{stamp}.{body.decode()}".encode()
    expected = base64.b64encode(hmac.new(SECRET.encode(), content, hashlib.sha256).digest())
    return hmac.compare_digest(signature[3:].encode(), expected)


def _delivery_view(path: str, headers: dict[str, str], body: bytes, run_id: str) -> dict:
    event = json.loads(body)
    data = json.loads(json.dumps(event["data"]).replace(run_id, "<run>"))
    return {
        "path": path,
        "entity": event["entity"],
        "action": event["action"],
        "iso_timestamp": "T" in event["timestamp"] and event["timestamp"].endswith("+00:00"),
        "data": data,
        "signed": _signed(headers, body),
    }


@scenario
def webhooks(uri: str) -> dict:
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    receiver = _Receiver()
    out: dict[str, Any] = {}

    hook = client.create_webhook(
        name="registry-hook",
        url=receiver.url + "/hooks/registry",
        events=EVENTS,
        description="tells CI",
        secret=SECRET,
    )
    out["created"] = _hook_view(hook)
    out["got"] = _hook_view(client.get_webhook(hook.webhook_id))
    failing = client.create_webhook(
        name="failing", url=receiver.url + "/fail", events=["model_version.created"]
    )
    ours = {hook.webhook_id, failing.webhook_id}
    out["listed"] = sorted(
        _hook_view(w)["name"] for w in client.list_webhooks() if w.webhook_id in ours
    )
    out["disabled"] = _hook_view(client.update_webhook(hook.webhook_id, status="DISABLED"))
    time.sleep(1.5)  # MLflow's cached webhook list expires
    client.create_registered_model("wh-silent")  # the webhook is off: nothing is sent
    out["enabled"] = _hook_view(
        client.update_webhook(hook.webhook_id, status="ACTIVE", description="")
    )
    out["renamed"] = _hook_view(client.update_webhook(hook.webhook_id, name="renamed-hook"))

    tests_sent = len(receiver.received)
    out["test"] = _result_view(client.test_webhook(hook.webhook_id))
    out["test_tag_set"] = _result_view(
        client.test_webhook(hook.webhook_id, event="model_version_tag.set")
    )
    out["test_failing"] = _result_view(client.test_webhook(failing.webhook_id))
    # MLflow's server retries a failed test delivery; modelreg reports the first answer.
    out["test_deliveries"] = [
        (path, json.loads(body)["entity"], json.loads(body)["action"], _signed(headers, body))
        for path, headers, body in receiver.received[tests_sent:]
        if path != "/fail"
    ]
    client.delete_webhook(failing.webhook_id)

    missing = "0123456789abcdef0123456789abcdef"
    out["errors"] = {
        "unknown_action": outcome(
            lambda: client.create_webhook("x", receiver.url, events=["model_version.deleted"])
        ),
        "empty_name": outcome(
            lambda: client.create_webhook("", receiver.url, events=["model_version.created"])
        ),
        "not_http": outcome(
            lambda: client.create_webhook("x", "ftp://example.com/h", ["model_version.created"])
        ),
        "get_missing": outcome(lambda: client.get_webhook(missing)),
        "update_missing": outcome(lambda: client.update_webhook(missing, name="y")),
        "delete_missing": outcome(lambda: client.delete_webhook(missing)),
        "get_deleted": outcome(lambda: client.get_webhook(failing.webhook_id)),
    }

    time.sleep(1.5)  # MLflow's cached webhook list expires
    before = len(receiver.received)
    experiment_id = client.create_experiment("wh-experiment")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "weights", "model/weights.txt")
    client.create_registered_model("wh-model", tags={"team": "fraud"}, description="d")
    client.create_model_version(
        "wh-model", f"runs:/{run_id}/model", run_id=run_id, tags={"t": "v"}, description="vd"
    )
    client.set_model_version_tag("wh-model", "1", "quality", "good")
    client.delete_model_version_tag("wh-model", "1", "quality")
    client.set_registered_model_alias("wh-model", "champion", "1")
    client.delete_registered_model_alias("wh-model", "champion")
    client.set_registered_model_tag("wh-model", "owner", "me")  # MLflow has no event for it
    mlflow.genai.register_prompt(name="wh-prompt", template="Hello {{name}}", tags={"k": "v"})
    client.set_prompt_tag("wh-prompt", "owner", "me")
    client.set_prompt_version_tag("wh-prompt", "1", "quality", "good")
    mlflow.genai.set_prompt_alias("wh-prompt", alias="prod", version=1)
    # 12 events: the model's 6, and the prompt's created, version created, 2 tags set
    # (MLflow's client adds one, _mlflow_experiment_ids), a version tag set and an alias.
    receiver.wait_for(before + 12)
    out["deliveries"] = sorted(
        (_delivery_view(*r, run_id) for r in receiver.received[before:]),
        key=lambda d: json.dumps(d, sort_keys=True),
    )
    client.delete_webhook(hook.webhook_id)
    out["deleted"] = outcome(lambda: client.get_webhook(hook.webhook_id))
    return out
