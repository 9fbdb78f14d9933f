"""Point reads are answered ahead of FastAPI's routing (``server.point_reads``), exactly as
FastAPI would, by a middleware every other middleware wraps.

Each answer of the lane is compared with the answer of the FastAPI route (a
query string sends the request the FastAPI way): status, body, content type
and the nosniff header, with auth off (in process) and on (a real ``--auth``
server).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from conftest import fresh_sqlite_store
from modelreg import Client
from modelreg.server.app import create_app
from modelreg.server.guard import iter_routes
from modelreg.server.metrics import REQUESTS
from modelreg.server.middleware import MAX_JSON_BODY

VERSION_ROUTE = "/api/v1/registered-models/{name}/versions/{version}"


@pytest.fixture
def app(request, tmp_path) -> Iterator[Any]:
    from modelreg.backend import EmbeddedBackend

    backend = EmbeddedBackend(fresh_sqlite_store(request, tmp_path), str(tmp_path / "a"))
    lib = Client.from_backend(backend)
    experiment_id = lib.create_experiment("exp")
    run_id = lib.create_run(experiment_id).info.run_id
    lib.create_registered_model("m")
    lib.create_model_version("m", f"runs:/{run_id}/model", tags={"é": "ü"})
    lib.set_registered_model_alias("m", "champion", 1)
    app = create_app(backend)
    app.state.paths = {
        "experiment": f"/api/v1/experiments/{experiment_id}",
        "run": f"/api/v1/runs/{run_id}",
        "model": "/api/v1/registered-models/m",
        "version": "/api/v1/registered-models/m/versions/1",
        "alias": "/api/v1/registered-models/m/aliases/champion",
    }
    yield app
    backend.db.dispose()


def _answer(response: Any) -> tuple[int, Any, str | None, str | None]:
    headers = response.headers
    return (
        response.status_code,
        response.json(),
        headers.get("content-type"),
        headers.get("x-content-type-options"),
    )


def _request(app: Any, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.request(method, path, **kwargs)

    return anyio.run(call)


def _lane_and_fastapi(app: Any, path: str) -> tuple[tuple, tuple]:
    lane = _answer(_request(app, path))
    fastapi = _answer(_request(app, path, params={"via": "fastapi"}))
    return lane, fastapi


@pytest.mark.parametrize("read", ["experiment", "run", "model", "version", "alias"])
def test_a_point_read_answers_as_its_fastapi_route(app, read):
    lane, fastapi = _lane_and_fastapi(app, app.state.paths[read])

    assert lane[0] == 200
    assert lane == fastapi


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/experiments/999",
        "/api/v1/runs/nope",
        "/api/v1/registered-models/nope",
        "/api/v1/registered-models/m/versions/7",
        "/api/v1/registered-models/m/versions/seven",
        "/api/v1/registered-models/m/aliases/nope",
        "/api/v1/registered-models/%C3%A9%20%2E%2E/versions/1",
    ],
)
def test_a_refused_point_read_answers_as_its_fastapi_route(app, path):
    lane, fastapi = _lane_and_fastapi(app, path)

    assert lane[0] in (400, 404)
    assert lane == fastapi


def test_an_unexpected_error_is_a_json_500_naming_no_internals(app, monkeypatch):
    def broken(**_values: Any) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(app.state.backend.registry, "get_model_version", broken)

    response = _request(app, app.state.paths["version"])

    assert response.status_code == 500
    assert response.json()["error_code"] == "INTERNAL_ERROR"
    assert "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_point_read_is_counted_in_metrics_under_its_route(app):
    counter = REQUESTS.labels("GET", VERSION_ROUTE, "200")
    before = counter._value.get()

    _request(app, app.state.paths["version"])

    assert counter._value.get() == before + 1


def _lane(app: Any) -> tuple[Any, list]:
    """The point-read middleware of ``app`` in front of a stand-in that records what
    reaches it."""
    from modelreg.server.guard import Guard
    from modelreg.server.point_reads import PointReadMiddleware

    passed: list = []

    async def rest_of_the_app(scope: dict, receive: Any, send: Any) -> None:
        passed.append(scope["path"])

    guard = Guard(app.state.backend.access)
    return PointReadMiddleware(rest_of_the_app, fastapi_app=app, guard=guard), passed


def _serve(app: Any, path: str, query: bytes = b"") -> bool:
    """Whether the lane answered the GET itself."""
    lane, passed = _lane(app)
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"test")],
    }

    async def send(message: dict) -> None:
        pass

    anyio.run(lane, scope, None, send)
    return passed == []


@pytest.mark.parametrize("read", ["experiment", "run", "model", "version", "alias"])
def test_the_lane_serves_each_point_read(app, read):
    assert _serve(app, app.state.paths[read])


def test_a_get_with_a_query_goes_the_fastapi_way(app):
    assert not _serve(app, app.state.paths["version"], b"x=1")


def test_every_later_middleware_wraps_the_point_reads(app):
    """A refusal by an outer layer (here the body limit) reaches point reads too."""
    response = _request(app, app.state.paths["version"], content=b"x" * (MAX_JSON_BODY + 1))

    assert response.status_code == 413


def test_no_other_get_route_is_taken_by_the_lane(app):
    """A literal GET route (``/…/search``) must not be read as a name or id."""
    lane_routes = [(r.regex, r.route.path) for r in _lane(app)[0]._point_reads()]
    for route in iter_routes(app.routes):
        if "GET" not in (getattr(route, "methods", None) or ()):
            continue
        sample = re.sub(r"{\w+(:\w+)?}", "x", route.path)
        taken = [template for regex, template in lane_routes if regex.match(sample)]
        assert taken in ([], [route.path]), f"{route.path} would be answered by {taken}"


# -- with auth on: a real server -------------------------------------------------


def _paths(world: Any) -> list[str]:
    model = world.model
    return [
        f"/api/v1/experiments/{world.experiment_id}",
        f"/api/v1/runs/{world.run_id}",
        f"/api/v1/registered-models/{model}",
        f"/api/v1/registered-models/{model}/versions/1",
        f"/api/v1/registered-models/{model}/aliases/champion",
    ]


@pytest.mark.parametrize("user", [None, "stranger", "reader", "admin"])
def test_with_auth_a_point_read_answers_as_its_fastapi_route(auth_server, world, user):
    with auth_server.http(user) as http:
        for path in _paths(world):
            lane = http.get(path)
            fastapi = http.get(path, params={"via": "fastapi"})

            assert _answer(lane) == _answer(fastapi), path
            assert lane.headers.get("www-authenticate") == fastapi.headers.get("www-authenticate")
            assert lane.status_code == {None: 401, "stranger": 404}.get(user, 200), path


def test_with_auth_a_malformed_authorization_header_is_401(auth_server, world):
    with auth_server.http() as http:
        response = http.get(_paths(world)[3], headers={"Authorization": "Token abc"})

    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert "Bearer" in response.headers["www-authenticate"]
