"""``GET /api/v1/model-versions/current``: what a URI names now, answered 304 while unchanged."""

from __future__ import annotations

import httpx
import pytest

import modelreg
from conftest import reset_postgres
from modelreg.remote.current_version import CurrentVersion
from modelreg.remote.http import HttpSession


@pytest.fixture
def server(pg_url, live_server):
    reset_postgres(pg_url)
    client = modelreg.Client(live_server)
    client.create_registered_model("m")
    run_id = client.create_run("0").info.run_id
    for _ in range(2):
        client.create_model_version("m", f"runs:/{run_id}/model")
    client.set_registered_model_alias("m", "champion", 1)
    return client, live_server


def current(url: str, etag: str | None = None) -> httpx.Response:
    headers = {"If-None-Match": etag} if etag else {}
    return httpx.get(
        f"{url}/api/v1/model-versions/current",
        params={"uri": "models:/m@champion"},
        headers=headers,
    )


def test_the_answer_is_the_version_with_an_etag(server):
    _, url = server

    response = current(url)

    assert response.json()["version"] == 1
    assert response.headers["ETag"].startswith('"')


def test_the_same_etag_back_gets_304_without_a_body(server):
    _, url = server
    etag = current(url).headers["ETag"]

    response = current(url, etag)

    assert response.status_code == 304 and response.content == b""


def test_after_the_alias_moves_the_etag_no_longer_matches(server):
    client, url = server
    etag = current(url).headers["ETag"]

    client.set_registered_model_alias("m", "champion", 2)
    response = current(url, etag)

    assert response.status_code == 200 and response.json()["version"] == 2


def test_an_unknown_alias_is_a_404_naming_it(server):
    _, url = server

    response = httpx.get(f"{url}/api/v1/model-versions/current", params={"uri": "models:/m@nope"})

    assert response.status_code == 404 and "nope" in response.json()["message"]


def test_the_remote_watcher_says_unchanged_until_the_alias_moves(server):
    client, url = server
    watch = CurrentVersion(HttpSession(url), "models:/m@champion")

    first, unchanged = watch.changed(), watch.changed()
    client.set_registered_model_alias("m", "champion", 2)
    moved = watch.changed()

    assert (first.version, unchanged, moved.version) == (1, None, 2)
