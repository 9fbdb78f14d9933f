"""``modelreg webhooks``: registry events POSTed to your URLs (see :mod:`modelreg.webhooks`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from modelreg import settings
from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    echo_json,
    json_option,
    none_listed,
    print_fields,
    print_table,
    timestamp,
    with_client,
)

if TYPE_CHECKING:
    from modelreg.client import Client
    from modelreg.webhooks import Webhook

_SECRET_HELP = (
    "Signs each delivery (HMAC-SHA256). Prefer the variable: a command line is visible to "
    "other users of the machine."
)


@click.group(cls=ModelregGroup)
def webhooks() -> None:
    """Webhooks: registry events POSTed to your URLs, signed (admins only on a server)."""


def _show(hook: Webhook, as_json: bool) -> None:
    if as_json:
        echo_json(hook.to_dict())
        return
    print_fields(
        [
            ("Webhook", hook.webhook_id),
            ("Name", hook.name),
            ("URL", hook.url),
            ("Events", ", ".join(hook.events)),
            ("Model", hook.model_name or "every model"),
            ("Format", hook.payload_format),
            ("Status", hook.status),
            ("Description", hook.description),
            ("Created", f"{timestamp(hook.creation_timestamp)} by {hook.user_id}"),
            ("Updated", timestamp(hook.last_updated_timestamp)),
        ]
    )


@webhooks.command("list")
@click.option("--model", "model_name", help="Only the webhooks of this model.")
@json_option
@with_client
def list_webhooks(client: Client, model_name: str | None, as_json: bool) -> None:
    """List webhooks, oldest first (secrets are never shown).

    \b
    Examples:
      modelreg webhooks list
      modelreg webhooks list --model fraud --json
    """
    hooks = client.list_webhooks(model_name)
    if as_json:
        echo_json([h.to_dict() for h in hooks])
        return
    print_table(
        [
            "Webhook",
            Column("Name", cut=True, drop=3),
            Column("URL", cut=True),
            Column("Events", wrap=True),
            Column("Model", drop=2),
            Column("Format", drop=1),
            "Status",
        ],
        [
            [
                h.webhook_id,
                h.name,
                h.url,
                ", ".join(h.events),
                h.model_name or "*",
                h.payload_format,
                h.status,
            ]
            for h in hooks
        ],
        empty=none_listed(
            "webhooks",
            filtered=model_name is not None,
            hint="Add one with: modelreg webhooks create URL --event EVENT",
        ),
    )


@webhooks.command()
@click.argument("webhook_id")
@json_option
@with_client
def show(client: Client, webhook_id: str, as_json: bool) -> None:
    """Show one webhook."""
    _show(client.get_webhook(webhook_id), as_json)


@webhooks.command()
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    help="An event type to send (repeat it), or '*' for all of them.",
)
@click.option(
    "--secret",
    envvar=settings.WEBHOOK_SECRET.env_var,
    show_envvar=True,
    help=_SECRET_HELP + " Optional for --format mlflow.",
)
@click.option("--model", "model_name", help="Only this model's events. [default: every model]")
@click.option("--name", help="A name to know it by.")
@click.option("--description")
@click.option(
    "--format",
    "payload_format",
    type=click.Choice(["modelreg", "mlflow"]),
    default="modelreg",
    show_default=True,
    help="The events and bodies: modelreg's, or MLflow's (for receivers of MLflow webhooks).",
)
@click.option("--disabled", is_flag=True, help="Create it switched off.")
@json_option
@with_client
def create(
    client: Client,
    url: str,
    events: tuple[str, ...],
    secret: str | None,
    model_name: str | None,
    name: str | None,
    description: str | None,
    payload_format: str,
    disabled: bool,
    as_json: bool,
) -> None:
    """POST registry events to URL.

    \b
    Examples:
      export MODELREG_WEBHOOK_SECRET=…
      modelreg webhooks create https://ci.example.com/hooks \\
          --event model_version.stage_transitioned --model fraud
      modelreg webhooks create https://ci.example.com/mlflow-hooks --format mlflow \\
          --event model_version.created --event model_version_alias.created
    """
    hook = client.create_webhook(
        url,
        list(events),
        secret,
        model_name,
        description,
        name,
        "DISABLED" if disabled else "ACTIVE",
        payload_format,
    )
    _show(hook, as_json)


@webhooks.command()
@click.argument("webhook_id")
@click.option("--url")
@click.option("--event", "events", multiple=True, help="Replaces the event types (repeat it).")
@click.option("--secret", envvar=settings.WEBHOOK_SECRET.env_var, help=_SECRET_HELP)
@click.option("--name")
@click.option("--description", help="'' clears it.")
@click.option("--enable/--disable", "enable", default=None, help="Switch it on or off.")
@json_option
@with_client
def update(
    client: Client,
    webhook_id: str,
    url: str | None,
    events: tuple[str, ...],
    secret: str | None,
    name: str | None,
    description: str | None,
    enable: bool | None,
    as_json: bool,
) -> None:
    """Change a webhook's given fields; the others stay.

    \b
    Examples:
      modelreg webhooks update 3f2a… --disable
      modelreg webhooks update 3f2a… --event '*' --enable
    """
    status = None if enable is None else ("ACTIVE" if enable else "DISABLED")
    hook = client.update_webhook(
        webhook_id, url, list(events) or None, secret, description, name, status
    )
    _show(hook, as_json)


@webhooks.command()
@click.argument("webhook_id")
@click.option("--event", help="The event type to send. [default: the webhook's first]")
@json_option
@with_client
def test(client: Client, webhook_id: str, event: str | None, as_json: bool) -> None:
    """Send a made-up event once and show what the receiver answered.

    The exit code is 1 when the receiver did not answer with a 2xx status, so
    a deployment script can check a webhook before it relies on it.

    \b
    Examples:
      modelreg webhooks test 3f2a…
    """
    result = client.test_webhook(webhook_id, event)
    if as_json:
        echo_json(result.to_dict())
    else:
        print_fields(
            [
                ("Delivered", "yes" if result.success else "no"),
                ("Status", result.response_status),
                ("Answer", result.response_body),
                ("Error", result.error_message),
            ]
        )
    if not result.success:
        sys.exit(1)


@webhooks.command()
@click.argument("webhook_id")
@click.option("--max-results", type=int, default=20, show_default=True, help="At most 100.")
@json_option
@with_client
def deliveries(client: Client, webhook_id: str, max_results: int, as_json: bool) -> None:
    """What the webhook was sent lately, newest first, and how it went.

    \b
    Examples:
      modelreg webhooks deliveries 3f2a…
      modelreg webhooks deliveries 3f2a… --json | jq '.[] | select(.status == "failed")'
    """
    found = client.list_webhook_deliveries(webhook_id, max_results)
    if as_json:
        echo_json([d.to_dict() for d in found])
        return
    print_table(
        [
            "Delivery",
            "Event",
            "Status",
            Column("Attempts", drop=2),
            "Answer",
            Column("Error", wrap=True, drop=1),
            Column("Sent", drop=3),
        ],
        [
            [
                d.delivery_id,
                d.event,
                d.status,
                d.attempts,
                d.response_status,
                d.error,
                timestamp(d.creation_timestamp),
            ]
            for d in found
        ],
        empty="Nothing was sent to this webhook yet.",
    )


@webhooks.command()
@click.argument("webhook_id")
@click.argument("delivery_id")
@with_client
def redeliver(client: Client, webhook_id: str, delivery_id: str) -> None:
    """Send one of the webhook's deliveries again, as it was (same body and delivery id).

    \b
    Examples:
      modelreg webhooks redeliver 3f2a… 9b1c…
    """
    client.redeliver_webhook(webhook_id, delivery_id)
    click.echo(
        f"Delivery {delivery_id} queued again; `modelreg webhooks deliveries {webhook_id}` "
        "shows how it went."
    )


@webhooks.command()
@click.argument("webhook_id")
@with_client
def delete(client: Client, webhook_id: str) -> None:
    """Delete a webhook (deliveries already queued still go out)."""
    client.delete_webhook(webhook_id)
    click.echo(f"Deleted webhook {webhook_id}.")
