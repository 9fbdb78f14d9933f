"""Every route declares its permission and goes through the one check; without credentials
every route but /health answers 401."""

from __future__ import annotations

import anyio
import httpx
import pytest

from auth_fixtures import served_routes

MLFLOW_ANY = "/api/2.0/mlflow/{path:path}"


def _routes(app):
    from modelreg.server.guard import iter_routes

    return list(iter_routes(app.routes))


def _call_in_process(app, method, path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def call():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.request(method, path, headers=headers)

    return anyio.run(call)


def test_every_route_declares_a_permission(auth_app):
    from modelreg.server.guard import permission_of

    undeclared = [route.path for route in _routes(auth_app) if permission_of(route) is None]

    assert undeclared == []


def test_every_route_runs_the_permission_check(auth_app):
    from modelreg.server.guard import refuse_undeclared

    assert refuse_undeclared in [d.dependency for d in auth_app.router.dependencies]


def test_every_operation_row_declares_a_permission():
    from modelreg.api.operations import OPERATIONS

    assert [op.name for op in OPERATIONS if op.permission is None] == []


def test_every_mlflow_endpoint_declares_a_permission():
    from modelreg.server.declarations import MLFLOW_ENDPOINTS
    from modelreg.server.mlflow_compat import HANDLERS

    assert sorted(HANDLERS) == sorted(MLFLOW_ENDPOINTS)


def _fresh_app(tmp_path, **auth):
    from modelreg.backend import EmbeddedBackend
    from modelreg.server.app import create_app
    from modelreg.server.auth import AuthConfig

    backend = EmbeddedBackend(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "artifacts"))
    return create_app(backend, AuthConfig(enabled=True, **auth))


def test_a_route_without_a_declaration_is_refused_even_to_an_admin(tmp_path):
    app = _fresh_app(tmp_path)
    admin = app.state.backend.access.create_user("root", is_admin=True).token

    @app.get("/undeclared")
    def undeclared() -> dict:
        return {}

    response = _call_in_process(app, "GET", "/undeclared", admin)

    assert response.status_code == 403
    assert "declares no permission" in response.json()["message"]


def _dummy(path: str) -> str:
    for param in ("{name}", "{experiment_id}", "{run_id}", "{key}", "{alias}", "{username}"):
        path = path.replace(param, "x")
    path = path.replace("{version}", "1").replace("{token_id}", "1")
    return path.replace("{digest}", "0" * 64).replace("{webhook_id}", "0" * 32)


# Public by design: health, and the UI's sign-in page with its stylesheet and script.
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ui/sign-in"),
    ("POST", "/ui/sign-in"),
    ("POST", "/ui/sign-out"),
    ("GET", "/ui/static/ui.css"),
    ("GET", "/ui/static/ui.js"),
}


def test_without_credentials_every_route_but_the_public_ones_answers_401(auth_server, auth_app):
    from modelreg.server.mlflow_compat import HANDLERS

    requests = [(m, _dummy(p)) for m, p in served_routes(auth_app) if p != MLFLOW_ANY]
    requests += [(m, "/api/2.0/mlflow" + endpoint) for m, endpoint in HANDLERS]
    requests = [(m, p.replace("{path:path}", "0/x/artifacts/f")) for m, p in requests]

    with auth_server.http() as http:
        statuses = {(m, p): http.request(m, p).status_code for m, p in requests}

    assert statuses.pop(("GET", "/health")) == 200
    assert {k: s for k, s in statuses.items() if s != 401 and k not in PUBLIC} == {}


def test_401_challenges_for_bearer_and_basic(auth_server):
    with auth_server.http() as http:
        response = http.get("/api/v1/registered-models")

    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="modelreg", Basic realm="modelreg"'


@pytest.mark.parametrize("public", [False, True], ids=["admin-only", "public"])
def test_metrics_are_for_admins_unless_the_server_makes_them_public(tmp_path, public):
    app = _fresh_app(tmp_path, public_metrics=public)

    response = _call_in_process(app, "GET", "/metrics")

    assert response.status_code == (200 if public else 401)
