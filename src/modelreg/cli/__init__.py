"""The ``modelreg`` command line: thin commands over ``modelreg.Client``.

Exit codes: 0 success, 1 a refused operation (the error on stderr), 2 a usage error.
"""

from __future__ import annotations

import click

from modelreg.cli.access import permissions, tokens, users
from modelreg.cli.artifacts import artifacts
from modelreg.cli.backup import export_command, import_command
from modelreg.cli.cards import card
from modelreg.cli.compare import compare, diff
from modelreg.cli.db import db
from modelreg.cli.doctor import doctor
from modelreg.cli.errors import ModelregGroup
from modelreg.cli.evaluate import evaluate_command
from modelreg.cli.experiments import experiments
from modelreg.cli.import_mlflow import import_mlflow_command
from modelreg.cli.lineage import lineage
from modelreg.cli.logged_models import logged_models
from modelreg.cli.maintenance import gc, verify
from modelreg.cli.models import models
from modelreg.cli.policies import policy
from modelreg.cli.predict import predict
from modelreg.cli.promote import cleanup, promote
from modelreg.cli.prompts import prompts
from modelreg.cli.runs import runs
from modelreg.cli.serve import serve
from modelreg.cli.server import server
from modelreg.cli.stages import alias, history, rollback, stage
from modelreg.cli.versions import versions
from modelreg.cli.webhooks import webhooks
from modelreg.version import __version__


@click.group(cls=ModelregGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modelreg")
@click.option(
    "--tracking-uri",
    envvar="MODELREG_TRACKING_URI",
    show_envvar=True,
    metavar="URI",
    help="Store every command uses, unless the command names its own: a folder, "
    "sqlite:///…, postgresql://… or the http(s):// URL of a modelreg server. "
    "[default: ./.modelreg/]",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON, for scripts (as COMMAND --json)."
)
@click.option(
    "--traceback",
    is_flag=True,
    help="Show the full Python traceback when a command fails.",
)
@click.pass_context
def cli(ctx: click.Context, tracking_uri: str | None, as_json: bool, traceback: bool) -> None:
    """modelreg: track experiments and manage registered models.

    Commands work on the embedded store (./.modelreg/) unless told otherwise
    with --tracking-uri (before or after the command) or MODELREG_TRACKING_URI.
    """
    ctx.obj = {"traceback": traceback, "tracking_uri": tracking_uri or None, "json": as_json}


cli.add_command(db)
cli.add_command(doctor)
cli.add_command(server)
cli.add_command(models)
cli.add_command(versions)
cli.add_command(stage)
cli.add_command(policy)
cli.add_command(alias)
cli.add_command(rollback)
cli.add_command(history)
cli.add_command(experiments)
cli.add_command(runs)
cli.add_command(logged_models)
cli.add_command(prompts)
cli.add_command(webhooks)
cli.add_command(artifacts)
cli.add_command(gc)
cli.add_command(verify)
cli.add_command(export_command)
cli.add_command(import_command)
cli.add_command(import_mlflow_command)
cli.add_command(users)
cli.add_command(tokens)
cli.add_command(permissions)
cli.add_command(card)
cli.add_command(lineage)
cli.add_command(compare)
cli.add_command(diff)
cli.add_command(promote)
cli.add_command(cleanup)
cli.add_command(serve)
cli.add_command(predict)
cli.add_command(evaluate_command)


def main() -> None:
    cli(prog_name="modelreg")
