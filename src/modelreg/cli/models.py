"""``modelreg models``: list, show, create and delete registered models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from modelreg.cli.compare import formula, parse_weights
from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    echo_json,
    echo_next_page,
    json_option,
    print_fields,
    print_table,
    search_options,
    tag_option,
    timestamp,
    with_client,
)

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
