"""Runs the Alembic migrations in ``store/migrations`` on an open connection."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def run_upgrade(connection: Connection) -> None:
    """Upgrades to head inside the connection's current transaction; logs each migration."""
    before = MigrationContext.configure(connection).get_current_revision()
    command.upgrade(alembic_config(connection), "head")
    script = ScriptDirectory.from_config(alembic_config())
    for revision in reversed(list(script.iterate_revisions("head", before or "base"))):
        summary = (revision.doc or "").split("\n", 1)[0]
        log.info("applied migration %s: %s", revision.revision, summary)


@cache
def all_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    return head
