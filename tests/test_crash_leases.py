"""Run leases: a run whose client dies is marked KILLED once its lease runs out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import modelreg
from modelreg import Client
from modelreg.errors import InvalidArgument
from modelreg.services.leases import LeaseService

CLIENT = textwrap.dedent(
    """
    import sys, time
    import modelreg
    modelreg.set_tracking_uri(sys.argv[1])
    run = modelreg.start_run()
    modelreg.log_metric("loss", 0.5)
    print(run.info.run_id, flush=True)
    time.sleep(120)
    """
)


def _status_within(client: Client, run_id: str, status: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while True:
        current = client.get_run(run_id).info.status
        if current == status or time.monotonic() > deadline:
            return current
        time.sleep(0.2)


@pytest.fixture
def store(request, tmp_path):
    """A tracking URI: an embedded SQLite folder, or the live server."""
    from conftest import reset_postgres

    if request.param == "server":
        reset_postgres(request.getfixturevalue("pg_url"))
        return request.getfixturevalue("live_server")
    return str(tmp_path / "store")


@pytest.mark.parametrize("store", ["sqlite", "server"], indirect=True)
def test_a_client_killed_mid_run_leaves_its_run_killed_after_its_lease(store):
    env = {**os.environ, "MODELREG_RUN_LEASE_SECONDS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, store], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        run_id = proc.stdout.readline().strip()
        client = Client(store)
        assert client.get_run(run_id).info.status == "RUNNING"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_at = time.time() * 1000

    assert _status_within(client, run_id, "KILLED", 15) == "KILLED"
    run = client.get_run(run_id)
    assert run.info.end_time is not None and run.info.end_time <= killed_at + 1000
    assert run.data.metrics == {"loss": 0.5}


class SetClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now

    def monotonic(self) -> float:
        return self.now / 1000


def lease_expiry(client: Client, run_id: str) -> int | None:
    from sqlalchemy import select

    from modelreg.store.schema import run_leases

    with client._backend.tracking.db.read() as conn:
        query = select(run_leases.c.expiry_time).where(run_leases.c.run_id == run_id)
        return conn.execute(query).scalar()


def test_a_live_client_renews_its_one_second_lease_so_its_run_outlives_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELREG_RUN_LEASE_SECONDS", "1")
    modelreg.set_tracking_uri(str(tmp_path / "store"))
    started = time.time() * 1000
    run_id = modelreg.start_run().info.run_id
    observer = Client(str(tmp_path / "store"))
    first = lease_expiry(observer, run_id)
    assert first is not None and started < first <= time.time() * 1000 + 1000  # one second
    deadline = time.monotonic() + 10
    while (renewed := lease_expiry(observer, run_id)) == first:
        assert time.monotonic() < deadline, "the heartbeat never renewed the lease"
        time.sleep(0.05)
    sweeper = LeaseService(observer._backend.tracking.db, SetClock(first + 1))

    assert sweeper.sweep() == []  # past the first lease, within the renewed one
    assert observer.get_run(run_id).info.status == "RUNNING"
    modelreg.end_run()
    assert observer.get_run(run_id).info.status == "FINISHED"
    assert renewed > first


def test_a_sweep_past_a_lease_ends_its_run_at_the_expiry(embedded):
    client = Client(embedded)
    tracking = client._backend.tracking
    run_id = client.create_run("0").info.run_id
    tracking.renew_run_lease(run_id, 1)
    expiry = lease_expiry(client, run_id)
    assert expiry is not None
    sweeper = LeaseService(tracking.db, SetClock(expiry - 1))

    assert sweeper.sweep() == []
    sweeper.clock = SetClock(expiry + 1)
    assert sweeper.sweep() == [run_id]
    assert client.get_run(run_id).info.end_time == expiry


@pytest.fixture(params=["sqlite", "postgres"])
def embedded(request, tmp_path, monkeypatch) -> str:
    """The tracking URI of a fresh embedded store on each database."""
    from conftest import reset_postgres

    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    if request.param == "sqlite":
        return str(tmp_path / "store")
    url = request.getfixturevalue("pg_url")
    reset_postgres(url)
    return url


def test_ending_a_run_releases_its_lease_so_it_stays_finished(embedded, monkeypatch):
    monkeypatch.setenv("MODELREG_RUN_LEASE_SECONDS", "1")
    modelreg.set_tracking_uri(embedded)
    with modelreg.start_run() as run:
        pass
    tracking = Client(embedded)._backend.tracking

    assert tracking.renew_run_lease(run.info.run_id, 1) is False
    assert lease_expiry(Client(embedded), run.info.run_id) is None
    later = LeaseService(tracking.db, SetClock(int(time.time() * 1000) + 2000))
    assert later.sweep() == []
    assert tracking.get_run(run.info.run_id).info.status == "FINISHED"


def test_runs_made_without_start_run_hold_no_lease_and_stay_running(embedded):
    client = Client(embedded)
    tracking = client._backend.tracking
    run_id = client.create_run("0").info.run_id
    leased = client.create_run("0").info.run_id
    tracking.renew_run_lease(leased, 1)
    later = LeaseService(tracking.db, SetClock(int(time.time() * 1000) + 2000))

    assert later.sweep() == [leased]
    assert lease_expiry(client, run_id) is None
    assert client.get_run(run_id).info.status == "RUNNING"


def test_an_expired_lease_kills_the_run_once(embedded):
    client = Client(embedded)
    tracking = client._backend.tracking
    run_id = client.create_run("0").info.run_id
    tracking.renew_run_lease(run_id, 1)
    later = LeaseService(tracking.db, SetClock(int(time.time() * 1000) + 2000))

    assert later.sweep() == [run_id]
    info = client.get_run(run_id).info
    assert (info.status, info.end_time is not None) == ("KILLED", True)
    assert later.sweep() == []


def test_a_renewed_lease_is_not_swept_at_the_old_expiry(embedded):
    client = Client(embedded)
    tracking = client._backend.tracking
    clock = SetClock(int(time.time() * 1000))
    leases = LeaseService(tracking.db, clock)
    run_id = client.create_run("0").info.run_id
    leases.renew(run_id, 1)
    clock.now += 600
    leases.renew(run_id, 1)
    clock.now += 600

    assert leases.sweep() == []
    assert client.get_run(run_id).info.status == "RUNNING"
    clock.now += 500
    assert leases.sweep() == [run_id]


@pytest.mark.parametrize("seconds", [0, -1, 10**9, "soon"])
def test_lease_length_is_checked(client, seconds):
    run_id = client.create_run("0").info.run_id

    with pytest.raises(InvalidArgument, match="seconds"):
        client._backend.tracking.renew_run_lease(run_id, seconds)
