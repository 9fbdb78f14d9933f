"""The web UI in a real headless Chromium: the page a person sees, not just the HTML."""

import os
import shutil
import subprocess

import pytest

from conftest import reset_postgres

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed")

    def run(url: str, *args: str) -> str:
        result = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, url],
            capture_output=True,
            text=True,
            timeout=90,
        )
        return result.stdout

    return run


@pytest.fixture
def published(live_server, pg_url):
    from modelreg import Client

    reset_postgres(pg_url)
    client = Client(live_server)
    run = client.create_run("0")
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.transition_model_version_stage("churn", 1, "Production")
    return live_server


def test_chromium_renders_the_model_page_with_its_production_badge(chromium, published):
    dom = chromium(f"{published}/ui/models/churn", "--dump-dom")

    assert "<h1>churn</h1>" in dom
    assert 'class="badge prod">Production' in dom
