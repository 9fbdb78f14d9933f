"""``modelreg artifacts``: download the files of a run or a model version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import with_client
from modelreg.cli.references import full_runs_uri

if TYPE_CHECKING:
    from modelreg.client import Client


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
