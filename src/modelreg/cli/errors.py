"""One place that turns a modelreg error into a red one-line message and exit code 1.

A package that an extra brings and that is not installed is such an error
too: the message names the extra to install. So is what the local system
refuses (a folder that cannot be made, a file that cannot be written).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from modelreg.errors import ModelregError, PolicyViolation
from modelreg.extras import needs_extras


class ModelregGroup(click.Group):
    """A click group whose commands report ``ModelregError`` and ``OSError`` as one line on
    stderr, exit 1 (``modelreg --traceback`` shows the traceback instead)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with needs_extras():
                return super().invoke(ctx)
        except ModelregError as exc:
            if (ctx.obj or {}).get("traceback"):
                raise
            if isinstance(exc, PolicyViolation) and exc.details.get("failed_rules"):
                _report_refusal(exc)
            else:
                click.secho(f"Error: {exc.message}", fg="red", err=True)
            sys.exit(1)
        except OSError as exc:
            # The local system refused (a folder that cannot be made, a file that cannot
            # be written or read): the user's to fix, so said in one line too.
            if (ctx.obj or {}).get("traceback"):
                raise
            click.secho(f"Error: {_describe(exc)}", fg="red", err=True)
            sys.exit(1)


def _describe(exc: OSError) -> str:
    """``No such file or directory: '/data/x'`` rather than Python's ``[Errno 2] …``."""
    if not exc.strerror or exc.filename is None:
        return str(exc)
    name = exc.filename
    if isinstance(name, str | bytes | os.PathLike):
        name = os.fsdecode(name)
    return f"{exc.strerror}: '{name}'"


def _report_refusal(exc: PolicyViolation) -> None:
    """Every rule of the promotion policy that failed, one a line, so CI logs show them all."""
    d = exc.details
    failed = d["failed_rules"]
    target = d.get("target", "")
    shown = f"alias '{target[1:]}'" if target.startswith("@") else target
    echo_failed_rules(
        f"Refused: version {d.get('version')} of '{d.get('model_name')}' may not move to "
        f"{shown}; {len(failed)} rule(s) of its promotion policy failed:",
        failed,
    )
    click.secho("Override with --force --reason TEXT (the audit trail keeps both).", err=True)


def echo_failed_rules(header: str, failed: list[dict[str, Any]]) -> None:
    """``header`` and each failed rule's message on stderr, one a line."""
    click.secho(header, fg="red", err=True)
    for rule in failed:
        click.secho(f"  - {rule['message']}", fg="red", err=True)
