"""``modelreg serve``: a model from the registry over HTTP, following its alias, stage or range."""

from __future__ import annotations

from typing import Any

import click

from modelreg import settings
from modelreg.cli.trust import trust_options


@click.command()
@click.argument("uri", metavar="URI")
@click.option(
    "--tracking-uri",
    envvar="MODELREG_TRACKING_URI",
    show_envvar=True,
    metavar="URI",
    help="The registry: a folder, sqlite:///…, postgresql://… or the http(s):// URL of a "
    "modelreg server. [default: ./.modelreg/]",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5001, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes, each with its own copy of the model, each following on its own.",
)
@click.option(
    "--pin",
    is_flag=True,
    help="Serve the version the URI names at start and never follow it.",
)
@click.option(
    "--poll-interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    help="How often to ask the registry what the URI names now (a cheap conditional request).",
)
@click.option(
    "--webhook-secret",
    envvar=settings.SERVE_WEBHOOK_SECRET.env_var,
    show_envvar=True,
    metavar="SECRET",
    help="Accept registry webhooks on POST /webhook, signed with this secret (the one given "
    "to create_webhook): a move is then followed at once instead of at the next poll.",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="uvicorn's log level (swaps and refused versions are always logged).",
)
@trust_options
def serve(
    uri: str,
    tracking_uri: str | None,
    host: str,
    port: int,
    workers: int,
    pin: bool,
    poll_interval: float,
    webhook_secret: str | None,
    log_level: str,
    trust: dict[str, Any],
) -> None:
    """Serve the model URI names over HTTP, MLflow scoring-server compatible.

    URI is any models:/ form: models:/fraud@champion, models:/fraud/Production,
    models:/fraud/^1.2, models:/fraud/3. POST /invocations takes
    dataframe_split, dataframe_records, instances or inputs JSON, or text/csv;
    GET /ping, /health, /version and /metrics (Prometheus). Every response
    names the version that answered in X-Modelreg-Model-Version.

    Unless --pin is given, the server follows URI: when the alias, stage or
    range moves, the new version is downloaded, verified, loaded and warmed
    (a prediction on its input example) beside the old one, then swapped in;
    a version that fails is refused, logged and shown on /health while the
    old one keeps serving. Point a webhook at http://HOST:PORT/webhook to
    follow at once.

    \b
    Examples:
      modelreg serve models:/fraud@champion --port 5001 --workers 2
      modelreg serve models:/fraud/Production --tracking-uri http://registry:5000 \\
                     --webhook-secret "$SECRET"
      modelreg serve models:/fraud/3 --pin
      modelreg serve models:/ranker@champion --trust-code ranking   # its class's package
    """
    from modelreg.serving.run import serve as run

    run(
        uri,
        tracking_uri=tracking_uri or None,
        host=host,
        port=port,
        workers=workers,
        pin=pin,
        poll_interval=poll_interval,
        webhook_secret=webhook_secret or None,
        log_level=log_level,
        **trust,
    )
