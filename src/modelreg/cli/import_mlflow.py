"""``modelreg import-mlflow SOURCE``: copy an MLflow tracking server's history into modelreg."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from modelreg.cli.output import echo_json, json_option, print_table, tracking_uri_of

if TYPE_CHECKING:
    from modelreg.mlflow_import import ImportResult


def _print_result(result: ImportResult, mapping_file: Path | None) -> None:
    if result.plan is not None:
        print_table(
            [
                "experiment",
                "MLflow id",
                "in target",
                "runs",
                "to copy",
                "files",
                "bytes",
                "logged models",
                "to copy",
            ],  # fmt: skip
            [
                (
                    e["name"],
                    e["mlflow_id"],
                    "yes" if e["exists"] else "no",
                    e["runs"],
                    e["new_runs"],
                    e["new_files"],
                    e["new_bytes"],
                    e["logged_models"],
                    e["new_logged_models"],
                )
                for e in result.plan.experiments
            ],  # fmt: skip
            title="Would copy (dry run)",
        )
        print_table(
            ["model", "versions", "to copy", "aliases"],
            [
                (m["name"], m["versions"], m["new_versions"], m["aliases"])
                for m in result.plan.models
            ],
        )
        return
    print_table(
        ["", "MLflow", "modelreg", ""],
        [(row, s, t, "" if s == t else "differs") for row, (s, t) in result.counts.items()],
        title="Source and target",
    )
    if mapping_file is not None:
        click.echo(f"Experiment ids (MLflow → modelreg) written to {mapping_file}")
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) in the source; the rest was imported:")
        for problem in result.problems:
            click.echo(f"  - {problem}")


@click.command("import-mlflow")
@click.argument("source")
@click.option("--tracking-uri", metavar="URI", help="The target. [default: the current one]")
@click.option(
    "--token", envvar="MLFLOW_TRACKING_TOKEN", show_envvar=True, help="Bearer token for SOURCE."
)
@click.option(
    "--username",
    envvar="MLFLOW_TRACKING_USERNAME",
    show_envvar=True,
    help="User for basic auth to SOURCE.",
)
@click.option(
    "--password",
    envvar="MLFLOW_TRACKING_PASSWORD",
    show_envvar=True,
    help="Password for basic auth to SOURCE.",
)
@click.option("--insecure", is_flag=True, help="Do not check SOURCE's TLS certificate.")
@click.option(
    "--experiments",
    "-e",
    multiple=True,
    metavar="NAME|ID",
    help="Import only these experiments (repeat the option). With --models only, no runs.",
)
@click.option(
    "--models",
    "-m",
    multiple=True,
    metavar="NAME",
    help="Import only these registered models (repeat). With --experiments only, no models.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be copied; write nothing.")
@click.option(
    "--verify", is_flag=True, help="Also download every artifact again and compare digests."
)
@click.option("--workers", default=4, show_default=True, help="Runs copied at the same time.")
@click.option(
    "--mapping-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default="mlflow-experiment-ids.json",
    show_default=True,
    help="Where the MLflow → modelreg experiment id mapping is written (merged if it exists).",
)
@click.option("--no-progress", is_flag=True, help="No progress bars, even on a terminal.")
@json_option
def import_mlflow_command(
    source: str,
    tracking_uri: str | None,
    token: str | None,
    username: str | None,
    password: str | None,
    insecure: bool,
    experiments: tuple[str, ...],
    models: tuple[str, ...],
    dry_run: bool,
    verify: bool,
    workers: int,
    mapping_file: Path,
    no_progress: bool,
    as_json: bool,
) -> None:
    """Copy the history of the MLflow tracking server SOURCE (http://host:5000) into modelreg.

    Experiments, runs (ids kept, every metric value, params, tags, datasets,
    artifacts), MLflow 3 logged models (and which runs used and made them),
    registered models, versions (numbers and stages kept, a semver each in
    registration order), aliases and webhooks (created disabled: MLflow keeps
    their secrets). Every imported object gets an "imported from MLflow" audit
    event; original times stay on the entities. Running it again copies only what is missing,
    so an interrupted import resumes. Needs admin rights on a server with --auth.

    \b
    Examples:
      modelreg import-mlflow http://mlflow:5000 --dry-run
      modelreg import-mlflow http://mlflow:5000 --tracking-uri http://modelreg:5000
      MLFLOW_TRACKING_TOKEN=… modelreg import-mlflow https://mlflow.example.com -m fraud
    """
    from modelreg.mlflow_import import Options, SourceAuth, import_mlflow
    from modelreg.mlflow_import.progress import Progress

    result = import_mlflow(
        source,
        tracking_uri_of(tracking_uri),
        auth=SourceAuth(token, username, password, verify_tls=not insecure),
        options=Options(experiments, models, dry_run, verify, workers),
        mapping_file=None if dry_run else mapping_file,
        progress=Progress(enabled=False if no_progress or as_json else None),
    )
    if as_json:
        echo_json(result.to_dict())
    else:
        _print_result(result, None if dry_run else mapping_file)
