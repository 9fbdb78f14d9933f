"""``modelreg gc`` and ``modelreg verify``: housekeeping of the artifact store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from modelreg.cli.output import counted, echo_json, json_option, with_client
from modelreg.errors import InvalidArgument


def _artifact_service(client: Any) -> Any:
    service = client._backend.artifacts
    if not hasattr(service, "gc"):
        raise InvalidArgument(
            "gc and verify run where the artifact store is: on the server's machine, "
            "with --tracking-uri naming its database, not its URL"
        )
    return service


@click.command()
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.option(
    "--grace-seconds",
    default=3600,
    show_default=True,
    type=click.FloatRange(0),
    help="Spare blobs younger than this (an upload stores its blob just before naming "
    "it) and partial uploads touched since (resumable ones are kept a day at least).",
)
@json_option
@with_client
def gc(client: Any, dry_run: bool, grace_seconds: float, as_json: bool) -> None:
    """Remove blobs that no run or model version refers to, and what uploads cut short
    left behind (temporary files, incomplete multipart uploads on S3).

    \b
    Examples:
      modelreg gc --dry-run
      modelreg gc --tracking-uri postgresql://postgres@db/registry
    """
    from modelreg.artifact_files import human_size

    service = _artifact_service(client)
    removed = service.gc(dry_run=dry_run, grace_seconds=grace_seconds)
    uploads = service.remove_abandoned_uploads(grace_seconds, dry_run=dry_run)
    if as_json:
        abandoned = [upload._asdict() for upload in uploads]
        echo_json({"dry_run": dry_run, "digests": removed, "abandoned_uploads": abandoned})
        return
    verb = "Would remove" if dry_run else "Removed"
    click.echo(f"{verb} {len(removed)} unreferenced blob(s).")
    for digest in removed:
        click.echo(f"  {digest}")
    if uploads:
        size = human_size(sum(upload.size for upload in uploads))
        click.echo(f"{verb} {len(uploads)} abandoned partial upload(s), {size}:")
        for upload in uploads:
            click.echo(f"  {upload.where} (untouched for {upload.idle_seconds / 3600:.1f} h)")


@click.command()
@json_option
@with_client
def verify(client: Any, as_json: bool) -> None:
    """Re-hash every stored blob and report missing or damaged ones (exit 1 if any).

    \b
    Example:
      modelreg verify
    """
    with _checking(shown=not as_json and sys.stderr.isatty()) as progress:
        problems = _artifact_service(client).verify(progress)
    if as_json:
        echo_json(
            [
                {"digest": p.digest, "problem": p.problem, "used_by": list(p.used_by)}
                for p in problems
            ]
        )
    elif not problems:
        click.echo(f"Checked {counted(progress.total, 'blob')}: each matches its digest.")
    for p in problems:
        click.secho(
            f"{p.problem}: {p.digest} used by {', '.join(p.used_by) or 'nothing'}",
            fg="red",
            err=True,
        )
    if problems:
        raise SystemExit(1)


class _Checked:
    """``progress(checked, total)`` for ``ArtifactService.verify``: moves ``bar`` (when there
    is one) and keeps the total for the summary."""

    def __init__(self, bar: Any) -> None:
        self.bar, self.task, self.total = bar, None, 0

    def __call__(self, checked: int, total: int) -> None:
        self.total = total
        if self.bar is not None:
            if self.task is None:
                self.task = self.bar.add_task("checking blobs", total=total)
            self.bar.update(self.task, completed=checked)


@contextmanager
def _checking(shown: bool) -> Iterator[_Checked]:
    """A progress callback with a bar on stderr when ``shown`` (the bar goes when done)."""
    if not shown:
        yield _Checked(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield _Checked(bar)
