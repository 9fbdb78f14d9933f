"""Webhooks in MLflow's format: its event names, payloads, body and signature headers.

A webhook created through MLflow's API (``MlflowClient.create_webhook``), or
with ``payload_format="mlflow"``, subscribes to MLflow's events, named
``<entity>.<action>`` (:data:`EVENTS`), and gets MLflow's body::

    {"entity": "model_version", "action": "created",
     "timestamp": "2026-01-01T12:00:00.000000+00:00",
     "data": {"name": "fraud", "version": "3", "source": "...", "run_id": "...",
              "tags": {}, "description": null}}

with headers ``X-MLflow-Delivery-Id``, ``X-MLflow-Timestamp`` (Unix seconds)
and, when the webhook has a secret, ``X-MLflow-Signature: v1,<base64
HMAC-SHA256 of "<delivery id>.<timestamp>.<body>">``, so a receiver written
for MLflow's server verifies it unchanged. Events of a model tagged as an
MLflow prompt are ``prompt*`` events, as on MLflow's server.
``budget_policy.exceeded`` may be subscribed to (MLflow's API takes it) but
modelreg has no AI-gateway budgets, so it never fires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from modelreg.prompts import PROMPT_TAG, TEMPLATE_TAG, TYPE_TAG, tagged_as_prompt

__all__ = ["EVENTS", "body", "event_name", "example", "headers", "mlflow_event"]

EVENTS = (
    "registered_model.created",
    "model_version.created",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
    "prompt.created",
    "prompt_version.created",
    "prompt_tag.set",
    "prompt_tag.deleted",
    "prompt_version_tag.set",
    "prompt_version_tag.deleted",
    "prompt_alias.created",
    "prompt_alias.deleted",
    "budget_policy.exceeded",
)

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_HEADER = "X-MLflow-Delivery-Id"

# Tags MLflow's server leaves out of a prompt's payload: they say it is a prompt.
_PROMPT_MARKS = (PROMPT_TAG, TYPE_TAG)


def event_name(entity: str, action: str) -> str:
    """The event MLflow's API spells ``{"entity": "MODEL_VERSION", "action": "CREATED"}``,
    as named here: ``model_version.created``."""
    return f"{entity}.{action}".lower()


def _without(tags: dict[str, str] | None, keys: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in (tags or {}).items() if k not in keys}


def mlflow_event(
    audit: dict[str, Any], is_prompt: Callable[[int], bool]
) -> tuple[str, dict[str, Any]] | None:
    """The MLflow event name and payload of an audit event, or ``None`` when MLflow has
    no event for it. ``is_prompt(model_id)`` tells whether a model is an MLflow prompt
    (asked only for changes that do not carry the model's tags)."""
    action, name = audit["action"], audit["model_name"]
    after, before = audit.get("after") or {}, audit.get("before") or {}
    version = None if audit.get("version") is None else str(audit["version"])
    if action == "create_registered_model":
        # A model's description is "" when none was given (a version's is None), as MLflow's.
        tags, description = after.get("tags") or {}, after.get("description") or ""
        if tagged_as_prompt(tags):
            data = {"name": name, "tags": _without(tags, _PROMPT_MARKS)}
            return "prompt.created", {**data, "description": description}
        data = {"name": name, "tags": dict(tags), "description": description}
        return "registered_model.created", data
    if action == "create_model_version":
        tags = after.get("tags") or {}
        if tagged_as_prompt(tags):
            return "prompt_version.created", {
                "name": name,
                "version": version,
                "template": tags.get(TEMPLATE_TAG),
                "tags": _without(tags, (*_PROMPT_MARKS, TEMPLATE_TAG)),
                "description": after.get("description"),
            }
        return "model_version.created", {
            "name": name,
            "version": version,
            "source": after.get("source"),
            "run_id": after.get("run_id") or None,
            "tags": dict(tags),
            "description": after.get("description"),
        }
    kind = "prompt" if is_prompt(audit["model_id"]) else None
    if action in ("set_registered_model_tag", "delete_registered_model_tag"):
        if kind is None:
            return None  # MLflow has events for the tags of prompts only
        if action == "set_registered_model_tag":
            return "prompt_tag.set", {"name": name, "key": after["key"], "value": after["value"]}
        return "prompt_tag.deleted", {"name": name, "key": before["key"]}
    entity = f"{kind or 'model'}_version"
    if action == "set_model_version_tag":
        data = {"name": name, "version": version, "key": after["key"], "value": after["value"]}
        return f"{entity}_tag.set", data
    if action == "delete_model_version_tag":
        return f"{entity}_tag.deleted", {"name": name, "version": version, "key": before["key"]}
    if action == "set_alias":
        data = {"name": name, "alias": after["alias"], "version": str(after["version"])}
        return f"{kind or 'model_version'}_alias.created", data
    if action == "delete_alias":
        return f"{kind or 'model_version'}_alias.deleted", {"name": name, "alias": before["alias"]}
    return None


def example(event: str) -> dict[str, Any]:
    """A made-up payload of ``event``, for a webhook's test delivery."""
    entity, _, action = event.partition(".")
    name = "example_prompt" if entity.startswith("prompt") else "example_model"
    data: dict[str, Any] = {"name": name}
    if entity == "budget_policy":
        return {
            "budget_policy_id": "bp-example",
            "budget_unit": "USD",
            "budget_amount": 100.0,
            "current_spend": 105.5,
            "duration_unit": "MONTHS",
            "duration_value": 1,
            "target_scope": "GLOBAL",
            "workspace": "default",
            "target_value": None,
            "window_start": 1_704_067_200_000,
        }
    if entity.endswith("version") or entity.endswith("version_tag"):
        data["version"] = "1"
    if entity.endswith("_alias"):
        data["alias"] = "example_alias"
        if action == "created":
            data["version"] = "1"
    elif entity.endswith("_tag"):
        data["key"] = "example_key"
        if action == "set":
            data["value"] = "example_value"
    else:
        if entity == "model_version":
            data.update(source="models:/123", run_id="abcd1234abcd5678")
        if entity == "prompt_version":
            data["template"] = "Hello {{name}}!"
        data["tags"] = {"example_key": "example_value"}
        data["description"] = f"An example {entity.replace('_', ' ')}"
    return data


def body(event: str, data: dict[str, Any], now: datetime | None = None) -> str:
    """The JSON text POSTed for ``event`` (signed as is: send these exact bytes)."""
    entity, _, action = event.partition(".")
    stamp = (now or datetime.now(UTC)).isoformat()
    return json.dumps({"entity": entity, "action": action, "timestamp": stamp, "data": data})


def headers(secret: str, delivery_id: str, unix_seconds: int, text: str) -> dict[str, str]:
    """MLflow's delivery headers for the body ``text``; signed when ``secret`` is set."""
    out = {DELIVERY_HEADER: delivery_id, TIMESTAMP_HEADER: str(unix_seconds)}
    if secret:
        signed = f"{delivery_id}.{unix_seconds}.{text}".encode()
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        out[SIGNATURE_HEADER] = "v1," + base64.b64encode(digest).decode()
    return out
