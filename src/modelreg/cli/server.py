"""``modelreg server``: the REST API, MLflow-compatible endpoints and web UI."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--backend-store-uri",
    envvar="MODELREG_BACKEND_STORE_URI",
    default=None,
    help="Metadata database: sqlite:///path.db or postgresql://… "
    "[default: the embedded store in ./.modelreg/]",
)
@click.option(
    "--artifacts-uri",
    # MLflow's names for it, so `mlflow server …` command lines work with `modelreg server`.
    "--default-artifact-root",
    "--artifacts-destination",
    "artifacts_uri",
    envvar="MODELREG_ARTIFACTS_URI",
    default=None,
    help="Artifact store: a folder, file:///… or s3://bucket/prefix "
    "[default: artifacts/ next to the embedded store]; clients always reach it through "
    "the server.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; any number of servers may share one database and store.",
)
@click.option(
    "--threads",
    envvar="MODELREG_SERVER_THREADS",
    default=4,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Requests each worker works on at once (their database calls run in threads); "
    "more threads than a few make every request wait longer for Python's lock. Uploads "
    "have a lane of their own.",
)
@click.option(
    "--upgrade",
    is_flag=True,
    help="Migrate the database to the newest schema before serving (safe when several "
    "servers start at once: exactly one migrates).",
)
@click.option(
    "--auth/--no-auth",
    envvar="MODELREG_SERVER_AUTH",
    default=False,
    show_default=True,
    help="Require an API token on every request but /health and check users' roles. "
    "Create the first admin with `modelreg users create NAME --admin`.",
)
@click.option(
    "--public-metrics",
    is_flag=True,
    envvar="MODELREG_SERVER_PUBLIC_METRICS",
    help="With --auth, serve /metrics without credentials (otherwise admins only).",
)
@click.option(
    "--access-log",
    is_flag=True,
    envvar="MODELREG_SERVER_ACCESS_LOG",
    help="Log every request to standard error: method, path, status, milliseconds, user.",
)
@click.option(
    "--root-path",
    envvar="MODELREG_SERVER_ROOT_PATH",
    default="",
    metavar="PATH",
    help="The path under which a proxy publishes the server (/modelreg for "
    "https://tools.example.com/modelreg/), whether the proxy strips it or passes it on; "
    "the web UI's links stay under it. Clients use the full URL as their tracking URI.",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def server(
    backend_store_uri: str | None,
    artifacts_uri: str | None,
    host: str,
    port: int,
    workers: int,
    threads: int,
    upgrade: bool,
    auth: bool,
    public_metrics: bool,
    access_log: bool,
    root_path: str,
    log_level: str,
) -> None:
    """Run the modelreg server.

    The database must be migrated first (`modelreg db upgrade`, or --upgrade
    here); the server refuses to start otherwise. The embedded store in
    ./.modelreg/ is the exception when it does not exist yet: it is created,
    as an embedded client would create it.

    \b
    Examples:
      modelreg server
      modelreg server --backend-store-uri postgresql://postgres@db/registry \\
                      --artifacts-uri s3://models/registry --host 0.0.0.0 --workers 4 \\
                      --upgrade --auth
    """
    from modelreg.server.run import serve
    from modelreg.uris import DEFAULT_FOLDER, resolve_tracking_uri

    create_if_missing = backend_store_uri is None
    if backend_store_uri is None:
        default = resolve_tracking_uri(None)
        if default.kind == "remote":  # MODELREG_TRACKING_URI names a server, maybe this one
            default = resolve_tracking_uri(DEFAULT_FOLDER)
        backend_store_uri = default.db_url
        artifacts_uri = artifacts_uri or default.artifacts_uri
    elif artifacts_uri is None:
        artifacts_uri = resolve_tracking_uri(backend_store_uri).artifacts_uri
    assert backend_store_uri is not None and artifacts_uri is not None
    serve(
        backend_store_uri,
        artifacts_uri,
        host,
        port,
        workers,
        log_level,
        upgrade=upgrade,
        create_if_missing=create_if_missing and backend_store_uri.startswith("sqlite"),
        auth=auth,
        public_metrics=public_metrics,
        access_log=access_log,
        root_path=root_path,
        threads=threads,
    )
