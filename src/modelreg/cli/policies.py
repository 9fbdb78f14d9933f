"""``modelreg policy``: a model's promotion policy, kept as a JSON file and checked in CI."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from modelreg.cli.documents import read_document
from modelreg.cli.errors import ModelregGroup, echo_failed_rules
from modelreg.cli.output import counted, echo_json, json_option, print_table, with_client
from modelreg.cli.references import VERSION, resolve_version
from modelreg.policy_text import requirements

if TYPE_CHECKING:
    from modelreg.client import Client


@click.group(cls=ModelregGroup)
def policy() -> None:
    """Promotion policies: the rules a version must meet to enter a stage or take an alias.

    A policy is a JSON object from targets (a stage, or @alias) to rules:
    thresholds, beats_current, required_tags, required_card_fields,
    only_from_staging or from_stages, separation_of_duties. `modelreg stage set`, `promote` and
    `alias set` refuse a move that breaks it, listing every failed rule.
    """


@policy.command()
@click.argument("name")
@json_option
@with_client
def show(client: Client, name: str, as_json: bool) -> None:
    """Show the promotion policy of model NAME, one requirement a row.

    --json prints it in the form `modelreg policy set` reads.

    \b
    Examples:
      modelreg policy show fraud
      modelreg policy show fraud --json > policy.json
    """
    rules = client.get_promotion_policy(name)
    if as_json:
        echo_json(rules)
    elif not rules:
        click.echo(f"'{name}' has no promotion policy.")
    else:
        print_table(
            ["Target", "Rule", "Requirement"],
            [[target, *row] for target, found in rules.items() for row in requirements(found)],
        )


@policy.command("set")
@click.argument("name")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="FILE"
)
@json_option
@with_client
def set_policy(client: Client, name: str, file: str, as_json: bool) -> None:
    """Replace the promotion policy of model NAME with the JSON object in FILE ('-': stdin).

    The whole policy is checked first: a malformed rule changes nothing and
    is named in the error.

    \b
    Examples:
      modelreg policy set fraud policy.json
      echo '{"Production": {"thresholds": ["auc >= 0.9"]}}' | modelreg policy set fraud -
    """
    shown = "standard input" if file == "-" else file
    try:
        rules = json.loads(read_document(file))
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"{shown} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            param_hint="FILE",
        ) from None
    if not isinstance(rules, dict) or not rules:
        raise click.BadParameter(
            f"{shown} must hold a JSON object of targets; `modelreg policy clear` removes a policy",
            param_hint="FILE",
        )
    saved = client.set_promotion_policy(name, rules)
    if as_json:
        echo_json(saved)
    else:
        click.echo(f"Set the promotion policy of '{name}' ({counted(len(saved), 'target')}).")


@policy.command()
@click.argument("name")
@with_client
def clear(client: Client, name: str) -> None:
    """Remove the promotion policy of model NAME.

    \b
    Example:
      modelreg policy clear fraud
    """
    client.set_promotion_policy(name, None)
    click.echo(f"'{name}' has no promotion policy now.")


@policy.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="TARGET",
    help="A stage (Production) or an alias written @champion.",
)
@json_option
@with_client
def check(client: Client, name: str, version: str, target: str, as_json: bool) -> None:
    """Check, without moving it, whether version VERSION of model NAME may go to TARGET.

    Exits 0 when it may, 1 listing every rule it breaks: a CI gate before
    the step that deploys.

    \b
    Examples:
      modelreg policy check fraud 4 --to Production
      modelreg policy check fraud latest --to @champion --json
    """
    number = resolve_version(client, name, version)
    failed = client.check_promotion(name, number, target)
    if as_json:
        echo_json({"name": name, "version": number, "target": target, "failed_rules": failed})
    if not failed:
        if not as_json:
            click.echo(f"Version {number} of '{name}' may move to {target}.")
        return
    echo_failed_rules(
        f"Version {number} of '{name}' may not move to {target}; "
        f"{len(failed)} rule(s) of its promotion policy fail:",
        failed,
    )
    sys.exit(1)
