"""``modelreg runs``: list, show, export, rename, tag, delete and restore tracked runs; a
metric's history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

import click

from modelreg import image_series
from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    counted,
    echo_json,
    echo_next_page,
    json_option,
    none_listed,
    page_options,
    print_fields,
    print_table,
    search_options,
    tags_argument,
    text,
    timestamp,
    with_client,
)
from modelreg.cli.references import resolve_experiment
from modelreg.cli.tagging import remove_tags
from modelreg.datasets import source_uri
from modelreg.filter_text import TOP_LEVEL_RUNS, all_of, child_runs_of
from modelreg.run_tags import PARENT_RUN_TAG
from modelreg.system_metrics import is_system_metric

if TYPE_CHECKING:
    from modelreg.client import Client
    from modelreg.entities import Run

# More metrics than this make the table too wide to read; `runs show` has them all.
_METRICS_IN_LIST = 4


@click.group(cls=ModelregGroup)
def runs() -> None:
    """Tracked runs: params, metrics and tags of training jobs."""


@runs.command("list")
@click.option(
    "--experiment",
    metavar="NAME_OR_ID",
    help="Only runs of this experiment. [default: every active experiment]",
)
@click.option(
    "--parent",
    metavar="RUN_ID",
    help="Only the runs nested in this run (a hyperparameter search's candidates).",
)
@click.option("--top-level", is_flag=True, help="Only runs nested in no other run.")
@search_options(default_max_results=100)
@json_option
@with_client
def list_runs(
    client: Client,
    experiment: str | None,
    parent: str | None,
    top_level: bool,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    page_token: str | None,
    as_json: bool,
) -> None:
    """List runs, newest first.

    FILTER compares metrics.<key>, params.<key>, tags.<key> and attributes
    (status, run_name, start_time …), joined with and/or and parentheses.

    \b
    Examples:
      modelreg runs list --experiment fraud
      modelreg runs list --filter "metrics.auc > 0.9 and params.lr = '0.01'" \\
                         --order-by "metrics.auc DESC" --max-results 5
      modelreg runs list --experiment 3 --json
      modelreg runs list --experiment tuning --top-level
      modelreg runs list --experiment tuning --parent 0f3c9a6e2b5d
    """
    if parent is not None and top_level:
        raise click.UsageError("--parent and --top-level: choose one")
    nesting = child_runs_of(client.resolve_run_id(parent)) if parent else ""
    page = client.search_runs(
        experiment_ids(client, experiment),
        all_of(filter_string or "", nesting, TOP_LEVEL_RUNS if top_level else ""),
        max_results=max_results,
        order_by=list(order_by) or None,
        page_token=page_token,
    )
    if as_json:
        echo_json([run.to_dict() for run in page])
    else:
        print_table(
            [
                "Run ID",
                Column("Name", cut=True),
                Column("Experiment", drop=3),
                "Status",
                Column("Started", drop=2),
                Column("Metrics", wrap=True, drop=1),
            ],
            [_row(run) for run in page],
            empty=none_listed(
                "runs",
                filtered=bool(filter_string or parent or top_level),
                more=page_token is not None,
            ),
        )
    echo_next_page(page.token)


@runs.command()
@click.option(
    "--experiment",
    metavar="NAME_OR_ID",
    help="Only runs of this experiment. [default: every active experiment]",
)
@click.option("--filter", "filter_string", metavar="FILTER", help="Only runs that match FILTER.")
@click.option(
    "--order-by",
    multiple=True,
    metavar="CLAUSE",
    help="Sort order, e.g. 'metrics.auc DESC'; repeat for more keys. [default: newest first]",
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="The CSV file to write. [default: stdout]",
)
@with_client
def export(
    client: Client,
    experiment: str | None,
    filter_string: str | None,
    order_by: tuple[str, ...],
    output: TextIO,
) -> None:
    """Write every matching run as a row of CSV, for a spreadsheet or pandas.

    Columns: run_id, run_name, experiment_id, status, user_id, start_time and
    end_time (ISO 8601, UTC), then params.<key>, metrics.<key> (the latest
    value) and tags.<key>, each key once, in name order.

    \b
    Examples:
      modelreg runs export --experiment fraud -o fraud-runs.csv
      modelreg runs export --filter "metrics.auc > 0.9" --order-by "metrics.auc DESC"
    """
    ids = experiment_ids(client, experiment)
    found: list[Run] = []
    token = None
    while True:
        page = client.search_runs(
            ids, filter_string or "", order_by=list(order_by) or None, page_token=token
        )
        found += page
        if not (token := page.token):
            break
    write_runs_csv(found, output)
    if output.name != "<stdout>":
        click.echo(f"Wrote {counted(len(found), 'run')} to {output.name}.", err=True)


def write_runs_csv(found: list[Run], output: TextIO) -> None:
    """``found`` as CSV rows on ``output``, as ``modelreg runs export`` describes them."""
    import csv

    info = ["run_id", "run_name", "experiment_id", "status", "user_id", "start_time", "end_time"]
    keys = {
        kind: sorted({k for run in found for k in getattr(run.data, kind)})
        for kind in ("params", "metrics", "tags")
    }
    writer = csv.writer(output)
    writer.writerow(info + [f"{kind}.{k}" for kind, names in keys.items() for k in names])
    for run in found:
        i = run.info
        row = [i.run_id, i.run_name, i.experiment_id, i.status, i.user_id]
        row += [_iso(i.start_time), _iso(i.end_time)]
        row += [getattr(run.data, kind).get(k, "") for kind, names in keys.items() for k in names]
        writer.writerow(row)


def _iso(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


@runs.command()
@click.argument("run_id")
@click.argument("new_name")
@with_client
def rename(client: Client, run_id: str, new_name: str) -> None:
    """Rename a run (its id stays; MLflow's runName tag follows).

    \b
    Example:
      modelreg runs rename 0f3c9a6e baseline-v2
    """
    run_id = client.resolve_run_id(run_id)
    client.update_run(run_id, name=new_name)
    click.echo(f"Renamed run {run_id} to '{new_name}'.")


def experiment_ids(client: Client, experiment: str | None) -> list[str]:
    """The id of the experiment named (or numbered) ``experiment``; every active one for None."""
    if experiment is None:
        ids: list[str] = []
        token = None
        while True:
            page = client.search_experiments(page_token=token)
            ids += [e.experiment_id for e in page]
            token = page.token
            if not token:
                return ids
    return [resolve_experiment(client, experiment).experiment_id]


def _row(run: Run) -> list[str]:
    # The model's metrics first: the machine's (system/…) only fill what room is left.
    metrics = sorted(run.data.metrics.items(), key=lambda m: (is_system_metric(m[0]), m[0]))
    shown = {key: value for key, value in metrics[:_METRICS_IN_LIST]}
    more = ", …" if len(metrics) > _METRICS_IN_LIST else ""
    return [
        run.info.run_id,
        run.info.run_name,
        run.info.experiment_id,
        run.info.status,
        timestamp(run.info.start_time),
        text(shown) + more,
    ]


@runs.command()
@click.argument("run_id")
@json_option
@with_client
def show(client: Client, run_id: str, as_json: bool) -> None:
    """Show a run: its info, params, latest metric values, tags, the datasets it used, the
    logged models it made or used, and its image series.

    \b
    Examples:
      modelreg runs show 0f3c9a6e2b5d4c1f8e7a9b0c1d2e3f40
      modelreg runs show 0f3c9a6e2b5d4c1f8e7a9b0c1d2e3f40 --json
    """
    run = client.get_run(client.resolve_run_id(run_id))
    if as_json:
        echo_json(run.to_dict())
        return
    info = run.info
    fields = [
        ("Run ID", info.run_id),
        ("Name", info.run_name),
        ("Experiment", info.experiment_id),
        ("Status", info.status),
        ("User", info.user_id),
        ("Started", timestamp(info.start_time)),
        ("Ended", timestamp(info.end_time)),
        ("Artifact URI", info.artifact_uri),
        ("Lifecycle", info.lifecycle_stage),
    ]
    parent = run.data.tags.get(PARENT_RUN_TAG)
    if parent:
        fields.insert(3, ("Parent run", parent))
    print_fields(fields)
    metrics = run.data.metrics
    for title, values in (
        ("Params", run.data.params),
        ("Metrics", {k: v for k, v in metrics.items() if not is_system_metric(k)}),
        ("System metrics", {k: v for k, v in metrics.items() if is_system_metric(k)}),
        ("Tags", run.data.tags),
    ):
        if values:
            print_table(["Key", Column("Value", wrap=True)], sorted(values.items()), title=title)
    used = [
        (
            i.dataset.name,
            i.context,
            i.dataset.digest[:12],
            i.dataset.num_rows,
            source_uri(i.dataset.source),
            ", ".join(f"{k}={v}" for k, v in i.other_tags.items()),
        )
        for i in run.inputs.dataset_inputs
    ]
    if used:
        columns: list[str | Column] = ["Dataset", "Context", "Digest", "Rows"]
        columns += [Column("Source", wrap=True), Column("Tags", wrap=True)]
        print_table(columns, used, title="Datasets")
    _show_links_and_images(client, info.run_id)


def _show_links_and_images(client: Client, run_id: str) -> None:
    """The run's links to logged models and its image series, as tables (none: nothing)."""
    links = client.get_run_model_links(run_id)
    if links:
        linked = [(x.model_id, x.direction, x.step) for x in links]
        print_table(["Logged model", "Direction", "Step"], linked, title="Logged models")
    found = image_series.series_of(
        f.path for f in client.list_artifacts(run_id, image_series.FOLDER)
    )
    if found:
        series = [
            (key, len(images), images[0].step, images[-1].step) for key, images in found.items()
        ]
        print_table(["Key", "Images", "First step", "Last step"], series, title="Image series")


@runs.command("metric-history")
@click.argument("run_id")
@click.argument("key")
@page_options(1000, "values")
@json_option
@with_client
def metric_history(
    client: Client,
    run_id: str,
    key: str,
    max_results: int,
    page_token: str | None,
    as_json: bool,
) -> None:
    """Show every logged value of metric KEY of a run, by step.

    Long histories come in pages: the command prints the --page-token that
    continues it.

    \b
    Examples:
      modelreg runs metric-history 0f3c9a6e2b5d4c1f8e7a9b0c1d2e3f40 loss
      modelreg runs metric-history 0f3c9a6e loss --max-results 100 --json
    """
    history = client.get_metric_history(client.resolve_run_id(run_id), key, max_results, page_token)
    if as_json:
        echo_json([m.to_dict() for m in history])
    else:
        print_table(
            ["Step", "Time", "Value"],
            [[m.step, timestamp(m.timestamp), text(m.value)] for m in history],
            empty=f"No more values of metric '{key}'."
            if page_token
            else f"The run has no values of metric '{key}'.",
        )
    echo_next_page(history.token)


@runs.command()
@click.argument("run_id")
@tags_argument
@with_client
def tag(client: Client, run_id: str, tags: dict[str, str]) -> None:
    """Set tags on a run, all or none (an existing key is overwritten).

    \b
    Example:
      modelreg runs tag 0f3c9a6e validated=yes reviewer=ana
    """
    from modelreg.entities import RunTag

    run_id = client.resolve_run_id(run_id)
    client.log_batch(run_id, tags=[RunTag(key, value) for key, value in tags.items()])
    click.echo(f"Set {counted(len(tags), 'tag')} on run {run_id}.")


@runs.command()
@click.argument("run_id")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@with_client
def untag(client: Client, run_id: str, keys: tuple[str, ...]) -> None:
    """Remove tags from a run; a key it does not have is an error.

    \b
    Example:
      modelreg runs untag 0f3c9a6e reviewer
    """
    run = client.get_run(client.resolve_run_id(run_id))
    run_id = run.info.run_id
    remove_tags(keys, run.data.tags, f"run {run_id}", lambda key: client.delete_tag(run_id, key))
    click.echo(f"Removed {counted(len(set(keys)), 'tag')} from run {run_id}.")


@runs.command()
@click.argument("run_id")
@with_client
def delete(client: Client, run_id: str) -> None:
    """Delete a run, restorably (`modelreg runs restore`); registered versions keep their files.

    \b
    Example:
      modelreg runs delete 0f3c9a6e
    """
    run_id = client.resolve_run_id(run_id)
    client.delete_run(run_id)
    click.echo(f"Deleted run {run_id}.")


@runs.command()
@click.argument("run_id")
@with_client
def restore(client: Client, run_id: str) -> None:
    """Restore a deleted run.

    \b
    Example:
      modelreg runs restore 0f3c9a6e
    """
    run_id = client.resolve_run_id(run_id)
    client.restore_run(run_id)
    click.echo(f"Restored run {run_id}.")
