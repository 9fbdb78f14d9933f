"""Webhook subscriptions: checking them, storing them, turning rows into entities.

Delivery itself lives in :mod:`modelreg.webhooks.dispatch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from modelreg import validation as v
from modelreg.errors import InvalidArgument
from modelreg.webhooks import (
    ALL_EVENTS,
    EVENT_TYPES,
    MLFLOW_FORMAT,
    PAYLOAD_FORMATS,
    STATUSES,
    Webhook,
    WebhookDelivery,
    egress,
    mlflow_format,
)

MAX_URL_LENGTH = 2048
MAX_SECRET_LENGTH = 1024


def check_url(url: Any) -> str:
    """An absolute ``http://`` or ``https://`` URL with a host that may be public.

    A host that is visibly not public (``localhost``, a private or loopback IP)
    is refused unless an admin allowed its network; names are checked again,
    resolved, at each delivery (see :mod:`modelreg.webhooks.egress`).
    """
    url = v.check_string(url, "webhook url", MAX_URL_LENGTH)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"webhook url '{url:.100}' must be an http:// or https:// URL")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidArgument(f"webhook url {url[:100]!r} must not contain white space")
    egress.check_url(url)
    return url


def check_events(events: Any, payload_format: str) -> tuple[str, ...]:
    """Event types to subscribe to: a non-empty list of the format's event types
    (:data:`EVENT_TYPES`, or MLflow's :data:`~modelreg.webhooks.mlflow_format.EVENTS`),
    or ``"*"`` for all of them."""
    known = mlflow_format.EVENTS if payload_format == MLFLOW_FORMAT else EVENT_TYPES
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, Sequence) or not events:
        raise InvalidArgument(
            f"events must be a non-empty list of {', '.join(known)} or '{ALL_EVENTS}'"
        )
    for event in events:
        if event != ALL_EVENTS and event not in known:
            raise InvalidArgument(
                f"event {event!r:.60} is not one of {', '.join(known)} or '{ALL_EVENTS}'"
            )
    return tuple(dict.fromkeys(events))


def check_secret(secret: Any, payload_format: str) -> str:
    """A webhook's secret; MLflow-format webhooks may have none (their deliveries are then
    unsigned, as on MLflow's server), modelreg's must."""
    if payload_format == MLFLOW_FORMAT and secret in (None, ""):
        return ""
    if not isinstance(secret, str) or not secret:
        raise InvalidArgument("webhook secret must be a non-empty string: it signs every delivery")
    return v.check_string(secret, "webhook secret", MAX_SECRET_LENGTH)


def check_status(status: Any) -> str:
    if status not in STATUSES:
        raise InvalidArgument(f"webhook status {status!r:.40} is not one of {', '.join(STATUSES)}")
    return str(status)


def check_payload_format(payload_format: Any) -> str:
    if payload_format not in PAYLOAD_FORMATS:
        raise InvalidArgument(
            f"payload_format {payload_format!r:.40} is not one of {', '.join(PAYLOAD_FORMATS)}"
        )
    return str(payload_format)


def check_name(name: Any) -> str | None:
    """A webhook's optional display name (MLflow's API requires one)."""
    return None if name is None else v.check_string(name, "webhook name", 256)


def check_webhook_id(value: Any, field: str = "webhook_id") -> str:
    """A webhook's id, or (``field="delivery_id"``) a delivery's: the same shape."""
    if not isinstance(value, str) or not value or len(value) > 32:
        raise InvalidArgument(f"{field} must be a {field[:-3]}'s id, got {value!r:.40}")
    return value


def entity(row: dict[str, Any]) -> Webhook:
    """The public form of a stored webhook: everything but the secret."""
    return Webhook(
        webhook_id=row["webhook_id"],
        url=row["url"],
        events=tuple(row["events"]),
        model_name=row["model_name"],
        description=row["description"],
        user_id=row["user_id"],
        creation_timestamp=row["creation_time"],
        name=row["name"],
        status=row["status"],
        payload_format=row["payload_format"],
        last_updated_timestamp=row["last_updated_time"],
    )


def delivery(row: dict[str, Any]) -> WebhookDelivery:
    """The public form of a logged delivery (its headers, which hold the signature, stay
    in the store)."""
    return WebhookDelivery(
        delivery_id=row["delivery_id"],
        webhook_id=row["webhook_id"],
        event=row["event"],
        status=row["status"],
        attempts=row["attempts"],
        response_status=row["response_status"],
        error=row["error"],
        creation_timestamp=row["creation_time"],
        last_attempt_timestamp=row["last_attempt_time"],
        url=row["url"],
        body=row["body"],
    )


def audit_record(row: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a webhook (never the secret)."""
    return {
        "webhook_id": row["webhook_id"],
        "url": row["url"],
        "events": list(row["events"]),
        "description": row["description"],
        "name": row["name"],
        "status": row["status"],
        "payload_format": row["payload_format"],
    }
