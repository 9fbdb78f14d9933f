"""What an operator needs to know goes to ``logging``, one logger per module: runs a lease
sweep ended, migrations applied, blobs gc deleted, authentications refused."""

from __future__ import annotations

import logging

import pytest

from modelreg.backend import EmbeddedBackend
from modelreg.errors import Unauthenticated
from modelreg.services.tracking import TrackingService
from modelreg.store.database import Database


class SetClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now_ms: int = 1_700_000_000_000) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now

    def monotonic(self) -> float:
        return self.now / 1000


@pytest.fixture
def backend(tmp_path):
    return EmbeddedBackend(f"sqlite:///{tmp_path / 'registry.db'}", str(tmp_path / "artifacts"))


def messages(caplog, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def test_a_lease_sweep_that_ends_runs_logs_them(backend, caplog):
    clock = SetClock()
    tracking = TrackingService(backend.tracking.db, clock)
    run_id = tracking.create_run("0").info.run_id
    tracking.renew_run_lease(run_id, 1)
    clock.now += 1001

    with caplog.at_level(logging.INFO):
        tracking.leases.sweep()

    [line] = messages(caplog, "modelreg.services.leases")
    assert "KILLED" in line and run_id in line


def test_a_sweep_that_ends_nothing_logs_nothing(backend, caplog):
    clock = SetClock()
    tracking = TrackingService(backend.tracking.db, clock)
    tracking.renew_run_lease(tracking.create_run("0").info.run_id, 1)
    clock.now += 999

    with caplog.at_level(logging.INFO):
        assert tracking.leases.sweep() == []

    assert messages(caplog, "modelreg.services.leases") == []


def test_each_applied_migration_is_logged(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="modelreg.store.migrate"):
        Database(f"sqlite:///{tmp_path / 'new.db'}").upgrade()

    applied = messages(caplog, "modelreg.store.migrate")
    assert applied[0].startswith("applied migration 0001: ")
    assert len(applied) == len({line.split(":")[0] for line in applied}) >= 10


def test_an_up_to_date_database_logs_no_migration(backend, caplog):
    with caplog.at_level(logging.INFO, logger="modelreg.store.migrate"):
        backend.tracking.db.upgrade()

    assert messages(caplog, "modelreg.store.migrate") == []


def test_gc_logs_each_blob_it_deletes_and_not_the_ones_it_keeps(backend, caplog):
    orphan = backend.artifacts.blobs.put_bytes(b"nobody names me").digest

    with caplog.at_level(logging.INFO, logger="modelreg.services.artifacts"):
        backend.artifacts.gc(dry_run=True, grace_seconds=0)
        backend.artifacts.gc(grace_seconds=0)

    assert messages(caplog, "modelreg.services.artifacts") == [
        f"gc deleted blob {orphan}, which no run or version names"
    ]


@pytest.mark.parametrize(
    ("token", "reason"),
    [("not-a-token", "malformed"), ("mrg_" + "x" * 43, "not valid")],
    ids=["malformed", "unknown"],
)
def test_a_refused_authentication_is_logged_without_the_token(backend, caplog, token, reason):
    with caplog.at_level(logging.WARNING, logger="modelreg.services.access"):
        with pytest.raises(Unauthenticated):
            backend.access.authenticate(token)

    [line] = messages(caplog, "modelreg.services.access")
    assert "refused authentication" in line and reason in line and token not in line


def test_an_accepted_authentication_logs_nothing(backend, caplog):
    token = backend.access.create_user("alice").token

    with caplog.at_level(logging.WARNING, logger="modelreg.services.access"):
        assert backend.access.authenticate(token).username == "alice"

    assert messages(caplog, "modelreg.services.access") == []
