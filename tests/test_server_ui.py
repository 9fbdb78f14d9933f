"""The web UI: pages render from the store, badges show, and text is always escaped."""

import httpx
import pytest

from conftest import reset_postgres

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def ui(live_server, pg_url):
    from modelreg import Client

    reset_postgres(pg_url)
    client = Client(live_server)
    run = client.create_run("0", run_name="train")
    for step in range(3):
        client.log_metric(run.info.run_id, "accuracy", 0.8 + step / 100, step=step)
    client.log_param(run.info.run_id, "lr", "0.1")
    client.create_registered_model("fraud", description=SCRIPT)
    client.create_model_version("fraud", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.transition_model_version_stage("fraud", 1, "Production")
    client.set_registered_model_alias("fraud", "champion", 1)
    with httpx.Client(base_url=live_server, follow_redirects=True) as http:
        yield http, run.info.run_id


def test_home_lists_models_with_stage_and_alias_badges(ui):
    http, _ = ui

    page = http.get("/").text

    assert "fraud" in page
    assert "v1 Production" in page and "@champion" in page


def test_model_page_shows_versions_and_stage_history_as_sentences(ui):
    page = ui[0].get("/ui/models/fraud").text

    assert "1.0.0" in page
    assert "v1 moved None → Production by <strong>root</strong>" in page


def test_version_page_shows_source_and_files(ui):
    http, run_id = ui

    page = http.get("/ui/models/fraud/versions/1").text

    assert f"runs:/{run_id}/model" in page


def test_run_page_plots_metric_history(ui):
    http, run_id = ui

    page = http.get(f"/ui/runs/{run_id}").text

    assert "<svg" in page and "<polyline" in page and "lr" in page


def test_script_payloads_are_escaped_in_html(ui):
    page = ui[0].get("/ui/models").text

    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_missing_model_is_an_html_404(ui):
    response = ui[0].get("/ui/models/nope")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "nope" in response.text
