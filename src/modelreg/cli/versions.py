"""``modelreg versions``: list, show, register, describe, tag and delete model versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    counted,
    echo_json,
    echo_next_page,
    json_option,
    none_listed,
    print_fields,
    print_table,
    search_options,
    tag_option,
    tags_argument,
    timestamp,
    with_client,
)
from modelreg.cli.references import VERSION, full_runs_uri, resolve_version
from modelreg.cli.tagging import remove_tags, set_tags
from modelreg.prompts import PROMPT_TAG
from modelreg.validation import MAX_REGISTRY_TAG_VALUE_LENGTH

if TYPE_CHECKING:
    from modelreg.client import Client


@click.group(cls=ModelregGroup)
def versions() -> None:
    """Versions of registered models (an integer and a semver each)."""


@versions.command("list")
@click.argument("name", required=False)
@search_options(default_max_results=100)
@json_option
@with_client
def list_versions(
    client: Client,
    name: str | None,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    page_token: str | None,
    as_json: bool,
) -> None:
    """List model versions, of model NAME or of every model; newest first.

    FILTER compares name, version, semver, run_id, stage, source,
    creation_timestamp, last_updated_timestamp and tags.<key>.

    \b
    Examples:
      modelreg versions list fraud
      modelreg versions list --filter "stage = 'Production'"
      modelreg versions list fraud --filter "tags.validated = 'yes'" --json
    """
    conditions = [f"name = {_quote(name)}" if name is not None else None, filter_string]
    combined = " AND ".join(f"({c})" for c in conditions if c) or None
    page = client.search_model_versions(combined, max_results, list(order_by) or None, page_token)
    if name is not None and not page and not page_token:
        client.get_registered_model(name)  # says so if there is no such model
    if as_json:
        echo_json([version.to_dict() for version in page])
    else:
        print_table(
            [
                "Name",
                "Version",
                "Semver",
                "Stage",
                Column("Aliases", wrap=True, drop=1),
                Column("Run ID", drop=3),
                Column("Created", drop=2),
            ],
            [
                [
                    v.name,
                    v.version,
                    v.semver,
                    v.current_stage,
                    v.aliases,
                    v.run_id,
                    timestamp(v.creation_timestamp),
                ]
                for v in page
            ],
            empty=none_listed(
                "model versions" if name is None else f"versions of '{name}'",
                filtered=filter_string is not None,
                more=page_token is not None,
            ),
        )
    echo_next_page(page.token)


def _quote(value: str) -> str:
    """``value`` as a string literal of the search filter language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


@versions.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@json_option
@with_client
def show(client: Client, name: str, version: str, as_json: bool) -> None:
    """Show version VERSION (a number) of model NAME.

    \b
    Examples:
      modelreg versions show fraud 3
      modelreg versions show fraud 3 --json
    """
    found = client.get_model_version(name, resolve_version(client, name, version))
    if as_json:
        echo_json(found.to_dict())
        return
    print_fields(
        [
            ("Name", found.name),
            ("Version", found.version),
            ("Semver", found.semver),
            ("Stage", found.current_stage),
            ("Aliases", found.aliases),
            ("Source", found.source),
            ("Run ID", found.run_id),
            ("Logged model", found.model_id),
            ("Description", found.description),
            ("Tags", found.tags),
            ("User", found.user_id),
            ("Created", timestamp(found.creation_timestamp)),
            ("Updated", timestamp(found.last_updated_timestamp)),
            ("Content digest", found.content_digest),
        ]
    )


@versions.command()
@click.argument("name")
@click.argument("source")
@click.option("--run-id", help="The run that produced the model [default: taken from SOURCE].")
@click.option("--description", help="What changed in this version.")
@tag_option
@click.option("--semver", help="The semantic version, e.g. 2.0.0 [default: bumped].")
@click.option(
    "--bump",
    default="auto",
    show_default=True,
    metavar="auto|major|minor|patch",
    help="How to raise the highest semver when --semver is not given; auto picks major "
    "for an incompatible signature, patch for identical files, minor otherwise.",
)
@json_option
@with_client
def register(
    client: Client,
    name: str,
    source: str,
    run_id: str | None,
    description: str | None,
    tags: dict[str, str] | None,
    semver: str | None,
    bump: str,
    as_json: bool,
) -> None:
    """Register SOURCE (runs:/<run_id>/<path> or models:/…) as a new version of NAME.

    The model must exist (`modelreg models create NAME`).

    \b
    Examples:
      modelreg versions register fraud runs:/0f3c9a.../model
      modelreg versions register fraud runs:/0f3c9a.../model --bump major --tag data=2024-06
      modelreg versions register fraud models:/fraud/3 --semver 3.1.0
    """
    created = client.create_model_version(
        name,
        full_runs_uri(client, source),
        run_id=None if run_id is None else client.resolve_run_id(run_id),
        description=description,
        tags=tags,
        semver=semver,
        bump=bump,
    )
    if as_json:
        echo_json(created.to_dict())
    else:
        click.echo(f"Registered '{created.name}' version {created.version} ({created.semver}).")
    if not created.tags.get(PROMPT_TAG) and not client.list_model_version_artifacts(
        created.name, created.version
    ):
        click.secho(
            f"Warning: {created.source} holds no files, so neither does this version "
            "(is the path right?).",
            fg="yellow",
            err=True,
        )


@versions.command()
@click.argument("source")
@click.argument("name")
@json_option
@with_client
def copy(client: Client, source: str, name: str, as_json: bool) -> None:
    """Copy the version SOURCE (any models:/ form) to a new version of model NAME.

    NAME is created when it does not exist. The copy holds the same files, run,
    description and tags; its semver is bumped in NAME as for any new version.

    \b
    Examples:
      modelreg versions copy models:/fraud-staging@champion fraud-prod
      modelreg versions copy models:/fraud/3 fraud-eu --json
    """
    created = client.copy_model_version(source, name)
    if as_json:
        echo_json(created.to_dict())
    else:
        click.echo(
            f"Copied {created.source} to '{created.name}' version {created.version} "
            f"({created.semver})."
        )


@versions.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@with_client
def delete(client: Client, name: str, version: str) -> None:
    """Delete version VERSION of model NAME; its number is never reused.

    \b
    Example:
      modelreg versions delete fraud 2
    """
    number = resolve_version(client, name, version)
    client.delete_model_version(name, number)
    click.echo(f"Deleted '{name}' version {number}.")


@versions.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@click.option("--description", required=True, help="What changed in this version ('' clears it).")
@json_option
@with_client
def update(client: Client, name: str, version: str, description: str, as_json: bool) -> None:
    """Change the description of version VERSION of model NAME.

    \b
    Example:
      modelreg versions update fraud 4 --description "Retrained on June data"
    """
    number = resolve_version(client, name, version)
    updated = client.update_model_version(name, number, description=description)
    if as_json:
        echo_json(updated.to_dict())
    else:
        click.echo(f"Updated the description of '{name}' version {number}.")


@versions.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@tags_argument
@with_client
def tag(client: Client, name: str, version: str, tags: dict[str, str]) -> None:
    """Set tags on version VERSION of model NAME; a bad one refuses them all.

    A CI job records what it checked, for promotion policies' required tags.

    \b
    Example:
      modelreg versions tag fraud 4 validation_status=passed reviewer=ana
    """
    number = resolve_version(client, name, version)
    set_tags(
        tags,
        MAX_REGISTRY_TAG_VALUE_LENGTH,
        lambda key, value: client.set_model_version_tag(name, number, key, value),
    )
    click.echo(f"Set {counted(len(tags), 'tag')} on '{name}' version {number}.")


@versions.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@with_client
def untag(client: Client, name: str, version: str, keys: tuple[str, ...]) -> None:
    """Remove tags from version VERSION of model NAME; a key it does not have refuses them all.

    \b
    Example:
      modelreg versions untag fraud 4 reviewer
    """
    number = resolve_version(client, name, version)
    remove_tags(
        keys,
        client.get_model_version(name, number).tags,
        f"'{name}' version {number}",
        lambda key: client.delete_model_version_tag(name, number, key),
    )
    click.echo(f"Removed {counted(len(set(keys)), 'tag')} from '{name}' version {number}.")
