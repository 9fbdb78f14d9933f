"""Every web UI page forbids script, framing and leaking its address (#14 point 13):
``Content-Security-Policy`` allowing no inline script or style, ``X-Frame-Options: DENY``
with ``frame-ancestors 'none'``, and a ``Referrer-Policy``."""

from __future__ import annotations

import anyio
import httpx
import pytest


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from modelreg.backend import EmbeddedBackend
    from modelreg.server.app import create_app

    root = tmp_path_factory.mktemp("ui")
    backend = EmbeddedBackend(f"sqlite:///{root / 'r.db'}", str(root / "a"))
    from modelreg import Client

    client = Client.from_backend(backend)
    experiment_id = client.create_experiment("e")
    run_id = client.create_run(experiment_id).info.run_id
    backend.artifacts.log_bytes(run_id, b"flavor: python", "model/MLmodel")
    client.log_metric(run_id, "m", 1.0, step=0)
    client.log_metric(run_id, "m", 2.0, step=1)
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    application = create_app(backend)
    application.state.ids = {"experiment_id": experiment_id, "run_id": run_id}
    return application


def _get(app, path):
    async def call():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.get(path)

    return anyio.run(call)


PAGES = [
    "/ui/models",
    "/ui/models/m",
    "/ui/models/m/versions/1",
    "/ui/models/m/compare",
    "/ui/experiments",
    "/ui/experiments/{experiment_id}",
    "/ui/runs/{run_id}",
    "/ui/models/missing",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_sends_the_security_headers(app, page):
    response = _get(app, page.format(**app.state.ids))

    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("page", PAGES)
def test_no_page_holds_inline_script_or_style(app, page):
    html = _get(app, page.format(**app.state.ids)).text.lower()

    assert "<script>" not in html and "<script " not in html.replace('<script src="', "")
    assert "<style" not in html
    assert " style=" not in html
    assert "onclick=" not in html and "onload=" not in html
