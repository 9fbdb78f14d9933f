"""``modelreg experiments``: list, show, create, rename, delete, restore and tag experiments."""

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
from modelreg.cli.references import resolve_experiment
from modelreg.cli.tagging import remove_tags, set_tags
from modelreg.validation import MAX_EXPERIMENT_TAG_VALUE_LENGTH

if TYPE_CHECKING:
    from modelreg.client import Client

EXPERIMENT = click.argument("experiment", metavar="EXPERIMENT")
_VIEWS = {"active": "ACTIVE_ONLY", "deleted": "DELETED_ONLY", "all": "ALL"}


@click.group(cls=ModelregGroup)
def experiments() -> None:
    """Experiments: named groups of runs.

    EXPERIMENT is an experiment's name or, when no experiment has that name, its id.
    """


@experiments.command("list")
@click.option(
    "--view",
    type=click.Choice(sorted(_VIEWS)),
    default="active",
    show_default=True,
    help="Which experiments: the active ones, the deleted ones, or all.",
)
@search_options(default_max_results=100)
@json_option
@with_client
def list_experiments(
    client: Client,
    view: str,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    page_token: str | None,
    as_json: bool,
) -> None:
    """List experiments, newest first.

    FILTER compares name (=, !=, LIKE, ILIKE), creation_time,
    last_update_time and tags.<key>.

    \b
    Examples:
      modelreg experiments list
      modelreg experiments list --filter "name LIKE 'fraud%'" --order-by "name"
      modelreg experiments list --view deleted --json
    """
    page = client.search_experiments(
        _VIEWS[view], max_results, filter_string, list(order_by) or None, page_token
    )
    if as_json:
        echo_json([experiment.to_dict() for experiment in page])
    else:
        print_table(
            [
                "ID",
                Column("Name", cut=True),
                Column("Lifecycle", drop=3),
                Column("Tags", wrap=True, drop=1),
                Column("Created", drop=2),
            ],
            [
                [
                    e.experiment_id,
                    e.name,
                    e.lifecycle_stage,
                    e.tags,
                    timestamp(e.creation_time),
                ]
                for e in page
            ],
            empty=none_listed(
                "deleted experiments" if view == "deleted" else "experiments",
                filtered=filter_string is not None,
                more=page_token is not None,
            ),
        )
    echo_next_page(page.token)


@experiments.command()
@EXPERIMENT
@json_option
@with_client
def show(client: Client, experiment: str, as_json: bool) -> None:
    """Show an experiment: its id, name, artifact location, lifecycle and tags.

    \b
    Examples:
      modelreg experiments show fraud
      modelreg experiments show 3 --json
    """
    found = resolve_experiment(client, experiment)
    if as_json:
        echo_json(found.to_dict())
        return
    print_fields(
        [
            ("ID", found.experiment_id),
            ("Name", found.name),
            ("Artifact location", found.artifact_location),
            ("Lifecycle", found.lifecycle_stage),
            ("Tags", found.tags),
            ("Created", timestamp(found.creation_time)),
            ("Updated", timestamp(found.last_update_time)),
        ]
    )


@experiments.command()
@click.argument("name")
@click.option(
    "--artifact-location",
    metavar="URI",
    help="Where the runs' files go. [default: the store's artifact root]",
)
@tag_option
@json_option
@with_client
def create(
    client: Client,
    name: str,
    artifact_location: str | None,
    tags: dict[str, str] | None,
    as_json: bool,
) -> None:
    """Create an experiment and print its id.

    \b
    Examples:
      modelreg experiments create fraud --tag team=risk
      ID=$(modelreg experiments create fraud-2027 --json | jq -r .experiment_id)
    """
    experiment_id = client.create_experiment(name, artifact_location, tags)
    if as_json:
        echo_json(client.get_experiment(experiment_id).to_dict())
    else:
        click.echo(f"Created experiment '{name}' with id {experiment_id}.")


@experiments.command()
@EXPERIMENT
@click.argument("new_name")
@with_client
def rename(client: Client, experiment: str, new_name: str) -> None:
    """Rename an experiment; its runs stay in it.

    \b
    Example:
      modelreg experiments rename fraud fraud-2026
    """
    found = resolve_experiment(client, experiment)
    client.rename_experiment(found.experiment_id, new_name)
    click.echo(f"Renamed experiment {found.experiment_id} '{found.name}' to '{new_name}'.")


@experiments.command()
@EXPERIMENT
@with_client
def delete(client: Client, experiment: str) -> None:
    """Delete an experiment and its runs, restorably (`modelreg experiments restore`).

    Deleted runs leave listings and take no more data; registered versions
    keep their files.

    \b
    Example:
      modelreg experiments delete fraud-old
    """
    found = resolve_experiment(client, experiment)
    client.delete_experiment(found.experiment_id)
    click.echo(f"Deleted experiment {found.experiment_id} '{found.name}'.")


@experiments.command()
@EXPERIMENT
@with_client
def restore(client: Client, experiment: str) -> None:
    """Restore a deleted experiment and its runs.

    \b
    Example:
      modelreg experiments restore fraud-old
    """
    found = resolve_experiment(client, experiment)
    client.restore_experiment(found.experiment_id)
    click.echo(f"Restored experiment {found.experiment_id} '{found.name}'.")


@experiments.command()
@EXPERIMENT
@tags_argument
@with_client
def tag(client: Client, experiment: str, tags: dict[str, str]) -> None:
    """Set tags on an experiment (an existing key is overwritten).

    \b
    Example:
      modelreg experiments tag fraud team=risk owner=ana
    """
    found = resolve_experiment(client, experiment)
    set_tags(
        tags,
        MAX_EXPERIMENT_TAG_VALUE_LENGTH,
        lambda key, value: client.set_experiment_tag(found.experiment_id, key, value),
    )
    click.echo(f"Set {counted(len(tags), 'tag')} on experiment '{found.name}'.")


@experiments.command()
@EXPERIMENT
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@with_client
def untag(client: Client, experiment: str, keys: tuple[str, ...]) -> None:
    """Remove tags from an experiment; a key it does not have is an error.

    \b
    Example:
      modelreg experiments untag fraud owner
    """
    found = resolve_experiment(client, experiment)
    remove_tags(
        keys,
        found.tags,
        f"experiment '{found.name}'",
        lambda key: client.delete_experiment_tag(found.experiment_id, key),
    )
    click.echo(f"Removed {counted(len(set(keys)), 'tag')} from experiment '{found.name}'.")
