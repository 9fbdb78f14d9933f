"""The ``modelreg`` command line: thin commands over ``modelreg.Client``.

Exit codes: 0 success, 1 a refused operation (the error on stderr), 2 a usage error.
"""

from __future__ import annotations

import click

from modelreg import __version__
from modelreg.cli.db import db
from modelreg.cli.errors import ModelregGroup


@click.group(cls=ModelregGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modelreg")
@click.option(
    "--traceback",
    is_flag=True,
    help="Show the full Python traceback when a command fails.",
)
@click.pass_context
def cli(ctx: click.Context, traceback: bool) -> None:
    """modelreg: track experiments and manage registered models.

    Commands work on the embedded store (./.modelreg/) unless told otherwise
    with --tracking-uri or MODELREG_TRACKING_URI.
    """
    ctx.obj = {"traceback": traceback}


cli.add_command(db)


def main() -> None:
    cli(prog_name="modelreg")
