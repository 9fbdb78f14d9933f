"""Who is acting: the OS user when embedded, the authenticated user on the server."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

_actor: ContextVar[str | None] = ContextVar("modelreg_actor", default=None)


@cache
def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still record something honest
        return "unknown"


def current_actor() -> str:
    """The user recorded in audit events and as a run's ``user_id``."""
    return _actor.get() or os_user()


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Runs the block with ``actor`` as the current actor (the server sets it per request)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
