"""Webhooks: registry events POSTed as JSON to a URL, signed with HMAC-SHA256.

Event types:

- ``model_version.created``
- ``model_version.stage_transitioned`` (also for versions archived on the way)
- ``model_version.alias_set`` (an alias created or moved)
- ``registered_model.rolled_back``

``"*"`` subscribes to all of them. A delivery is a POST whose body is one
JSON event::

    {"id": "<delivery id>", "event": "model_version.stage_transitioned",
     "timestamp": 1718000000000, "actor": "alice", "model_name": "fraud",
     "version": 4, "before": {"current_stage": "Staging"},
     "after": {"current_stage": "Production"}, "reason": "beats v3"}

with headers ``X-Modelreg-Event``, ``X-Modelreg-Delivery`` (the same id on
every retry, for de-duplication) and ``X-Modelreg-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body keyed by the secret>``. A receiver
checks it with :func:`verify_signature`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_TYPES",
    "PAYLOAD_FORMATS",
    "SIGNATURE_HEADER",
    "STATUSES",
    "Webhook",
    "WebhookDelivery",
    "WebhookTestResult",
    "sign",
    "verify_signature",
]

VERSION_CREATED = "model_version.created"
STAGE_TRANSITIONED = "model_version.stage_transitioned"
ALIAS_SET = "model_version.alias_set"
ROLLED_BACK = "registered_model.rolled_back"
EVENT_TYPES = (VERSION_CREATED, STAGE_TRANSITIONED, ALIAS_SET, ROLLED_BACK)
ALL_EVENTS = "*"

ACTIVE = "ACTIVE"
DISABLED = "DISABLED"
STATUSES = (ACTIVE, DISABLED)
MODELREG_FORMAT = "modelreg"
MLFLOW_FORMAT = "mlflow"
PAYLOAD_FORMATS = (MODELREG_FORMAT, MLFLOW_FORMAT)

SIGNATURE_HEADER = "X-Modelreg-Signature-256"
EVENT_HEADER = "X-Modelreg-Event"
DELIVERY_HEADER = "X-Modelreg-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` (the ``X-Modelreg-Signature-256`` value) signs ``body`` with ``secret``.

    Compares in constant time; pass the raw request body, not re-encoded JSON.
    """
    return header is not None and hmac.compare_digest(sign(secret, body), header)


@dataclass(frozen=True)
class Webhook:
    """A subscription: ``events`` POSTed to ``url``; ``model_name`` ``None`` means every model.

    ``payload_format`` is ``"modelreg"`` (the events and body above) or
    ``"mlflow"`` (MLflow's event names, body and ``X-MLflow-*`` headers; see
    :mod:`modelreg.webhooks.mlflow_format`). A ``DISABLED`` webhook is kept
    but gets nothing. The secret is write-only: it signs deliveries and is
    never returned.
    """

    webhook_id: str
    url: str
    events: tuple[str, ...]
    model_name: str | None
    description: str | None
    user_id: str
    creation_timestamp: int
    name: str | None = None
    status: str = ACTIVE
    payload_format: str = MODELREG_FORMAT
    last_updated_timestamp: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "url": self.url,
            "events": list(self.events),
            "model_name": self.model_name,
            "description": self.description,
            "user_id": self.user_id,
            "creation_timestamp": self.creation_timestamp,
            "name": self.name,
            "status": self.status,
            "payload_format": self.payload_format,
            "last_updated_timestamp": self.last_updated_timestamp,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Webhook:
        return cls(**{**d, "events": tuple(d["events"])})


@dataclass(frozen=True)
class WebhookDelivery:
    """One event sent (or being sent) to a webhook: ``status`` is ``pending`` (queued, or
    between retries), ``delivered`` or ``failed``; ``response_status`` and ``error`` tell
    how the last attempt went. ``body`` is what was POSTed."""

    delivery_id: str
    webhook_id: str
    event: str
    status: str
    attempts: int
    response_status: int | None
    error: str | None
    creation_timestamp: int
    last_attempt_timestamp: int | None
    url: str
    body: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WebhookDelivery:
        return cls(**d)


@dataclass(frozen=True)
class WebhookTestResult:
    """What :meth:`modelreg.Client.test_webhook` saw: the receiver's status and body (its
    first 4 KiB), or why nothing was answered."""

    success: bool
    response_status: int | None = None
    response_body: str | None = None
    error_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WebhookTestResult:
        return cls(**d)
