"""A real ``modelreg serve`` process following ``models:/m@champion`` under load.

Each version of the model predicts its own version number, so an answer
shows both the version its header names and the version that computed it.
The registry is an embedded SQLite store (the serve process and this test
share the file) or a live ``modelreg server`` on PostgreSQL.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import LOOPBACK, reset_postgres
from serve_fixtures import Load, log_broken, log_constant, start_serve

SECRET = "serve-webhook-secret"
URI = "models:/m@champion"
# Generous, so a busy machine never fails the test; the real figure is measured in benchmarks/.
SWAP_DEADLINE_S = 60
NO_POLL = ["--poll-interval", "3600"]  # only the webhook can make the server look

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "server"])
def registry(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """(a Client on a fresh registry, the tracking URI the serve process is given)."""
    import modelreg
    from modelreg.backend import clear_backend_cache

    clear_backend_cache()
    # Webhooks from this process (embedded) or the server reach the serve process on loopback.
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)
    if request.param == "sqlite":
        uri = str(tmp_path / "store")
    else:
        reset_postgres(request.getfixturevalue("pg_url"))
        uri = request.getfixturevalue("live_server")
    client = modelreg.Client(uri)
    client.create_registered_model("m")
    yield client, uri
    clear_backend_cache()


def served_with_webhook(client, uri: str, tmp_path: Path, *args: str):
    serve = start_serve(URI, uri, tmp_path, *NO_POLL, "--webhook-secret", SECRET, *args)
    client.create_webhook(serve.url + "/webhook", ["model_version.alias_set"], SECRET, "m")
    return serve


def metric(serve, line_start: str) -> float:
    for line in serve.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_moving_the_alias_under_load_swaps_in_the_new_version_with_no_failed_request(
    registry, tmp_path: Path
):
    client, uri = registry
    log_constant(client, "m", 1.0)
    log_constant(client, "m", 2.0)
    client.set_registered_model_alias("m", "champion", 1)
    serve = served_with_webhook(client, uri, tmp_path)
    try:
        with Load(serve.url, threads=8) as load:
            while load.count() < 100:
                time.sleep(0.05)
            moved = time.monotonic()
            client.set_registered_model_alias("m", "champion", 2)
            first_new = load.wait_for(2, SWAP_DEADLINE_S)
            time.sleep(0.5)
        print(f"swap answered {first_new - moved:.2f} s after the alias moved")

        assert load.failures == []
        for answers in load.answers:
            versions = [a.version for a in answers]
            assert versions == sorted(versions)  # old, then new, never back
            assert versions[-1] == 2
            assert all(a.prediction == a.version for a in answers)
        assert serve.get("/version").json()["version"] == 2
        assert metric(serve, 'modelreg_serve_swaps_total{outcome="swapped"}') == 1
    finally:
        serve.stop()


def test_a_version_failing_its_smoke_prediction_is_refused_and_the_old_keeps_serving(
    registry, tmp_path: Path
):
    client, uri = registry
    log_constant(client, "m", 1.0)
    broken = log_broken(client, "m")
    client.set_registered_model_alias("m", "champion", 1)
    serve = served_with_webhook(client, uri, tmp_path)
    try:
        with Load(serve.url, threads=8) as load:
            client.set_registered_model_alias("m", "champion", broken.version)
            deadline = time.monotonic() + SWAP_DEADLINE_S
            while serve.get("/health").json()["refused"] is None:
                assert time.monotonic() < deadline, "the broken version was never tried"
                time.sleep(0.05)
            time.sleep(0.3)

        refused = serve.get("/health").json()["refused"]
        assert refused["version"] == broken.version
        assert "smoke prediction" in refused["error"]
        assert load.failures == []
        assert {a.version for answers in load.answers for a in answers} == {1}
        assert metric(serve, 'modelreg_serve_swaps_total{outcome="refused"}') == 1
        assert "is refused" in serve.log.read_text()
    finally:
        serve.stop()


@pytest.fixture
def two_versions(tmp_path: Path):
    """An embedded store whose model m has versions 1 and 2, champion on 1; (client, folder)."""
    import modelreg

    store = str(tmp_path / "store")
    client = modelreg.Client(store)
    client.create_registered_model("m")
    log_constant(client, "m", 1.0)
    log_constant(client, "m", 2.0)
    client.set_registered_model_alias("m", "champion", 1)
    return client, store


def test_without_a_webhook_the_server_follows_by_polling(two_versions, tmp_path: Path):
    client, store = two_versions
    serve = start_serve(URI, store, tmp_path, "--poll-interval", "0.2")
    try:
        client.set_registered_model_alias("m", "champion", 2)
        deadline = time.monotonic() + SWAP_DEADLINE_S
        while serve.get("/version").json()["version"] != 2:
            assert time.monotonic() < deadline, "polling never picked up the move"
            time.sleep(0.05)

        assert serve.invoke().json() == {"predictions": [2.0]}
    finally:
        serve.stop()


def test_serve_says_where_it_listens_and_which_version_it_serves(two_versions, tmp_path: Path):
    _, store = two_versions
    serve = start_serve(URI, store, tmp_path, "--pin")
    serve.stop()

    printed = serve.log.read_text()
    assert f"modelreg serve on {serve.url} · {URI} · pinned (1 worker)" in printed
    assert f"{URI}: serving m v1 (1.0.0, " in printed


def test_a_pinned_server_keeps_its_version(two_versions, tmp_path: Path):
    client, store = two_versions
    serve = start_serve(URI, store, tmp_path, "--pin", "--poll-interval", "0.1")
    try:
        client.set_registered_model_alias("m", "champion", 2)
        time.sleep(1.0)  # ten poll intervals: a following server would have moved

        assert serve.get("/health").json()["following"] is False
        assert serve.invoke().headers["X-Modelreg-Model-Version"] == "1"
    finally:
        serve.stop()


def test_with_two_workers_one_webhook_swaps_both(two_versions, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)
    client, store = two_versions
    serve = served_with_webhook(client, store, tmp_path, "--workers", "2")
    try:
        client.set_registered_model_alias("m", "champion", 2)
        deadline = time.monotonic() + SWAP_DEADLINE_S
        while metric(serve, 'modelreg_serve_swaps_total{outcome="swapped"}') < 2:
            assert time.monotonic() < deadline, "not every worker swapped"
            time.sleep(0.1)

        versions = {serve.invoke().headers["X-Modelreg-Model-Version"] for _ in range(40)}
        assert versions == {"2"}
    finally:
        serve.stop()
