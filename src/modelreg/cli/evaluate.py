"""``modelreg evaluate``: a model's standard metrics on a file of examples, logged to a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from modelreg.cli.output import (
    TRACKING_URI_HELP,
    echo_json,
    json_option,
    print_table,
    tracking_uri_of,
)
from modelreg.cli.trust import trust_options


@click.command("evaluate")
@click.argument("uri", metavar="URI")
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The examples: .csv (with a header), .jsonl or .parquet, features and targets.",
)
@click.option("--targets", required=True, help="The column of true labels or values.")
@click.option(
    "--model-type",
    required=True,
    type=click.Choice(["classifier", "regressor"]),
    help="What is scored.",
)
@click.option(
    "--pos-label", help="A binary classifier's positive label (default: 1, else the larger)."
)
@click.option(
    "--average",
    type=click.Choice(["weighted", "macro", "micro"]),
    default="weighted",
    show_default=True,
    help="How precision, recall and F1 of several classes are averaged.",
)
@click.option("--metric-prefix", default="", help="Put before every metric name (holdout_).")
@click.option(
    "--dataset-name", help="The dataset's name in the run's inputs (default: the file's)."
)
@click.option("--experiment", help="The experiment of the evaluation's run (default: the default).")
@click.option("--run-id", help="Log into this run instead of a new one.")
@click.option(
    "--into-source-run",
    is_flag=True,
    help="Log into the source run of the version URI names, where a promotion policy reads "
    "its metrics.",
)
@click.option("--tracking-uri", metavar="URI", help=TRACKING_URI_HELP)
@trust_options
@json_option
def evaluate_command(
    uri: str,
    data_path: Path,
    targets: str,
    model_type: str,
    pos_label: str | None,
    average: str,
    metric_prefix: str,
    dataset_name: str | None,
    experiment: str | None,
    run_id: str | None,
    into_source_run: bool,
    tracking_uri: str | None,
    as_json: bool,
    trust: dict[str, Any],
) -> None:
    """Score the model URI names on the examples in a file and log the metrics.

    URI is any models:/ or runs:/ form (or a saved model's folder). The metrics
    are MLflow's (accuracy_score, f1_score, roc_auc … for a classifier;
    mean_absolute_error, r2_score … for a regressor), logged at step 0 to a new
    run (or --run-id), as measured on the file, which becomes an input of the run.
    A promotion policy's thresholds and beats_current read a version's source run:
    evaluate into it with --into-source-run and a --metric-prefix to gate
    promotion on held-out data.

    \b
    Examples:
      modelreg evaluate models:/fraud/Staging --data holdout.csv --targets label \\
          --model-type classifier
      modelreg evaluate models:/prices/3 --data test.parquet --targets price \\
          --model-type regressor --into-source-run --metric-prefix holdout_ --json
    """
    import modelreg
    from modelreg.logged_models import logged_model_of
    from modelreg.serving.batch import read_table

    modelreg.set_tracking_uri(tracking_uri_of(tracking_uri))
    if into_source_run:
        run_id = _source_run(uri, run_id, experiment)
    if experiment is not None:
        modelreg.set_experiment(experiment)
    model = modelreg.load_model(uri, **trust)
    frame = read_table(data_path, model.signature)
    config: dict[str, Any] = {"average": average, "metric_prefix": metric_prefix}
    if pos_label is not None:
        config["pos_label"] = _label_like(frame, targets, pos_label)
    result = modelreg.evaluate(
        model,
        frame,
        targets=targets,
        model_type=model_type,
        evaluator_config=config,
        dataset_name=dataset_name or data_path.stem,
        model_id=logged_model_of(uri),
        run_id=run_id,
    )
    if as_json:
        dataset = result.dataset
        echo_json(
            {
                "run_id": result.run_id,
                "metrics": result.metrics,
                "artifacts": result.artifacts,
                "dataset": {
                    "name": dataset.name,
                    "digest": dataset.digest,
                    "rows": dataset.num_rows,
                },
            }
        )
        return
    print_table(["metric", "value"], sorted(result.metrics.items()))
    click.echo(f"Logged to run {result.run_id} as measured on {result.dataset.name}")


def _source_run(uri: str, run_id: str | None, experiment: str | None) -> str:
    """The source run of the registered version or logged model ``uri`` names."""
    import modelreg
    from modelreg.logged_models import logged_model_of

    if run_id is not None or experiment is not None:
        raise click.UsageError("--into-source-run takes neither --run-id nor --experiment")
    if not uri.startswith("models:/"):
        raise click.BadParameter(
            "--into-source-run needs a models:/ URI of a version or a logged model",
            param_hint="URI",
        )
    client = modelreg.Client()
    model_id = logged_model_of(uri)
    if model_id is not None:
        source, what = client.get_logged_model(model_id).source_run_id, f"logged model {model_id}"
    else:
        version = client.resolve_model_uri(uri)
        source, what = version.run_id, f"version {version.version} of {version.name}"
    if source is None:
        raise click.BadParameter(f"{what} has no source run", param_hint="URI")
    return source


def _label_like(frame: Any, column: str, text: str) -> Any:
    """``--pos-label`` as a value of the targets column: a number for a numeric column."""
    if column not in frame.columns or frame[column].dtype.kind not in "iuf":
        return text
    try:
        number = float(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a number, and the targets column {column!r} holds numbers",
            param_hint="--pos-label",
        ) from None
    return int(number) if number.is_integer() and frame[column].dtype.kind in "iu" else number
