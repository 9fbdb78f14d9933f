"""Script payloads in every text field: stored as text, escaped in every HTML and Markdown output.

The payloads are written through the API into every field that takes free
text, read back unchanged, and then looked for, raw, in every page of the
web UI, in the error pages, and in the model card's HTML and Markdown exports.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from conftest import reset_postgres
from modelreg import Client

# Names may not contain '/', so the name payload is an attribute-borne script.
NAME = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert('xss')</script>"
RAW = (NAME, SCRIPT, "<img", "<script")
# The one script every UI page loads, from the package: not a payload.
OWN_SCRIPT = '<script src="/ui/static/ui.js" defer></script>'


def _populate(client: Client) -> dict[str, str]:
    experiment_id = client.create_experiment(NAME, tags={"note": SCRIPT})
    run_id = client.create_run(experiment_id, run_name=SCRIPT, tags={"t": SCRIPT}).info.run_id
    client.log_param(run_id, "p", SCRIPT)
    for step in range(3):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    client.log_text(run_id, SCRIPT, f"model/{NAME}.txt")
    client.create_registered_model(NAME, description=SCRIPT, tags={"t": SCRIPT})
    client.create_model_version(
        NAME, f"runs:/{run_id}/model", description=SCRIPT, tags={"t": SCRIPT}
    )
    client.create_model_version(NAME, f"runs:/{run_id}/model")
    client.transition_model_version_stage(NAME, 1, "Staging", reason=SCRIPT)
    client.set_registered_model_alias(NAME, "champion", 1, reason=SCRIPT)
    card = {
        "summary": SCRIPT,
        "intended_use": NAME,
        "limitations": f"[click](javascript:alert(1)) {SCRIPT}",
        "sections": {NAME: SCRIPT},
        "license": SCRIPT,
        "tags": [SCRIPT],
        "metrics": {"auc": 0.9},
    }
    client.set_model_card(NAME, 1, card)
    return {"experiment_id": experiment_id, "run_id": run_id}


def test_script_payloads_are_stored_and_returned_as_plain_text(client):
    ids = _populate(client)

    run = client.get_run(ids["run_id"])
    model = client.get_registered_model(NAME)
    version = client.get_model_version(NAME, 1)
    assert client.get_experiment(ids["experiment_id"]).name == NAME
    assert client.get_experiment(ids["experiment_id"]).tags["note"] == SCRIPT
    assert (run.info.run_name, run.data.tags["t"], run.data.params["p"]) == (SCRIPT,) * 3
    assert (model.name, model.description, model.tags["t"]) == (NAME, SCRIPT, SCRIPT)
    assert (version.description, version.tags["t"]) == (SCRIPT, SCRIPT)
    assert client.get_model_card(NAME, 1).summary == SCRIPT
    assert [e.action for e in client.get_history(NAME, 1) if e.reason == SCRIPT] == [
        "transition_stage",
        "set_alias",
    ]


@pytest.mark.parametrize("format", ["md", "html"])
def test_model_card_exports_carry_no_raw_markup(client, format):
    _populate(client)

    exported = client.export_model_card(NAME, 1, format)

    assert not [raw for raw in RAW if raw in exported]
    assert 'href="javascript:' not in exported
    assert "&lt;script" in exported or "\\u003cscript" in exported


@pytest.fixture(scope="module")
def ui(live_server: str, pg_url: str) -> dict[str, str]:
    """The live server, holding the payloads; returns the ids made."""
    reset_postgres(pg_url)
    return {**_populate(Client(live_server)), "url": live_server}


def _pages(ui: dict[str, str]) -> list[str]:
    name = quote(NAME, safe="")
    return [
        "/ui/models",
        f"/ui/models?q={quote(SCRIPT)}",
        f"/ui/models/{name}",
        f"/ui/models/{name}/versions/1",
        f"/ui/models/{name}/compare?versions=1,2",
        "/ui/experiments",
        f"/ui/experiments/{ui['experiment_id']}",
        f"/ui/experiments/{ui['experiment_id']}?filter={quote(SCRIPT)}",
        f"/ui/runs/{ui['run_id']}",
        f"/ui/runs/{ui['run_id']}/preview/model/{quote(NAME, safe='')}.txt",
        f"/ui/models/{name}/versions/1/preview/{quote(NAME, safe='')}.txt",
        f"/ui/models/{quote(NAME + 'x', safe='')}",  # error pages naming the payload
        f"/ui/runs/{quote(NAME, safe='')}",
    ]


def test_no_page_of_the_web_ui_carries_a_payload_raw(ui):
    found = {}
    for page in _pages(ui):
        response = httpx.get(ui["url"] + page, headers={"Accept": "text/html"})
        assert response.headers["content-type"].startswith("text/html"), page
        text = response.text.replace(OWN_SCRIPT, "", 1)
        raw = [r for r in RAW if r in text]
        if raw or "&lt;" not in text:
            found[page] = (response.status_code, raw)

    assert found == {}


def test_every_ui_page_and_api_answer_says_nosniff(ui):
    pages = [*_pages(ui), "/api/v1/registered-models", "/api/v1/runs/nope", "/health"]
    missing = [
        page
        for page in pages
        if httpx.get(ui["url"] + page).headers.get("x-content-type-options") != "nosniff"
    ]

    assert missing == []
