"""``modelreg db``: schema migrations."""

from __future__ import annotations

import click

from modelreg.cli.errors import ModelregGroup


@click.group(cls=ModelregGroup)
def db() -> None:
    """Manage the metadata database schema."""


@db.command()
@click.option(
    "--backend-store-uri",
    envvar="MODELREG_BACKEND_STORE_URI",
    required=True,
    help="Database to migrate: sqlite:///path.db or postgresql://user@host/db.",
)
def upgrade(backend_store_uri: str) -> None:
    """Migrate the database to the newest schema (safe to run again).

    On PostgreSQL, a database that held data gets its planner statistics
    refreshed afterwards (migrations may rebuild tables).

    \b
    Example:
      modelreg db upgrade --backend-store-uri postgresql://postgres@127.0.0.1/registry
    """
    from modelreg.store.database import HEAD_REVISION, Database

    before = Database(backend_store_uri).upgrade()
    if before == HEAD_REVISION:
        click.echo(f"Database already at revision {HEAD_REVISION}.")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to revision {HEAD_REVISION}.")


@db.command()
@click.option(
    "--backend-store-uri",
    envvar="MODELREG_BACKEND_STORE_URI",
    required=True,
    help="Database to inspect.",
)
def current(backend_store_uri: str) -> None:
    """Print the schema revision the database is at."""
    from modelreg.store.database import Database

    click.echo(Database(backend_store_uri).current_revision() or "empty")
