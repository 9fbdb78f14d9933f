"""``modelreg models``: list, show, create, change, tag, protect and delete registered models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from modelreg.cli.compare import formula, parse_weights
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
from modelreg.cli.tagging import remove_tags, set_tags
from modelreg.validation import MAX_REGISTRY_TAG_VALUE_LENGTH

if TYPE_CHECKING:
    from modelreg.client import Client
    from modelreg.entities import RegisteredModel


@click.group(cls=ModelregGroup)
def models() -> None:
    """Registered models: named families of versions."""


@models.command("list")
@search_options(default_max_results=100)
@json_option
@with_client
def list_models(
    client: Client,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    page_token: str | None,
    as_json: bool,
) -> None:
    """List registered models.

    FILTER compares name (=, !=, LIKE, ILIKE, IN), creation_timestamp,
    last_updated_timestamp and tags.<key>.

    \b
    Examples:
      modelreg models list
      modelreg models list --filter "name LIKE 'fraud%' AND tags.team = 'risk'"
      modelreg models list --order-by "last_updated_timestamp DESC" --json
    """
    page = client.search_registered_models(
        filter_string, max_results, list(order_by) or None, page_token
    )
    if as_json:
        echo_json([model.to_dict() for model in page])
    else:
        print_table(
            [
                "Name",
                "Latest",
                Column("Stages", wrap=True),
                Column("Aliases", wrap=True, drop=1),
                Column("Description", wrap=True, drop=3),
                Column("Updated", drop=2),
            ],
            [_row(model) for model in page],
            empty=none_listed(
                "registered models",
                filtered=filter_string is not None,
                more=page_token is not None,
                hint="Make one with: modelreg models create NAME",
            ),
        )
    echo_next_page(page.token)


def _row(model: RegisteredModel) -> list[Any]:
    latest = max((v.version for v in model.latest_versions), default=None)
    stages = {
        v.current_stage: v.version for v in model.latest_versions if v.current_stage != "None"
    }
    return [
        model.name,
        latest,
        stages,
        model.aliases,
        model.description,
        timestamp(model.last_updated_timestamp),
    ]


@models.command()
@click.argument("name")
@json_option
@with_client
def show(client: Client, name: str, as_json: bool) -> None:
    """Show a registered model with its aliases and latest version in each stage.

    \b
    Examples:
      modelreg models show fraud
      modelreg models show fraud --json
    """
    model = client.get_registered_model(name)
    if as_json:
        echo_json(model.to_dict())
        return
    print_fields(
        [
            ("Name", model.name),
            ("Description", model.description),
            ("Tags", model.tags),
            ("Aliases", model.aliases),
            ("Created", timestamp(model.creation_timestamp)),
            ("Updated", timestamp(model.last_updated_timestamp)),
        ]
    )
    if model.latest_versions:
        print_table(
            [
                "Stage",
                "Version",
                "Semver",
                Column("Aliases", wrap=True, drop=1),
                Column("Run ID", drop=3),
                Column("Created", drop=2),
            ],
            [
                [
                    v.current_stage,
                    v.version,
                    v.semver,
                    v.aliases,
                    v.run_id,
                    timestamp(v.creation_timestamp),
                ]
                for v in model.latest_versions
            ],
            title="Latest versions",
        )


@models.command()
@click.argument("name")
@click.option("--description", help="What the model is for.")
@tag_option
@json_option
@with_client
def create(
    client: Client,
    name: str,
    description: str | None,
    tags: dict[str, str] | None,
    as_json: bool,
) -> None:
    """Create a registered model.

    \b
    Examples:
      modelreg models create fraud --description "Card fraud scorer" --tag team=risk
    """
    model = client.create_registered_model(name, description=description, tags=tags)
    if as_json:
        echo_json(model.to_dict())
    else:
        click.echo(f"Created registered model '{model.name}'.")


@models.command()
@click.argument("name")
@click.option("--force", is_flag=True, help="Delete even while a version is in Production.")
@with_client
def delete(client: Client, name: str, force: bool) -> None:
    """Delete a registered model and all its versions.

    The audit trail stays readable (`modelreg history NAME`). A model with a
    version in Production is kept unless --force is given.

    \b
    Examples:
      modelreg models delete fraud-old
      modelreg models delete fraud --force
    """
    client.delete_registered_model(name, force=force)
    click.echo(f"Deleted registered model '{name}'.")


@models.command("set-weights")
@click.argument("name")
@click.argument("weights", metavar="METRIC=W,…", callback=parse_weights)
@with_client
def set_weights(client: Client, name: str, weights: dict[str, float]) -> None:
    """Set how `modelreg compare` scores and ranks the versions of model NAME.

    The score is the sum of weight × metric; give lower-is-better metrics a
    negative weight. '' removes the weights.

    \b
    Examples:
      modelreg models set-weights fraud auc=1,latency_ms=-0.01
      modelreg models set-weights fraud ''
    """
    saved = client.set_scoring_weights(name, weights)
    if saved:
        click.echo(f"'{name}' is scored as {formula(saved)}.")
    else:
        click.echo(f"'{name}' has no scoring weights now.")


@models.command()
@click.argument("name")
@click.argument("new_name")
@with_client
def rename(client: Client, name: str, new_name: str) -> None:
    """Rename model NAME; its versions, aliases and history follow it.

    models:/ URIs with the old name stop resolving.

    \b
    Example:
      modelreg models rename fraud card-fraud
    """
    client.rename_registered_model(name, new_name)
    click.echo(f"Renamed registered model '{name}' to '{new_name}'.")


@models.command()
@click.argument("name")
@click.option("--description", required=True, help="What the model is for ('' clears it).")
@json_option
@with_client
def update(client: Client, name: str, description: str, as_json: bool) -> None:
    """Change the description of model NAME.

    \b
    Example:
      modelreg models update fraud --description "Card fraud scorer, EU traffic"
    """
    model = client.update_registered_model(name, description=description)
    if as_json:
        echo_json(model.to_dict())
    else:
        click.echo(f"Updated the description of registered model '{name}'.")


@models.command()
@click.argument("name")
@tags_argument
@with_client
def tag(client: Client, name: str, tags: dict[str, str]) -> None:
    """Set tags on model NAME (an existing key is overwritten); a bad one refuses them all.

    \b
    Example:
      modelreg models tag fraud team=risk owner=ana
    """
    set_tags(
        tags,
        MAX_REGISTRY_TAG_VALUE_LENGTH,
        lambda key, value: client.set_registered_model_tag(name, key, value),
    )
    click.echo(f"Set {counted(len(tags), 'tag')} on registered model '{name}'.")


@models.command()
@click.argument("name")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@with_client
def untag(client: Client, name: str, keys: tuple[str, ...]) -> None:
    """Remove tags from model NAME; a key it does not have refuses them all.

    \b
    Example:
      modelreg models untag fraud owner
    """
    remove_tags(
        keys,
        client.get_registered_model(name).tags,
        f"registered model '{name}'",
        lambda key: client.delete_registered_model_tag(name, key),
    )
    click.echo(f"Removed {counted(len(set(keys)), 'tag')} from registered model '{name}'.")


@models.command()
@click.argument("name")
@click.option(
    "--alias",
    "aliases",
    multiple=True,
    metavar="ALIAS",
    help="An alias only the model's managers may move; repeat for more.",
)
@click.option("--no-aliases", is_flag=True, help="Protect no alias (every editor may move them).")
@click.option(
    "--production/--no-production",
    default=None,
    help="Whether only the model's managers may move versions in and out of Production.",
)
@json_option
@with_client
def protect(
    client: Client,
    name: str,
    aliases: tuple[str, ...],
    no_aliases: bool,
    production: bool | None,
    as_json: bool,
) -> None:
    """Show or set what of model NAME only its managers may move.

    --alias replaces the protected aliases; without options the command
    shows the protection.

    \b
    Examples:
      modelreg models protect fraud --alias champion --production
      modelreg models protect fraud --no-aliases --no-production
      modelreg models protect fraud --json
    """
    if aliases and no_aliases:
        raise click.UsageError("give --alias or --no-aliases, not both")
    protected = list(aliases) if aliases or no_aliases else None
    if protected is None and production is None:
        protection = client.get_model_protection(name)
    else:
        protection = client.set_model_protection(name, protected, production)
    if as_json:
        echo_json(protection.to_dict())
        return
    print_fields(
        [
            ("Model", protection.name),
            ("Protected aliases", list(protection.protected_aliases) or "(none)"),
            ("Production protected", "yes" if protection.protect_production else "no"),
        ]
    )
