"""``modelreg promote`` and ``modelreg cleanup``: policy-checked promotion and retention, for CI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from modelreg.cli.output import echo_json, json_option, print_table, with_client
from modelreg.cli.references import VERSION, resolve_version
from modelreg.cli.stages import force_option, reason_option
from modelreg.errors import PolicyViolation

if TYPE_CHECKING:
    from modelreg.client import Client


@click.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@click.option(
    "--to",
    "stage",
    required=True,
    metavar="STAGE",
    help="The stage to move to: Staging or Production (None and Archived work too).",
)
@click.option(
    "--archive-existing",
    is_flag=True,
    help="Archive the versions already in STAGE, in the same transaction.",
)
@force_option
@reason_option
@json_option
@with_client
def promote(
    client: Client,
    name: str,
    version: str,
    stage: str,
    archive_existing: bool,
    force: bool,
    reason: str | None,
    as_json: bool,
) -> None:
    """Move version VERSION of model NAME to a stage if its promotion policy allows it.

    When the policy refuses, every failed rule is listed on stderr and the
    exit code is 1, so a CI pipeline can gate a deployment on it.

    \b
    Examples:
      modelreg promote fraud 4 --to Staging
      modelreg promote fraud 4 --to Production --archive-existing
      modelreg promote fraud 4 --to Production --force --reason "incident 123 hotfix"
    """
    number = resolve_version(client, name, version)
    try:
        moved = client.transition_model_version_stage(
            name,
            number,
            stage,
            archive_existing_versions=archive_existing,
            reason=reason,
            force=force,
        )
    except PolicyViolation as exc:
        if as_json:
            echo_json(exc.to_dict())
        raise
    if as_json:
        echo_json(moved.to_dict())
    else:
        click.echo(f"'{moved.name}' version {moved.version} is now in {moved.current_stage}.")


@click.command()
@click.argument("name")
@click.option(
    "--keep-last",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    help="How many of the newest versions to keep whatever their stage.",
)
@click.option("--dry-run", is_flag=True, help="List what would be archived; change nothing.")
@click.option("--reason", help="Why; kept in the audit trail.")
@json_option
@with_client
def cleanup(
    client: Client, name: str, keep_last: int, dry_run: bool, reason: str | None, as_json: bool
) -> None:
    """Archive old versions of model NAME that nothing relies on (nothing is deleted).

    Of the versions older than the newest --keep-last, those in None or
    Staging without an alias are archived. Production and aliased versions
    are never touched.

    \b
    Examples:
      modelreg cleanup fraud --dry-run
      modelreg cleanup fraud --keep-last 10 --reason "quarterly tidy-up"
    """
    archived = client.cleanup(name, keep_last=keep_last, dry_run=dry_run, reason=reason)
    if as_json:
        echo_json([v.to_dict() for v in archived])
        return
    if not archived:
        click.echo(f"Nothing to archive in '{name}'.")
        return
    verb = "Would archive" if dry_run else "Archived"
    print_table(
        ["Version", "Semver", "Stage"],
        [[v.version, v.semver, v.current_stage] for v in archived],
        title=f"{verb} {len(archived)} version(s) of '{name}'",
    )
