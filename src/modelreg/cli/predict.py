"""``modelreg predict``: score a file with a model from the registry, in chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from modelreg.cli.output import echo_json, json_option, with_client
from modelreg.cli.trust import trust_options


@click.command()
@click.argument("uri", metavar="URI")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rows to score: .csv (with a header), .jsonl (one object per line) or .parquet.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the predictions go: .csv, .jsonl or .parquet; one row per input row.",
)
@click.option(
    "--chunk-size",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows read, predicted and written at a time.",
)
@click.option(
    "--params",
    "params_json",
    metavar="JSON",
    help="Inference parameters, a JSON object such as '{\"threshold\": 0.7}': checked "
    "against the model's signature as a scoring request's \"params\" are.",
)
@trust_options
@json_option
@with_client
def predict(
    client: object,
    uri: str,
    input_path: Path,
    output_path: Path,
    chunk_size: int,
    params_json: str | None,
    as_json: bool,
    trust: dict[str, Any],
) -> None:
    """Score the rows of a file with the model URI names, in chunks, with a progress bar.

    URI is any models:/ or runs:/ form. Each row is converted to the model's
    signature as modelreg serve converts a request, so both give the same
    prediction. The output file appears only when every row is scored.

    \b
    Examples:
      modelreg predict models:/fraud@champion --input today.parquet --output scores.parquet
      modelreg predict models:/fraud/3 --input rows.csv --output scores.csv --chunk-size 50000
      modelreg predict models:/tagger/2 --input texts.csv --output tags.csv --params '{"k": 5}'
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from modelreg.errors import InvalidArgument
    from modelreg.models import load_model
    from modelreg.serving.batch import file_format, input_size, predict_file

    for hint, path in (("--input", input_path), ("--output", output_path)):
        try:
            file_format(path, "the file")
        except InvalidArgument as exc:
            raise click.BadParameter(exc.message, param_hint=hint) from None
    if not input_path.is_file():
        raise click.BadParameter(f"{input_path} is not a file", param_hint="--input")
    params = None if params_json is None else _json_object(params_json)
    model = load_model(uri, client=client, **trust)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("scoring", total=input_size(input_path), rows=0)
        rows = predict_file(
            model,
            input_path,
            output_path,
            chunk_size=chunk_size,
            params=params,
            progress=lambda done, units: bar.update(task, completed=units, rows=done),
        )
    if as_json:
        echo_json({"rows": rows, "output": str(output_path), "model_uri": uri})
    else:
        click.echo(f"Scored {rows:,} rows of {input_path} into {output_path}")


def _json_object(text: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--params") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object of names to values", param_hint="--params")
    return value
