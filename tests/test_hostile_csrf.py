"""A page on another site cannot change anything on the server (#14 point 5).

The attack: a cross-site ``<form enctype="text/plain">`` whose body reads as JSON created
models and moved stages through the MLflow-compatible API in a browser holding the
server's credentials. Every state-changing API request must now declare JSON (in any
spelling), and a request a browser marks as cross-site (``Origin``, ``Sec-Fetch-Site``)
is refused (the web UI's forms carry a CSRF token besides: ``test_ui_*``).
"""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from auth_fixtures import served_routes
from conftest import fresh_sqlite_store

FORM_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")
STREAMING = ("/api/v1/blobs/", "/api/2.0/mlflow-artifacts/")
MLFLOW_ANY = "/api/2.0/mlflow/{path:path}"
CHANGING = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def app(request, tmp_path):
    from modelreg.backend import EmbeddedBackend
    from modelreg.server.app import create_app

    return create_app(EmbeddedBackend(fresh_sqlite_store(request, tmp_path), str(tmp_path / "a")))


def _send(app, method, path, body=b"", headers=None):
    async def call():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.request(method, path, content=body, headers=headers or {})

    return anyio.run(call)


def _create_through_mlflow(app, name, headers):
    body = json.dumps({"name": name}).encode()
    return _send(app, "POST", "/api/2.0/mlflow/registered-models/create", body, headers)


def _models(app):
    return [m.name for m in app.state.backend.registry.search_registered_models()]


@pytest.mark.parametrize("content_type", FORM_TYPES)
def test_a_form_body_reading_as_json_creates_nothing_through_the_mlflow_api(app, content_type):
    response = _create_through_mlflow(app, "planted", {"Content-Type": content_type})

    assert response.status_code == 415
    assert _models(app) == []


def test_a_body_without_a_content_type_is_refused(app):
    response = _create_through_mlflow(app, "planted", {})

    assert response.status_code == 415
    assert _models(app) == []


def _dummy(path):
    for name in ("name", "experiment_id", "run_id", "key", "alias", "username", "webhook_id"):
        path = path.replace("{" + name + "}", "x")
    return path.replace("{version}", "1").replace("{token_id}", "1")


def test_every_state_changing_api_route_refuses_a_form_body(app):
    routes = [
        (method, _dummy(path))
        for method, path in served_routes(app)
        if method in CHANGING
        and path.startswith("/api/")
        and not path.startswith(STREAMING)
        and path != MLFLOW_ANY
    ]
    from modelreg.server.mlflow_compat import HANDLERS

    routes += [(m, "/api/2.0/mlflow" + p) for m, p in HANDLERS if m in CHANGING]

    statuses = {
        (method, path): _send(
            app, method, path, b'{"a": 1}', {"Content-Type": "text/plain"}
        ).status_code
        for method, path in routes
    }

    assert {k: s for k, s in statuses.items() if s != 415} == {}


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/JSON", "Application/Json; charset=utf-8"]
)
def test_json_in_any_spelling_is_taken(app, content_type):
    response = _create_through_mlflow(app, "m", {"Content-Type": content_type})

    assert response.status_code == 200, response.text
    assert _models(app) == ["m"]


def test_a_change_without_a_body_needs_no_content_type(app):
    experiment_id = app.state.backend.tracking.create_experiment("e")
    app.state.backend.tracking.delete_experiment(experiment_id)

    response = _send(app, "POST", f"/api/v1/experiments/{experiment_id}/restore")

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["foreign origin", "null origin", "cross-site", "same-site"],
)
def test_a_request_a_browser_marks_as_cross_site_is_refused(app, headers):
    body = json.dumps({"name": "planted"}).encode()

    response = _send(
        app,
        "POST",
        "/api/v1/registered-models",
        body,
        {"Content-Type": "application/json", **headers},
    )

    assert response.status_code == 403
    assert _models(app) == []


def test_a_same_origin_browser_request_is_taken(app):
    headers = {
        "Content-Type": "application/json",
        "Origin": "http://app",
        "Sec-Fetch-Site": "same-origin",
    }

    response = _send(app, "POST", "/api/v1/registered-models", b'{"name": "m"}', headers)

    assert response.status_code == 200, response.text


def test_cross_site_reads_are_left_alone(app):
    response = _send(
        app, "GET", "/api/v1/registered-models", headers={"Origin": "https://x.example"}
    )

    assert response.status_code == 200
