"""A request stuck on the database holds a worker thread, never the event loop (#15 point 6):
while one read waits for a lock on PostgreSQL, the same server still answers ``/health``
and other reads, and the stuck read answers once the lock goes."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import psycopg
import pytest

from modelreg import Client

WAIT_FOR_LOCK_SECONDS = 30.0


def _waiting_on_a_lock(admin: psycopg.Connection, table: str) -> bool:
    """Whether some other backend waits for a lock on ``table`` (the stuck read)."""
    row = admin.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE NOT l.granted AND c.relname = %s",
        (table,),
    ).fetchone()
    return bool(row and row[0])


@pytest.fixture
def model(live_server) -> str:
    name = f"slow_db_{time.monotonic_ns()}"
    Client(live_server).create_registered_model(name)
    return name


def test_health_and_other_reads_answer_while_a_read_waits_for_the_database(
    live_server, pg_url, model
):
    answers: dict[str, Any] = {}
    url = f"{live_server}/api/v1/registered-models/{model}"
    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql")) as locker:
        with psycopg.connect(
            pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True
        ) as admin:
            locker.execute("LOCK TABLE registered_models IN ACCESS EXCLUSIVE MODE")
            stuck = threading.Thread(
                target=lambda: answers.update(stuck=httpx.get(url, timeout=60)), daemon=True
            )
            stuck.start()
            deadline = time.monotonic() + WAIT_FOR_LOCK_SECONDS
            while not _waiting_on_a_lock(admin, "registered_models"):
                assert time.monotonic() < deadline, "the read never reached the lock"
                time.sleep(0.05)

            health = httpx.get(f"{live_server}/health", timeout=60)
            experiments = httpx.get(f"{live_server}/api/v1/experiments/0", timeout=60)
            still_waiting = stuck.is_alive()
        locker.rollback()
    stuck.join(60)

    assert still_waiting  # the positive control: the read was stuck while the others answered
    assert health.status_code == 200
    assert experiments.status_code in (200, 404)
    assert answers["stuck"].status_code == 200
