"""``modelreg logged-models``: MLflow 3's logged models, as MLflow clients log them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    echo_json,
    echo_next_page,
    json_option,
    none_listed,
    print_fields,
    print_table,
    timestamp,
    with_client,
)
from modelreg.cli.runs import experiment_ids

if TYPE_CHECKING:
    from modelreg.client import Client
    from modelreg.logged_models import LoggedModelMetric

DIGEST = re.compile(r"[0-9a-fA-F]{1,64}")


@click.group("logged-models", cls=ModelregGroup)
def logged_models() -> None:
    """MLflow 3's logged models: what mlflow.<flavor>.log_model makes against this server."""


@logged_models.command("list")
@click.option(
    "--experiment",
    metavar="NAME_OR_ID",
    help="Only models of this experiment. [default: every active experiment]",
)
@click.option("--filter", "filter_string", help="e.g. \"name = 'model' and tags.team = 'x'\".")
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    metavar="NAME[@DIGEST]",
    help="Compare the filter's metrics only as measured on this dataset (a digest: on "
    "that version of it); without a metric in the filter, list the models measured on "
    "it. Repeat for any of several.",
)
@click.option("--max-results", type=int, default=100, show_default=True)
@click.option("--page-token", help="Where the previous page stopped.")
@json_option
@with_client
def list_logged_models(
    client: Client,
    experiment: str | None,
    filter_string: str | None,
    datasets: tuple[str, ...],
    max_results: int,
    page_token: str | None,
    as_json: bool,
) -> None:
    """List logged models, newest first.

    \b
    Examples:
      modelreg logged-models list --experiment fraud
      modelreg logged-models list --filter "source_run_id = '0f3c…'" --json
      modelreg logged-models list --filter "metrics.auc > 0.9" --dataset holdout
    """
    page = client.search_logged_models(
        experiment_ids(client, experiment),
        filter_string,
        [_dataset(text) for text in datasets],
        max_results=max_results,
        page_token=page_token,
    )
    if as_json:
        echo_json([model.to_dict() for model in page])
    else:
        print_table(
            [
                "Model ID",
                Column("Name", cut=True),
                Column("Experiment", drop=3),
                "Status",
                Column("Run", drop=2),
                Column("Created", drop=1),
            ],
            [
                [
                    m.model_id,
                    m.name,
                    m.experiment_id,
                    m.status,
                    m.source_run_id,
                    timestamp(m.creation_timestamp),
                ]
                for m in page
            ],
            empty=none_listed(
                "logged models",
                filtered=filter_string is not None or bool(datasets),
                more=page_token is not None,
            ),
        )
    echo_next_page(page.token)


@logged_models.command()
@click.argument("model_id")
@json_option
@with_client
def show(client: Client, model_id: str, as_json: bool) -> None:
    """Show a logged model: its run, status, params, metrics, tags and the runs that
    logged or used it.

    \b
    Examples:
      modelreg logged-models show m-0f3c9a6e2b5d4c1f8e7a9b0c1d2e3f40
    """
    model = client.get_logged_model(model_id)
    if as_json:
        echo_json(model.to_dict())
        return
    print_fields(
        [
            ("Model ID", model.model_id),
            ("Name", model.name),
            ("Experiment", model.experiment_id),
            ("Run", model.source_run_id),
            ("Status", model.status),
            ("Type", model.model_type),
            ("User", model.user_id),
            ("Created", timestamp(model.creation_timestamp)),
            ("Artifact URI", model.artifact_location),
            ("URI", model.model_uri),
        ]
    )
    if model.params:
        print_table(
            ["Key", Column("Value", wrap=True)], sorted(model.params.items()), title="Params"
        )
    if model.metrics:
        rows = sorted(
            [m.metric.key, m.metric.value, m.metric.step, _dataset_label(m), m.run_id or ""]
            for m in model.metrics
        )
        print_table(
            ["Key", "Value", "Step", "Dataset", Column("Run", drop=1)], rows, title="Metrics"
        )
    if model.tags:
        print_table(["Key", Column("Value", wrap=True)], sorted(model.tags.items()), title="Tags")
    links = client.get_logged_model_run_links(model.model_id)
    if links:
        linked = [(x.run_id, x.direction, x.step) for x in links]
        print_table(["Run", "Direction", "Step"], linked, title="Runs")


def _dataset(text: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME@DIGEST`` (the digest hexadecimal, after the last '@')."""
    name, at, digest = text.rpartition("@")
    if at and name and DIGEST.fullmatch(digest):
        return (name, digest)
    return (text, None)


def _dataset_label(m: LoggedModelMetric) -> str:
    if not m.dataset_name:
        return ""
    return m.dataset_name + (f"@{m.dataset_digest}" if m.dataset_digest else "")
