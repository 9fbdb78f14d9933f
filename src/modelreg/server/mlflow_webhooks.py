"""MLflow's webhooks endpoints (``MlflowClient.create_webhook`` and friends, MLflow 3.3+).

They manage modelreg webhooks whose payload format is ``mlflow``: an event is
``{"entity": "MODEL_VERSION", "action": "CREATED"}`` on the wire and
``model_version.created`` in modelreg (see
:mod:`modelreg.webhooks.mlflow_format`). Webhooks made through modelreg's own
API in its own format are not MLflow webhooks: these endpoints do not list
them and answer "not found" for them.
"""

from __future__ import annotations

from typing import Any

from modelreg.api.route_permissions import ADMIN
from modelreg.errors import InvalidArgument, NotFound
from modelreg.server.mlflow_endpoints import endpoint
from modelreg.server.mlflow_routes import sent
from modelreg.server.mlflow_shapes import max_results, required
from modelreg.validation import check_objects
from modelreg.webhooks import MLFLOW_FORMAT, Webhook, WebhookTestResult
from modelreg.webhooks.mlflow_format import event_name

# MLflow's ListWebhooks page size when max_results is not given, and its limit.
_PAGE = 100
_MAX_PAGE = 1000


def _event_name(item: Any, field: str) -> str:
    """``{"entity": "MODEL_VERSION", "action": "CREATED"}`` as ``model_version.created``."""
    entity = sent(item, "entity") if isinstance(item, dict) else None
    action = sent(item, "action") if isinstance(item, dict) else None
    if not isinstance(entity, str) or not isinstance(action, str):
        raise InvalidArgument(f"each of {field} needs an 'entity' and an 'action' (strings)")
    return event_name(entity, action)


def _events(value: Any) -> list[str]:
    items = check_objects(value, "events")
    if not items:
        raise InvalidArgument("events must be a non-empty list of {entity, action} objects")
    return [_event_name(item, "events") for item in items]


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """MLflow's ``Webhook`` message (never the secret)."""
    events = sorted(e.partition(".")[::2] for e in hook.events)
    out: dict[str, Any] = {"webhook_id": hook.webhook_id, "name": hook.name or ""}
    if hook.description:
        out["description"] = hook.description
    return {
        **out,
        "url": hook.url,
        "events": [{"entity": e.upper(), "action": a.upper()} for e, a in events],
        "status": hook.status,
        "creation_timestamp": hook.creation_timestamp,
        "last_updated_timestamp": hook.last_updated_timestamp or hook.creation_timestamp,
    }


def _mlflow_webhook(b: Any, webhook_id: Any) -> Webhook:
    """The webhook, if it is an MLflow one; others look missing, as on MLflow's server."""
    try:
        hook = b.governance.get_webhook(webhook_id)
    except InvalidArgument:  # not even the shape of an id
        hook = None
    if hook is None or hook.payload_format != MLFLOW_FORMAT:
        raise NotFound(f"Webhook with ID {webhook_id} not found.")
    return hook


def _result_json(result: WebhookTestResult) -> dict[str, Any]:
    return {k: v for k, v in result.to_dict().items() if v is not None}


@endpoint("POST", "/webhooks", ADMIN)
def create_webhook(b: Any, p: dict[str, Any]) -> Any:
    hook = b.governance.create_webhook(
        required(p, "url"),
        _events(p.get("events")),
        None if p.get("secret") in (None, "") else p["secret"],
        description=p.get("description") or None,
        name=required(p, "name"),
        status=p.get("status") or "ACTIVE",
        payload_format=MLFLOW_FORMAT,
    )
    return {"webhook": webhook_json(hook)}


@endpoint("GET", "/webhooks", ADMIN)
def list_webhooks(b: Any, p: dict[str, Any]) -> Any:
    limit = int(max_results(p, _MAX_PAGE) or _PAGE)
    token = p.get("page_token") or "0"
    if not str(token).isdigit() or len(str(token)) > 9:
        raise InvalidArgument(f"page_token {str(token)[:40]!r} is not a valid page token")
    start = int(token)
    hooks = [h for h in b.governance.list_webhooks() if h.payload_format == MLFLOW_FORMAT]
    out: dict[str, Any] = {"webhooks": [webhook_json(h) for h in hooks[start : start + limit]]}
    if start + limit < len(hooks):
        out["next_page_token"] = str(start + limit)
    return out


@endpoint("GET", "/webhooks/{webhook_id}", ADMIN)
def get_webhook(b: Any, p: dict[str, Any]) -> Any:
    return {"webhook": webhook_json(_mlflow_webhook(b, p["webhook_id"]))}


@endpoint("PATCH", "/webhooks/{webhook_id}", ADMIN)
def update_webhook(b: Any, p: dict[str, Any]) -> Any:
    webhook_id = _mlflow_webhook(b, p["webhook_id"]).webhook_id
    hook = b.governance.update_webhook(
        webhook_id,
        url=p.get("url") or None,
        events=_events(p["events"]) if p.get("events") else None,
        secret=p.get("secret"),
        description=p.get("description"),
        name=p.get("name") or None,
        status=p.get("status") or None,
    )
    return {"webhook": webhook_json(hook)}


@endpoint("DELETE", "/webhooks/{webhook_id}", ADMIN)
def delete_webhook(b: Any, p: dict[str, Any]) -> Any:
    b.governance.delete_webhook(_mlflow_webhook(b, p["webhook_id"]).webhook_id)


@endpoint("POST", "/webhooks/{webhook_id}/test", ADMIN)
def test_webhook(b: Any, p: dict[str, Any]) -> Any:
    webhook_id = _mlflow_webhook(b, p["webhook_id"]).webhook_id
    event = p.get("event")
    name = None if not event else _event_name(event, "event")
    return {"result": _result_json(b.governance.test_webhook(webhook_id, name))}
