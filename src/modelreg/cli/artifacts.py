"""``modelreg artifacts``: list, upload and download the files of a run or a model version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from modelreg.artifact_files import human_size
from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    counted,
    echo_json,
    json_option,
    print_table,
    with_client,
)
from modelreg.cli.references import full_runs_uri
from modelreg.uris import parse_model_uri, parse_runs_uri

if TYPE_CHECKING:
    from modelreg.client import Client
    from modelreg.entities import FileInfo


@click.group(cls=ModelregGroup)
def artifacts() -> None:
    """Files logged by runs and snapshotted by model versions."""


@artifacts.command()
@click.argument("uri")
@click.argument("dst", type=click.Path(file_okay=False, path_type=Path))
@with_client
def download(client: Client, uri: str, dst: Path) -> None:
    """Download the file or folder URI into the folder DST and print its local path.

    URI is runs:/<run_id>/<path> or a models:/ URI, optionally followed by a
    path inside the version (models:/fraud/Production/MLmodel). Every file is
    checked against its SHA-256 digest.

    \b
    Examples:
      modelreg artifacts download runs:/0f3c9a6e2b5d4c1f8e7a9b0c1d2e3f40/model ./out
      modelreg artifacts download models:/fraud@champion ./serving
      modelreg artifacts download models:/fraud/3/MLmodel .
    """
    click.echo(client.download_artifacts(artifact_uri=full_runs_uri(client, uri), dst_path=dst))


@artifacts.command("list")
@click.argument("uri")
@click.option("--recursive", "-r", is_flag=True, help="List the files in every folder below.")
@json_option
@with_client
def list_artifacts(client: Client, uri: str, recursive: bool, as_json: bool) -> None:
    """List the files and folders of URI: runs:/<run_id>[/<path>] or a models:/ URI.

    \b
    Examples:
      modelreg artifacts list runs:/0f3c9a6e
      modelreg artifacts list runs:/0f3c9a6e/model --recursive
      modelreg artifacts list models:/fraud@champion --json
    """
    list_one = _lister(client, full_runs_uri(client, uri))
    pending = [_start(uri)]
    found: list[FileInfo] = []
    while pending:
        for entry in list_one(pending.pop()):
            found.append(entry)
            if entry.is_dir and recursive:
                pending.append(entry.path)
    found.sort(key=lambda f: f.path)
    if recursive:
        found = [f for f in found if not f.is_dir]
    if as_json:
        echo_json([f.to_dict() for f in found])
        return
    print_table(
        ["Path", Column("Size", drop=1)],
        [
            [f.path + ("/" if f.is_dir else ""), "" if f.is_dir else human_size(f.file_size or 0)]
            for f in found
        ],
        empty=f"No files at {uri}.",
    )


def _lister(client: Client, uri: str) -> Callable[[str], list[FileInfo]]:
    """Lists one folder of what ``uri`` names, by its path from the run's or version's root."""
    if uri.startswith("models:/"):
        version = client.resolve_model_uri(uri)
        return lambda path: client.list_model_version_artifacts(version.name, version.version, path)
    if uri.startswith("runs:/"):
        run_id, _path = parse_runs_uri(uri)
        return lambda path: client.list_artifacts(run_id, path)
    raise click.BadParameter(f"'{uri:.200}' is not a runs:/ or models:/ URI", param_hint="URI")


def _start(uri: str) -> str:
    """The path inside the run or version that ``uri`` names ('' for the root)."""
    if uri.startswith("models:/"):
        return parse_model_uri(uri).path
    return parse_runs_uri(uri)[1] if uri.startswith("runs:/") else ""


@artifacts.command()
@click.argument("run_id")
@click.argument("local_path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--artifact-path",
    metavar="PATH",
    help="The folder of the run's artifacts to put it in. [default: the root]",
)
@with_client
def upload(client: Client, run_id: str, local_path: Path, artifact_path: str | None) -> None:
    """Upload the file or folder LOCAL_PATH to the artifacts of run RUN_ID.

    A folder's files keep their layout and are recorded together or not at
    all; identical content is stored once.

    \b
    Examples:
      modelreg artifacts upload 0f3c9a6e report.html
      modelreg artifacts upload 0f3c9a6e ./tokenizer --artifact-path model/tokenizer
    """
    run_id = client.resolve_run_id(run_id)
    if local_path.is_dir():
        client.log_artifacts(run_id, local_path, artifact_path)
        count = sum(1 for p in local_path.rglob("*") if p.is_file())
        where = artifact_path or ""
    else:
        client.log_artifact(run_id, local_path, artifact_path)
        count = 1
        where = "/".join(p for p in (artifact_path, local_path.name) if p)
    click.echo(
        f"Uploaded {counted(count, 'file')} to runs:/{run_id}"
        + (f"/{where}" if where else "")
        + "."
    )
