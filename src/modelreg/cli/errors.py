"""One place that turns a modelreg error into a red one-line message and exit code 1.

A package that an extra brings and that is not installed is such an error
too: the message names the extra to install.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from modelreg.errors import ModelregError
from modelreg.extras import needs_extras


class ModelregGroup(click.Group):
    """A click group whose commands report ``ModelregError`` as one line on stderr, exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with needs_extras():
                return super().invoke(ctx)
        except ModelregError as exc:
            if (ctx.obj or {}).get("traceback"):
                raise
            click.secho(f"Error: {exc.message}", fg="red", err=True)
            sys.exit(1)
