"""The webhooks phase: MLflow's webhooks (3.3+) as modelreg webhooks in MLflow's format.

MLflow never gives out a webhook's secret, so an imported webhook cannot sign
its deliveries as before: it is created ``DISABLED``, with its name, URL,
events and description, and reported, until someone sets the secret and
enables it (``modelreg webhooks update ID --enable``, the secret in
``MODELREG_WEBHOOK_SECRET``). One already imported (same name and URL) is
left as it is.
"""

from __future__ import annotations

from typing import Any

from modelreg.errors import ModelregError
from modelreg.mlflow_import.context import Context
from modelreg.mlflow_import.source import SourceError
from modelreg.webhooks import DISABLED, MLFLOW_FORMAT
from modelreg.webhooks.mlflow_format import event_name


def _events(hook: dict[str, Any]) -> list[str]:
    return [event_name(e["entity"], e["action"]) for e in hook.get("events") or []]


def source_webhooks(ctx: Context) -> list[dict[str, Any]]:
    """The source's webhooks; none, reported, when it fails to list them (an MLflow server
    whose workers do not share ``MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY`` answers 500)."""
    try:
        return ctx.source.webhooks()
    except SourceError as exc:
        ctx.problem("webhooks", "all", f"not listed ({exc})")
        return []


def imported_webhooks(ctx: Context) -> set[tuple[str | None, str]]:
    """(name, url) of the target's webhooks in MLflow's format."""
    return {
        (h.name, h.url)
        for h in ctx.backend.governance.list_webhooks()
        if h.payload_format == MLFLOW_FORMAT
    }


def import_webhooks(ctx: Context, hooks: list[dict[str, Any]]) -> None:
    with ctx.progress.start("webhooks", len(hooks)):
        present = imported_webhooks(ctx)
        for hook in hooks:
            name, url = hook.get("name") or None, hook.get("url", "")
            if (name, url) not in present:
                try:
                    made = ctx.backend.governance.create_webhook(
                        url,
                        _events(hook),
                        None,
                        description=hook.get("description") or None,
                        name=name,
                        status=DISABLED,
                        payload_format=MLFLOW_FORMAT,
                    )
                except ModelregError as exc:
                    ctx.problem("webhook", f"{name} ({url})", f"not imported ({exc})")
                else:
                    detail = (
                        f"imported as {made.webhook_id}, DISABLED: MLflow does not give out "
                        "its secret; set it and enable it with `modelreg webhooks update "
                        f"{made.webhook_id} --enable` (secret in MODELREG_WEBHOOK_SECRET)"
                    )
                    ctx.problem("webhook", f"{name} ({url})", detail)
            ctx.progress.advance()
