"""``modelreg card``: show, export, set and check the model card of a version."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from modelreg.cards import CARD_FIELDS, FIELD_TITLES
from modelreg.cli.documents import read_document
from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import echo_json, json_option, print_fields, text, timestamp, with_client
from modelreg.cli.references import VERSION, resolve_version
from modelreg.errors import InvalidArgument

if TYPE_CHECKING:
    from modelreg.client import Client

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "json"]),
    help="md: Markdown with YAML front matter (Hugging Face layout); html: a standalone "
    "page; json: every field.",
)


@click.group(cls=ModelregGroup)
def card() -> None:
    """Model cards: what a version is for, how it was trained and evaluated, its limits."""


@card.command("show")
@click.argument("name")
@click.argument("version", type=VERSION)
@format_option
@json_option
@with_client
def show(client: Client, name: str, version: str, fmt: str | None, as_json: bool) -> None:
    """Show the model card of version VERSION of model NAME and what it is missing.

    Metrics and training data come from the version's run when the card
    leaves them empty (marked "auto").

    \b
    Examples:
      modelreg card show fraud 4
      modelreg card show fraud 4 --format md
      modelreg card show fraud 4 --json
    """
    number = resolve_version(client, name, version)
    found = client.get_model_card(name, number)
    if as_json or fmt == "json":
        echo_json({**found.to_dict(), "completeness": found.completeness().to_dict()})
        return
    if fmt is not None:
        click.echo(client.export_model_card(name, number, fmt), nl=False)
        return
    fields: list[tuple[str, Any]] = [
        ("Model", f"{found.model_name} version {found.version} ({found.semver})"),
    ]
    if found.base_model:
        fields.append(("Fine-tuned from", found.base_model))
    for name_ in CARD_FIELDS:
        value = getattr(found, name_)
        shown = text(value) if value else "(missing)"
        if name_ in found.auto_filled:
            shown += "  [auto]"
        fields.append((FIELD_TITLES[name_], shown))
    fields += [(title, body) for title, body in found.sections.items()]
    if found.license:
        fields.append(("License", found.license))
    if found.tags:
        fields.append(("Tags", list(found.tags)))
    if found.last_updated_timestamp:
        fields.append(("Updated", timestamp(found.last_updated_timestamp)))
    report = found.completeness()
    fields.append(("Complete", f"{len(report.present)}/{len(CARD_FIELDS)} fields"))
    print_fields(fields)


@card.command("export")
@click.argument("name")
@click.argument("version", type=VERSION)
@format_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of stdout.",
)
@with_client
def export(client: Client, name: str, version: str, fmt: str | None, output: Path | None) -> None:
    """Export the model card of version VERSION of model NAME as Markdown, HTML or JSON.

    The Markdown follows the Hugging Face model-card layout, so it can serve
    as a model repository's README.md.

    \b
    Examples:
      modelreg card export fraud 4 --format md -o README.md
      modelreg card export fraud 4 --format html -o card.html
    """
    number = resolve_version(client, name, version)
    rendered = client.export_model_card(name, number, fmt or "md")
    if output is None:
        click.echo(rendered, nl=False)
    else:
        output.write_text(rendered, encoding="utf-8")
        click.echo(f"Wrote the card of '{name}' version {number} to {output}.", err=True)


@card.command("set")
@click.argument("name")
@click.argument("version", type=VERSION)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@json_option
@with_client
def set_card(client: Client, name: str, version: str, file: str, as_json: bool) -> None:
    """Replace the model card of version VERSION of model NAME with the one in FILE.

    FILE is JSON (or YAML when PyYAML is installed) with the card's fields:
    summary, intended_use, training_data, evaluation_data, architecture,
    metrics, limitations, ethical_considerations, caveats, sections, license,
    tags. '-' reads stdin.

    \b
    Example:
      modelreg card set fraud 4 card.yaml
    """
    raw = read_document(file)
    number = resolve_version(client, name, version)
    saved = client.set_model_card(name, number, _parse(raw, file))
    if as_json:
        echo_json(saved.to_dict())
        return
    missing = saved.completeness().missing
    click.echo(
        f"Set the card of '{name}' version {number}"
        + (f"; still missing: {', '.join(missing)}." if missing else "; it is complete.")
    )


@card.command("check")
@click.argument("name")
@click.argument("version", type=VERSION)
@click.option(
    "--field",
    "fields",
    multiple=True,
    type=click.Choice(CARD_FIELDS),
    help="Only require this field; repeat for more. [default: every structured field]",
)
@with_client
def check(client: Client, name: str, version: str, fields: tuple[str, ...]) -> None:
    """Exit 1, listing what is missing, unless the card of version VERSION is complete.

    For CI pipelines that refuse to ship a model without documentation.

    \b
    Examples:
      modelreg card check fraud 4
      modelreg card check fraud 4 --field intended_use --field limitations
    """
    number = resolve_version(client, name, version)
    missing = client.get_model_card(name, number).missing_fields()
    if fields:
        missing = [f for f in missing if f in fields]
    if missing:
        click.secho(
            f"The card of '{name}' version {number} is missing: {', '.join(missing)}",
            fg="red",
            err=True,
        )
        sys.exit(1)
    click.echo(f"The card of '{name}' version {number} is complete.")


def _parse(raw: str, file: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        pass
    try:
        import yaml
    except ImportError:
        raise InvalidArgument(f"{file} is not JSON (YAML needs PyYAML installed)") from None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"{file} is neither JSON nor YAML: {exc}") from None
