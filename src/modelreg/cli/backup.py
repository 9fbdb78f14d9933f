"""``modelreg export`` and ``modelreg import``: move a whole registry between backends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from modelreg.cli.output import echo_json, json_option, tracking_uri_of
from modelreg.errors import InvalidArgument

if TYPE_CHECKING:
    from modelreg.backup import Summary

F = TypeVar("F", bound=Callable[..., Any])


def _store_options(func: F) -> F:
    func = click.option(
        "--artifacts-uri",
        envvar="MODELREG_ARTIFACTS_URI",
        metavar="URI",
        help="Artifact store of a sqlite:/// or postgresql:// store: a folder, file:/// or "
        "s3://bucket/prefix. [default: as for --tracking-uri]",
    )(func)
    return click.option(
        "--tracking-uri",
        metavar="URI",
        help="The registry: a folder, sqlite:///… or postgresql://… (not a server's URL: "
        "run this where the database is). [env var: MODELREG_TRACKING_URI; default: ./.modelreg/]",
    )(func)


def _resolve(tracking_uri: str | None, artifacts_uri: str | None) -> tuple[str, str]:
    from modelreg.uris import resolve_tracking_uri

    target = resolve_tracking_uri(tracking_uri_of(tracking_uri))
    if target.kind != "embedded":
        raise InvalidArgument(
            "export and import run where the database and artifact store are: pass "
            "--tracking-uri naming the database (sqlite:///… or postgresql://…), not a server URL"
        )
    assert target.db_url is not None and target.artifacts_uri is not None
    return target.db_url, artifacts_uri or target.artifacts_uri


def _report(summary: Summary, verb: str, as_json: bool) -> None:
    if as_json:
        echo_json(summary.to_dict())
        return
    from modelreg.artifact_files import human_size

    rows = sum(summary.rows.values())
    click.echo(
        f"{verb} {rows:,} rows in {len(summary.rows)} tables and {summary.blobs:,} blob(s) "
        f"({human_size(summary.blob_bytes)})."
    )


@click.command("export")
@click.argument("dest", type=click.Path(path_type=Path))
@_store_options
@json_option
def export_command(
    dest: Path, tracking_uri: str | None, artifacts_uri: str | None, as_json: bool
) -> None:
    """Write the whole registry (metadata and artifact blobs) into the new folder DEST.

    The archive is portable: `modelreg import` loads it into any backend.
    Every blob is checked against its digest on the way out. The archive
    holds webhook secrets and token hashes; keep it private.

    \b
    Examples:
      modelreg export ./backup-2024-06-01
      modelreg export --tracking-uri postgresql://postgres@db/registry \\
                      --artifacts-uri s3://models/registry ./backup
    """
    from modelreg.backup import export_registry

    db_url, artifacts = _resolve(tracking_uri, artifacts_uri)
    _report(export_registry(db_url, artifacts, dest), "Exported", as_json)


@click.command("import")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_store_options
@json_option
def import_command(
    src: Path, tracking_uri: str | None, artifacts_uri: str | None, as_json: bool
) -> None:
    """Load the archive folder SRC (from `modelreg export`) into an empty registry.

    A new database is migrated first. Table files and blobs are checked
    against their digests before anything is written; the metadata goes in
    in one transaction, so a failed import leaves the target as it was.
    PostgreSQL's planner statistics are brought up to date at the end, so
    searches of the imported registry are fast at once.

    \b
    Examples:
      modelreg import --tracking-uri postgresql://postgres@db/registry \\
                      --artifacts-uri s3://models/registry ./backup
    """
    from modelreg.backup import import_registry

    db_url, artifacts = _resolve(tracking_uri, artifacts_uri)
    _report(import_registry(src, db_url, artifacts), "Imported", as_json)
