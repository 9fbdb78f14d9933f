"""``modelreg stage``, ``alias``, ``rollback`` and ``history``: a model's lifecycle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    echo_json,
    echo_next_page,
    json_option,
    none_listed,
    page_options,
    print_table,
    text,
    timestamp,
    with_client,
)
from modelreg.cli.references import VERSION, resolve_version
from modelreg.errors import NotFound

if TYPE_CHECKING:
    from modelreg.client import Client
    from modelreg.entities import AuditEvent

# Digests and long descriptions would push the change column off the screen.
_MAX_VALUE = 60

reason_option = click.option("--reason", help="Why; kept in the audit trail.")
force_option = click.option(
    "--force",
    is_flag=True,
    help="Override a refusing promotion policy (needs --reason; the audit trail keeps both).",
)


@click.group(cls=ModelregGroup)
def stage() -> None:
    """Stages of versions: None, Staging, Production, Archived."""


@stage.command("set")
@click.argument("name")
@click.argument("version", type=VERSION)
@click.argument("stage_name", metavar="STAGE")
@click.option(
    "--archive-existing",
    is_flag=True,
    help="Archive the versions already in STAGE, in the same transaction.",
)
@force_option
@reason_option
@json_option
@with_client
def set_stage(
    client: Client,
    name: str,
    version: str,
    stage_name: str,
    archive_existing: bool,
    force: bool,
    reason: str | None,
    as_json: bool,
) -> None:
    """Move version VERSION of model NAME to STAGE (None, Staging, Production, Archived).

    A promotion policy on the model may refuse the move; the message lists
    every rule that failed.

    \b
    Examples:
      modelreg stage set fraud 4 Staging
      modelreg stage set fraud 4 Production --archive-existing --reason "beats v3 on AUC"
    """
    moved = client.transition_model_version_stage(
        name,
        resolve_version(client, name, version),
        stage_name,
        archive_existing_versions=archive_existing,
        reason=reason,
        force=force,
    )
    if as_json:
        echo_json(moved.to_dict())
    else:
        click.echo(f"'{moved.name}' version {moved.version} is now in {moved.current_stage}.")


@click.group(cls=ModelregGroup)
def alias() -> None:
    """Movable names that point at versions (champion, challenger …)."""


@alias.command("set")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("version", type=VERSION)
@force_option
@reason_option
@with_client
def set_alias(
    client: Client, name: str, alias_name: str, version: str, force: bool, reason: str | None
) -> None:
    """Point ALIAS of model NAME at version VERSION, moving it if it pointed elsewhere.

    Load it with models:/NAME@ALIAS. A promotion policy for @ALIAS may
    refuse the move: every failed rule is listed and the exit code is 1.

    \b
    Examples:
      modelreg alias set fraud champion 4
      modelreg alias set fraud champion 4 --force --reason "rollback of incident 123"
    """
    number = resolve_version(client, name, version)
    client.set_registered_model_alias(name, alias_name, number, force=force, reason=reason)
    click.echo(f"Alias '{alias_name}' of '{name}' now points at version {number}.")


@alias.command("swap")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("other", metavar="OTHER_ALIAS")
@force_option
@reason_option
@json_option
@with_client
def swap_alias(
    client: Client,
    name: str,
    alias_name: str,
    other: str,
    force: bool,
    reason: str | None,
    as_json: bool,
) -> None:
    """Exchange the versions ALIAS and OTHER_ALIAS of model NAME point at, in one step.

    Promotes a challenger and keeps the old champion at hand; each move
    passes the promotion policy of its alias.

    \b
    Example:
      modelreg alias swap fraud champion challenger --reason "won the A/B test"
    """
    now = client.swap_aliases(name, alias_name, other, reason=reason, force=force)
    if as_json:
        echo_json(now)
    else:
        click.echo(
            f"Alias '{alias_name}' of '{name}' now points at version {now[alias_name]}, "
            f"'{other}' at version {now[other]}."
        )


@alias.command("delete")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@with_client
def delete_alias(client: Client, name: str, alias_name: str) -> None:
    """Remove ALIAS from model NAME (the version stays).

    \b
    Example:
      modelreg alias delete fraud challenger
    """
    client.delete_registered_model_alias(name, alias_name)
    click.echo(f"Deleted alias '{alias_name}' of '{name}'.")


@click.command()
@click.argument("name")
@click.option(
    "--stage",
    "stage_name",
    default="Production",
    show_default=True,
    help="The stage to roll back: Staging or Production.",
)
@reason_option
@json_option
@with_client
def rollback(client: Client, name: str, stage_name: str, reason: str | None, as_json: bool) -> None:
    """Put back the version that held a stage before the current one.

    The current holder is archived in the same transaction; running it again
    walks further back through the audit trail.

    \b
    Examples:
      modelreg rollback fraud
      modelreg rollback fraud --stage Staging --reason "latency regression"
    """
    restored = client.rollback(name, stage_name, reason=reason)
    if as_json:
        echo_json(restored.to_dict())
    else:
        click.echo(
            f"'{restored.name}' {restored.current_stage} is back to version "
            f"{restored.version} ({restored.semver})."
        )


@click.command()
@click.argument("name")
@click.argument("version", type=VERSION, required=False)
@click.option(
    "--action",
    "actions",
    multiple=True,
    metavar="ACTION",
    help="Only events of this action (e.g. transition_stage); repeat for more.",
)
@click.option("--actor", metavar="USER", help="Only what this user did.")
@click.option("--newest-first", is_flag=True, help="Newest events first.")
@page_options(1000, "events")
@json_option
@with_client
def history(
    client: Client,
    name: str,
    version: str | None,
    actions: tuple[str, ...],
    actor: str | None,
    newest_first: bool,
    max_results: int,
    page_token: str | None,
    as_json: bool,
) -> None:
    """Show the audit trail of a model or of one of its versions.

    Events of model NAME (or of its version VERSION), oldest first: who
    changed what, when and why. Still works after the model was deleted.
    Long trails come in pages: the command prints the --page-token that
    continues it.

    \b
    Examples:
      modelreg history fraud
      modelreg history fraud 4 --json
      modelreg history fraud --newest-first --max-results 20
      modelreg history fraud --action transition_stage --action rollback --actor alice
    """
    number = None if version is None else resolve_version(client, name, version)
    events = client.get_history(
        name, number, list(actions), actor, max_results, page_token, newest_first
    )
    if not events and number is not None and not (actions or actor or page_token):
        raise NotFound(f"registered model '{name}' has no version {number}, nor had one")
    if as_json:
        echo_json([event.to_dict() for event in events])
    else:
        _print_events(events, filtered=bool(actions or actor), more=page_token is not None)
    echo_next_page(events.token)


def _print_events(events: list[AuditEvent], *, filtered: bool, more: bool) -> None:
    print_table(
        [
            "Time",
            Column("Actor", cut=True),
            "Action",
            "Version",
            Column("Change", cut=True),
            Column("Reason", cut=True, drop=1),
        ],
        [
            [
                timestamp(e.timestamp),
                e.actor,
                e.action,
                e.version,
                describe_change(e.before, e.after),
                e.reason,
            ]
            for e in events
        ],
        empty=none_listed("events", filtered=filtered, more=more),
    )


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """One line for a table: ``field: old → new`` for a changed field, ``field=value`` otherwise."""
    before, after = before or {}, after or {}
    parts = []
    for key in {**before, **after}:
        if key in before and key in after and before[key] != after[key]:
            parts.append(f"{key}: {_short(before[key])} → {_short(after[key])}")
        else:
            value = after[key] if key in after else before[key]
            if value not in (None, {}, []):
                parts.append(f"{key}={_short(value)}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if value is None:
        shown = "(none)"
    elif isinstance(value, dict):
        shown = "{" + text(value) + "}"
    else:
        shown = text(value)
    return shown if len(shown) <= _MAX_VALUE else shown[: _MAX_VALUE - 1] + "…"
