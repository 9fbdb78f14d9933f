"""``modelreg doctor``: versions and a check of the store, for a bug report or a new setup."""

from __future__ import annotations

import click

from modelreg.cli.output import (
    TRACKING_URI_HELP,
    Column,
    echo_json,
    json_option,
    print_table,
    tracking_uri_of,
)

_SHOWN = {"ok": "ok", "problem": "PROBLEM", "info": ""}


@click.command()
@click.option("--tracking-uri", metavar="URI", help=TRACKING_URI_HELP)
@json_option
def doctor(tracking_uri: str | None, as_json: bool) -> None:
    """Show modelreg's, Python's and the libraries' versions, and check that the store
    answers: the database and its schema and the artifact folder or bucket (embedded),
    or the server and your credentials (http://…). Nothing is created or changed.

    Exits 1 when a check finds a problem, so a CI job can run it first.

    \b
    Examples:
      modelreg doctor
      modelreg doctor --tracking-uri https://registry.example.com --json
    """
    from modelreg.diagnostics import PROBLEM, diagnose

    found = diagnose(tracking_uri_of(tracking_uri))
    if as_json:
        echo_json([f.to_dict() for f in found])
    else:
        rows = [(f.check, _SHOWN[f.status], f.detail) for f in found]
        print_table(["Check", "Status", Column("Detail", wrap=True)], rows)
    if any(f.status == PROBLEM for f in found):
        raise SystemExit(1)
