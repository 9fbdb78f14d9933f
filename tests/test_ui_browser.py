"""The web UI in a real headless Chromium (Playwright driving Debian's ``chromium``).

A registry is built through the API, then a person's steps are played: search,
open, compare, download, promote, move an alias, roll back, sign in. The
assertions read what the page shows and what happens after a click, never
only that a screenshot exists; screenshots are kept as artifacts of the run
(in ``$UI_SCREENSHOTS``, or the test's temporary folder).

Without Chromium these tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
import warnings
from pathlib import Path

import pytest

from conftest import reset_postgres

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_MS = 10_000


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for this module's tests.

    Not for the session: Playwright's sync API keeps an event loop running in
    this thread while it is open, and every later test of the same worker
    that drives a Starlette TestClient would then fail to start its own."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    if os.environ.get("CI"):
        from playwright.sync_api import sync_playwright
    else:
        sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("UI_SCREENSHOTS") or tmp_path_factory.mktemp("ui-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, shots, request):
    """A fresh browser context (no cookies) and page; its last view is saved as a screenshot."""
    context = browser.new_context(accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    from playwright.sync_api import Error as PlaywrightError

    try:
        tab.screenshot(path=str(shots / f"{request.node.name}.png"))
    except PlaywrightError as exc:
        # A view for people to look at, not a check: a busy renderer may not give one.
        warnings.warn(f"no screenshot of {request.node.name}: {exc.message}", stacklevel=1)
    finally:
        context.close()
    assert errors == [], errors


@pytest.fixture(scope="module")
def registry(live_server, pg_url):
    """Seven models; ``fraud-detector`` has four versions from four runs with metric
    histories, scoring weights, a signature and files on version 1."""
    from modelreg import Client

    reset_postgres(pg_url)
    client = Client(live_server)
    experiment_id = client.create_experiment("fraud-training")
    runs = []
    trials = [(0.81, "0.1"), (0.86, "0.05"), (0.84, "0.02"), (0.9, "0.01")]
    for i, (accuracy, lr) in enumerate(trials):
        run_id = client.create_run(experiment_id, run_name=f"trial-{i + 1}").info.run_id
        for step in range(5):
            client.log_metric(run_id, "loss", 1.0 / (step + 1 + i), step=step)
        client.log_metric(run_id, "accuracy", accuracy)
        client.log_param(run_id, "lr", lr)
        client.log_param(run_id, "depth", "6")
        client.log_text(run_id, f"notes of trial {i + 1}\n", "model/notes.txt")
        runs.append(run_id)
    client.create_registered_model("fraud-detector", description="Catches **fraud** in payments")
    signature = {
        "inputs": {
            "kind": "columns",
            "specs": [{"name": "amount", "dtype": "float64"}, {"name": "country", "dtype": "str"}],
        }
    }
    for i, run_id in enumerate(runs):
        client.create_model_version(
            "fraud-detector",
            f"runs:/{run_id}/model",
            run_id=run_id,
            signature=signature if i == 0 else None,
        )
    client.set_scoring_weights("fraud-detector", {"accuracy": 1.0})
    client.transition_model_version_stage("fraud-detector", 2, "Production")
    client.set_registered_model_alias("fraud-detector", "champion", 2)
    for name, description in [
        ("churn-model", "Who leaves next month"),
        ("pricing", "Prices; shared with the fraud team"),
        ("ranker", None),  # tagged "fraud" below
        ("forecast", None),
        ("embeddings", None),
        ("spam-filter", None),
    ]:
        client.create_registered_model(name, description=description)
    client.set_registered_model_tag("ranker", "fraud", "shadow")
    return {"url": live_server, "client": client, "experiment_id": experiment_id, "runs": runs}


def _model_with_versions(client, accuracies: list[float], prefix: str = "model") -> str:
    name = _unique(prefix)
    client.create_registered_model(name)
    for accuracy in accuracies:
        run_id = client.create_run("0").info.run_id
        client.log_metric(run_id, "accuracy", accuracy)
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    return name


def _rows(page, selector: str) -> list[str]:
    """The rows' text once the page has loaded: a click on a link returns when the next
    page starts loading, before its rows are there."""
    page.wait_for_load_state()
    return [row.inner_text() for row in page.locator(selector).all()]


def test_typing_a_word_narrows_the_models_as_you_type(page, registry):
    from playwright.sync_api import expect

    page.goto(registry["url"] + "/ui/models")
    assert len(page.locator("table.models tbody tr").all()) == 7

    page.get_by_label("Search models").press_sequentially("fraud", delay=20)
    expect(page.locator("table.models tbody tr")).to_have_count(3)  # no eval under the CSP

    names = [row.split("\t")[0] for row in _rows(page, "table.models tbody tr")]
    assert sorted(names) == ["fraud-detector", "pricing", "ranker"]  # name, description, tag
    assert "q=fraud" in page.url


def test_without_javascript_the_search_form_still_finds_models(browser, registry):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(registry["url"] + "/ui/models")
        tab.get_by_label("Search models").fill("churn")
        tab.get_by_role("button", name="Search").click()

        assert [r.split("\t")[0] for r in _rows(tab, "table.models tbody tr")] == ["churn-model"]
    finally:
        context.close()


def test_filter_syntax_still_works_and_a_bad_filter_says_why(page, registry):
    page.goto(registry["url"] + "/ui/models?q=name LIKE 'churn%'")
    assert [r.split("\t")[0] for r in _rows(page, "table.models tbody tr")] == ["churn-model"]

    response = page.goto(registry["url"] + "/ui/models?q=name LIKE")
    assert response.status == 400
    assert page.get_by_role("link", name="Back to models").is_visible()


def test_models_sort_by_name_both_ways_and_show_stages_and_aliases(page, registry):
    page.goto(registry["url"] + "/ui/models")
    page.get_by_role("link", name="Name ▲").click()
    names = [r.split("\t")[0] for r in _rows(page, "table.models tbody tr")]

    assert names == sorted(names, reverse=True)
    row = page.locator("table.models tr", has_text="fraud-detector").inner_text()
    assert "v2 Production" in row and "@champion → v2" in row


def test_model_page_shows_scores_ranks_trend_and_markdown(page, registry):
    page.goto(registry["url"] + "/ui/models")
    page.get_by_role("link", name="fraud-detector").click()

    assert page.locator("h1").inner_text() == "fraud-detector"
    assert page.locator(".description strong").inner_text() == "fraud"
    v4 = page.locator("table.versions tr", has_text="v4").inner_text().split("\t")
    assert v4[5:8] == ["0.9", "0.9", "1"]  # accuracy, score, rank
    assert page.locator("svg.chart polyline").count() == 1
    assert "v2 moved None → Production by" in page.locator("table.history").inner_text()


def test_compare_three_versions_reads_the_metric_values(page, registry):
    page.goto(registry["url"] + "/ui/models/fraud-detector")
    for version in (1, 3, 4):
        page.get_by_label(f"Compare version {version}").check()
    page.get_by_role("button", name="Compare selected versions").click()

    accuracy = page.locator("table.metrics tr", has_text="accuracy")
    assert accuracy.inner_text().split("\t") == ["accuracy", "0.9", "0.84", "0.81"]  # by score
    assert accuracy.locator("td.best").inner_text() == "0.9"
    loss = page.locator("table.metrics tr", has_text="loss")
    assert loss.locator("td.best").inner_text() == "0.125"  # lower is better
    assert page.locator(".formula").inner_text() == "score = 1 × accuracy"
    assert "lr" in page.locator("table.params").inner_text()
    assert "depth" not in page.locator("table.params").inner_text()


def test_comparing_an_unknown_version_is_a_404_page_with_a_way_back(page, registry):
    response = page.goto(registry["url"] + "/ui/models/fraud-detector/compare?v=1&v=99")

    assert response.status == 404
    assert "99" in page.locator(".error").inner_text()
    page.get_by_role("link", name="Back to models").click()
    assert page.locator("h1").inner_text() == "Registered models"


def test_compare_two_runs_draws_both_loss_curves(page, registry):
    page.goto(f"{registry['url']}/ui/experiments/{registry['experiment_id']}")
    page.get_by_label("Compare run trial-1").check()
    page.get_by_label("Compare run trial-2").check()
    page.get_by_role("button", name="Compare selected runs").click()

    chart = page.locator("figure", has_text="loss").locator("svg")
    assert chart.locator("polyline").count() == 2
    assert chart.locator("circle").count() == 10  # 5 steps each
    assert "trial-1 · step 4: 0.2" in chart.locator("title").all_text_contents()


def test_runs_table_sorts_by_a_metric_and_plots_a_param_against_it(page, registry):
    page.goto(f"{registry['url']}/ui/experiments/{registry['experiment_id']}")
    page.get_by_role("link", name="metrics.accuracy").click()
    page.get_by_role("link", name="metrics.accuracy ▼").click()  # ascending now

    names = [row.split("\t")[1] for row in _rows(page, "table.runs tbody tr")]
    assert names == ["trial-1", "trial-3", "trial-2", "trial-4"]
    page.get_by_label("Scatter y").select_option("metrics.accuracy")
    page.get_by_role("button", name="Plot").click()
    dots = page.locator("svg.scatter circle title").all_text_contents()
    assert "trial-4: params.lr 0.01, metrics.accuracy 0.9" in dots and len(dots) == 4


def test_version_page_shows_signature_files_and_lineage(page, registry):
    page.goto(registry["url"] + "/ui/models/fraud-detector/versions/1")

    signature = _rows(page, "table.signature tbody tr")
    assert signature == ["input\tamount\tfloat64\t", "input\tcountry\tstr\t"]
    assert page.locator(".lineage .node.root").inner_text().startswith("MODEL VERSION")
    page.locator(".lineage a", has_text="trial-1").click()
    assert page.locator("h1").inner_text().startswith("trial-1")


def test_webhooks_page_shows_each_webhook_and_what_it_was_sent(page, registry):
    import time

    from governance_fixtures import Receiver

    client = registry["client"]
    name = _model_with_versions(client, [], "hooked")
    ok, gone = Receiver(), Receiver(statuses=[410])
    try:
        ci = client.create_webhook(
            ok.url, ["model_version.created"], "s" * 16, model_name=name, name="ci-deploy"
        )
        client.create_webhook(gone.url, ["model_version.created"], "s" * 16, model_name=name)
        run_id = client.create_run("0").info.run_id
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        ok.wait_for(1)
        gone.wait_for(1)
        deadline = time.monotonic() + 20
        while any(
            d.status == "pending"
            for h in client.list_webhooks(name)
            for d in client.list_webhook_deliveries(h.webhook_id)
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)

        page.goto(registry["url"] + "/ui/models")
        page.get_by_role("link", name="Webhooks").click()
        row = page.locator("table.webhooks tbody tr", has_text="ci-deploy")
        assert "model_version.created" in row.inner_text() and "ACTIVE" in row.inner_text()
        row.get_by_role("link", name="ci-deploy").click()

        assert page.locator("h1").inner_text() == "ci-deploy"
        [delivered] = _rows(page, "table.deliveries tbody tr")
        assert "model_version.created\tdelivered\t1\t200" in delivered
        page.locator("table.deliveries summary").click()
        assert f'"model_name":"{name}"' in page.locator("table.deliveries pre").inner_text()
        page.goto(registry["url"] + "/ui/webhooks")
        failed_id = next(
            h.webhook_id for h in client.list_webhooks(name) if h.webhook_id != ci.webhook_id
        )
        page.locator(f'a[href="/ui/webhooks/{failed_id}"]').click()
        [failed] = _rows(page, "table.deliveries tbody tr")
        assert "failed\t1\t410" in failed
    finally:
        ok.close()
        gone.close()


@pytest.mark.parametrize(
    ("fragment", "path", "heading"),
    [
        ("#/experiments/{experiment}/runs/{run}", "/ui/runs/{run}", "trial-1 {run}"),
        ("#/experiments/{experiment}", "/ui/experiments/{experiment}", "fraud-training"),
        (
            "#/models/fraud-detector/versions/2",
            "/ui/models/fraud-detector/versions/2",
            "fraud-detector · version 2 (1.1.0)",
        ),
        ("#/models/fraud-detector", "/ui/models/fraud-detector", "fraud-detector"),
    ],
)
def test_a_link_mlflow_prints_opens_the_same_page(page, registry, fragment, path, heading):
    # "View run trial-1 at: http://host/#/experiments/1/runs/<id>", as MLflow prints it.
    ids = {"experiment": registry["experiment_id"], "run": registry["runs"][0]}

    page.goto(registry["url"] + "/" + fragment.format(**ids))

    page.wait_for_url(registry["url"] + path.format(**ids))
    assert page.locator("h1").inner_text() == heading.format(**ids)


@pytest.mark.parametrize(
    "fragment",
    ["#/experiments/x/../../evil", "#/experiments/" + "1" * 100_000 + "x", "#/runs/abc"],
    ids=["traversal", "100 KB", "unknown"],
)
def test_a_fragment_that_is_no_mlflow_link_stays_on_the_models_page(page, registry, fragment):
    page.goto(registry["url"] + "/" + fragment)

    assert page.url == registry["url"] + "/ui/models" + fragment
    assert page.locator("h1").inner_text() == "Registered models"


def test_a_prompt_shows_as_one_with_its_chat_template_readable(page, registry):
    # As MLflow's client registers a chat prompt (mlflow.genai.register_prompt).
    client, name = registry["client"], _unique("qa-prompt")
    client.create_registered_model(name, tags={"mlflow.prompt.is_prompt": "true"})
    messages = '[{"role": "system", "content": "You are {{persona}}"}, ' + (
        '{"role": "user", "content": "<b>{{question}}</b>"}]'
    )
    tags = {
        "mlflow.prompt.is_prompt": "true",
        "mlflow.prompt.text": messages,
        "_mlflow_prompt_type": "chat",
    }
    client.create_model_version(name, "dummy-source", tags=tags)

    page.goto(f"{registry['url']}/ui/models?q={name}")
    assert page.locator("table.models tbody tr").inner_text().startswith(f"{name} prompt")
    page.goto(f"{registry['url']}/ui/models/{name}")
    assert "prompt" in page.locator("h1 + p .badge").all_inner_texts()
    page.goto(f"{registry['url']}/ui/models/{name}/versions/1")

    assert page.locator("pre.prompt-template").inner_text() == (
        "system: You are {{persona}}\n\nuser: <b>{{question}}</b>"
    )
    assert "prompt" in page.locator("h1 + p .badge").all_inner_texts()


def test_a_model_version_shows_no_prompt_template(page, registry):
    page.goto(registry["url"] + "/ui/models/fraud-detector/versions/1")

    assert page.locator("pre.prompt-template").count() == 0
    assert "prompt" not in page.locator("h1 + p .badge").all_inner_texts()


def test_downloaded_file_has_the_digest_the_page_shows(page, registry):
    page.goto(registry["url"] + "/ui/models/fraud-detector/versions/1")
    row = page.locator("table.files tr", has_text="notes.txt")
    shown = row.locator("code").get_attribute("title")

    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()

    data = Path(download.value.path()).read_bytes()
    assert data == b"notes of trial 1\n"
    assert hashlib.sha256(data).hexdigest() == shown


def test_text_file_preview_shows_its_content(page, registry):
    page.goto(registry["url"] + "/ui/models/fraud-detector/versions/1")
    page.get_by_role("link", name="notes.txt").click()

    assert page.locator("pre.preview").inner_text() == "notes of trial 1\n"


def test_a_confusion_matrix_evaluate_logged_is_shown_as_a_table(page, registry):
    client = registry["client"]
    run_id = client.create_run("0", run_name="evaluation").info.run_id
    client.log_dict(
        run_id, {"labels": ["fraud", "ok"], "matrix": [[30, 2], [12, 16]]}, "confusion_matrix.json"
    )

    page.goto(f"{registry['url']}/ui/runs/{run_id}")
    page.get_by_role("link", name="confusion_matrix.json").click()

    table = page.locator("table.confusion")
    assert table.locator("thead th").all_inner_texts() == [
        "true \\ predicted",
        "fraud",
        "ok",
        "total",
    ]
    assert table.locator("tbody tr").nth(1).inner_text().split() == ["ok", "12", "16", "28"]
    assert table.locator("td.hit").all_inner_texts() == ["30", "16"]


def test_a_json_file_of_another_shape_is_shown_as_text(page, registry):
    client = registry["client"]
    run_id = client.create_run("0", run_name="not-a-matrix").info.run_id
    client.log_dict(run_id, {"labels": ["a"], "matrix": [[1, 2]]}, "confusion_matrix.json")

    page.goto(f"{registry['url']}/ui/runs/{run_id}/preview/confusion_matrix.json")

    assert page.locator("table.confusion").count() == 0
    assert '"labels"' in page.locator("pre.preview").inner_text()


def test_the_model_page_shows_its_promotion_policy(page, registry):
    client = registry["client"]
    name = _model_with_versions(client, [0.95, 0.5], "policy-shown")
    policy = {"thresholds": ["accuracy >= 0.9"], "separation_of_duties": True}
    client.set_promotion_policy(name, {"Production": policy})

    page.goto(f"{registry['url']}/ui/models/{name}")

    rows = page.locator("table.policy tbody tr")
    assert [r.split("\t") for r in rows.all_inner_texts()] == [
        ["Production", "threshold", "accuracy >= 0.9"],
        ["Production", "separation_of_duties", "moved by someone other than who registered it"],
    ]


def test_a_version_page_says_which_rules_it_would_break(page, registry):
    client = registry["client"]
    name = _model_with_versions(client, [0.95, 0.5], "policy-checked")
    client.set_promotion_policy(name, {"Production": {"thresholds": ["accuracy >= 0.9"]}})

    page.goto(f"{registry['url']}/ui/models/{name}/versions/1")
    assert page.locator("table.policy-checks td").all_inner_texts() == [
        "Production",
        "meets every rule",
    ]
    page.goto(f"{registry['url']}/ui/models/{name}/versions/2")
    assert page.locator("ul.policy-failures li").all_inner_texts() == [
        "accuracy is 0.5 (needs accuracy >= 0.9)"
    ]


def test_promote_passes_and_a_policy_refusal_lists_the_failed_rule(page, registry):
    client = registry["client"]
    name = _model_with_versions(client, [0.95, 0.5], "promote")
    client.set_promotion_policy(name, {"Production": {"thresholds": ["accuracy >= 0.9"]}})

    page.goto(f"{registry['url']}/ui/models/{name}/versions/1")
    assert page.get_by_label("Target stage").input_value() == "Staging"  # the usual next
    page.get_by_label("Target stage").select_option("Production")
    page.get_by_label("Reason").fill("best so far")
    page.get_by_role("button", name="Change stage").click()
    assert page.locator("h1 + p .badge.prod").inner_text() == "Production"
    assert "v1 moved None → Production by" in page.locator("table.history").inner_text()
    assert page.get_by_label("Target stage").input_value() == "Archived"

    page.goto(f"{registry['url']}/ui/models/{name}/versions/2")
    page.get_by_label("Target stage").select_option("Production")
    page.get_by_role("button", name="Change stage").click()
    assert page.locator("h1").inner_text().startswith("409")
    assert "accuracy" in page.locator("ul.failed-rules").inner_text()
    assert client.get_model_version(name, 2).current_stage == "None"


def test_moving_an_alias_shows_where_it_points(page, registry):
    client = registry["client"]
    name = _model_with_versions(client, [0.7, 0.8], "alias")
    client.set_registered_model_alias(name, "champion", 1)

    page.goto(f"{registry['url']}/ui/models/{name}")
    page.get_by_label("Alias", exact=True).fill("champion")
    page.get_by_label("Alias version").fill("2")
    page.get_by_role("button", name="Set alias").click()

    assert "@champion → v2" in page.locator("h1 + p").inner_text()
    assert "@champion now points to v2 (was v1)" in page.locator("table.history").inner_text()


def test_rollback_asks_for_confirmation_then_restores_the_previous_version(page, registry):
    client = registry["client"]
    name = _model_with_versions(client, [0.7, 0.8], "rollback")
    client.transition_model_version_stage(name, 1, "Production")
    client.transition_model_version_stage(name, 2, "Production", archive_existing_versions=True)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))

    page.goto(f"{registry['url']}/ui/models/{name}")
    page.get_by_label("Rollback reason").fill("v2 misbehaves")
    page.get_by_label("I confirm the rollback").check()
    page.get_by_role("button", name="Roll back").click()

    assert asked and "Roll back" in asked[0]
    assert page.locator("h1 + p .badge.prod").inner_text() == "v1 Production"
    assert client.get_model_version(name, 2).current_stage == "None"  # where it came from


def test_editing_tags_and_description_from_the_page(page, registry):
    name = _model_with_versions(registry["client"], [0.5], "edit")

    page.goto(f"{registry['url']}/ui/models/{name}")
    page.get_by_label("Tag key").fill("team")
    page.get_by_label("Tag value").fill("risk")
    page.get_by_role("button", name="Set tag").click()
    page.get_by_text("Edit description").click()
    page.get_by_label("Description").fill("Now with *emphasis*")
    page.get_by_role("button", name="Save description").click()

    assert page.locator("table.tags").inner_text().startswith("team\trisk")
    assert page.locator(".description em").inner_text() == "emphasis"


def test_a_run_is_described_tagged_renamed_deleted_and_restored_from_its_page(page, registry):
    client = registry["client"]
    run_id = client.create_run(registry["experiment_id"], run_name="to-edit").info.run_id
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))

    page.goto(f"{registry['url']}/ui/runs/{run_id}")
    page.get_by_text("Edit description").click()
    page.get_by_label("Description").fill("Baseline with *more* data")
    page.get_by_role("button", name="Save description").click()
    page.get_by_label("Tag key").fill("reviewed")
    page.get_by_label("Tag value").fill("yes")
    page.get_by_role("button", name="Set tag").click()
    page.get_by_text("Rename or delete").click()
    page.get_by_label("Run name").fill("baseline-2")
    page.get_by_role("button", name="Rename run").click()

    assert page.locator(".description em").inner_text() == "more"
    assert "reviewed\tyes" in page.locator("table.tags").inner_text()
    assert page.locator("h1").inner_text().startswith("baseline-2")
    assert client.get_run(run_id).data.tags["mlflow.note.content"] == "Baseline with *more* data"

    page.get_by_text("Rename or delete").click()
    page.get_by_label("I confirm deleting the run").check()
    page.get_by_role("button", name="Delete run").click()
    assert asked and "Delete this run" in asked[0]
    assert page.locator("h1 .badge").inner_text() == "deleted"
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"

    page.get_by_text("Rename or delete").click()
    page.get_by_role("button", name="Restore run").click()
    assert page.locator("h1 .badge").count() == 0
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_an_experiment_is_tagged_renamed_sorted_by_status_and_deleted_from_its_page(page, registry):
    client = registry["client"]
    name = _unique("exp")
    experiment_id = client.create_experiment(name)
    finished = client.create_run(experiment_id, run_name="done").info.run_id
    client.set_terminated(finished, "FINISHED")
    failed = client.create_run(experiment_id, run_name="broke").info.run_id
    client.set_terminated(failed, "FAILED")
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{registry['url']}/ui/experiments/{experiment_id}")
    page.get_by_role("link", name="Status").click()
    descending = [row.split("\t")[1] for row in _rows(page, "table.runs tbody tr")]
    page.get_by_role("link", name="Status ▼").click()
    ascending = [row.split("\t")[1] for row in _rows(page, "table.runs tbody tr")]
    assert (descending, ascending) == (["done", "broke"], ["broke", "done"])
    page.get_by_text("Tags").first.click()
    page.get_by_label("Tag key").fill("team")
    page.get_by_label("Tag value").fill("risk")
    page.get_by_role("button", name="Set tag").click()
    page.get_by_text("Rename or delete").click()
    page.get_by_label("Experiment name").fill(name + "-renamed")
    page.get_by_role("button", name="Rename experiment").click()

    assert page.locator("h1").inner_text() == name + "-renamed"
    assert client.get_experiment(experiment_id).tags == {"team": "risk"}

    page.get_by_text("Rename or delete").click()
    page.get_by_label("I confirm deleting the experiment and its runs").check()
    page.get_by_role("button", name="Delete experiment").click()
    assert page.locator("h1 .badge").inner_text() == "deleted"
    page.goto(f"{registry['url']}/ui/experiments?view=deleted")
    assert name + "-renamed" in page.locator("table").inner_text()
    page.get_by_role("link", name=name + "-renamed").click()
    page.get_by_text("Rename or delete").click()
    page.get_by_role("button", name="Restore experiment").click()
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"


def test_a_script_in_a_description_or_card_never_runs(page, registry):
    client = registry["client"]
    name = _model_with_versions(client, [0.5], "xss")
    payload = "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'>"
    client.update_registered_model(name, payload)
    client.update_model_version(name, 1, payload)
    client.set_model_card(name, 1, {"summary": payload, "sections": {"Notes": payload}})
    run_id = client.create_run("0", tags={"mlflow.note.content": payload}).info.run_id

    pages = (
        f"/ui/models/{name}",
        f"/ui/models/{name}/versions/1",
        "/ui/models",
        f"/ui/runs/{run_id}",
    )
    for url in pages:
        page.goto(registry["url"] + url)
        assert page.evaluate("window.pwned") is None, url
    assert "<script>window.pwned = 1</script>" in page.locator("body").inner_text()


def test_no_page_holds_an_inline_script(page, registry):
    pages = ["/ui/models", "/ui/models/fraud-detector", "/ui/models/fraud-detector/versions/1"]
    pages += [f"/ui/experiments/{registry['experiment_id']}", "/ui/sign-in", "/api/v1/docs"]
    for url in pages:
        page.goto(registry["url"] + url)
        assert page.locator("script:not([src])").count() == 0, url


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def test_search_as_you_type_works_under_a_strict_content_security_policy(page, registry):
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)

    def with_csp(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    page.route("**/*", with_csp)
    page.goto(registry["url"] + "/ui/models")
    page.get_by_label("Search models").press_sequentially("churn", delay=20)
    expect(page.locator("table.models tbody tr")).to_have_count(1)

    assert violations == []
    assert page.locator("table.models").inner_text().count("churn-model") == 1
    page.goto(registry["url"] + "/ui/models/fraud-detector")
    assert page.locator("svg.chart polyline").count() == 1 and violations == []


def test_api_docs_read_offline(page, registry):
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(registry["url"]):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(registry["url"] + "/api/v1/docs")

    assert outside == []
    assert page.locator("h3", has_text="/api/v1/registered-models").count() > 0


def test_a_reader_signs_in_and_sees_no_buttons_and_a_forged_form_is_refused(page, auth_server):
    world = auth_server.world()
    model_url = f"{auth_server.url}/ui/models/{world.model}"

    page.goto(model_url)
    assert page.locator("h1").inner_text().startswith("401")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("API token").fill(auth_server.tokens["reader"])
    page.get_by_role("button", name="Sign in").click()
    assert "Signed in as reader" in page.locator("header").inner_text()
    header = page.locator("header")
    assert header.get_by_role("link", name="Audit").count() == 0  # admins' pages
    assert header.get_by_role("link", name="Webhooks").count() == 0

    page.goto(model_url)
    assert page.locator("table.versions").is_visible()
    assert page.get_by_role("button", name="Set alias").count() == 0
    page.goto(model_url + "/versions/1")
    assert page.get_by_role("button", name="Change stage").count() == 0

    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    forged = page.request.post(
        model_url + "/aliases", form={"csrf": csrf, "alias": "champion", "version": "1"}
    )
    assert forged.status == 403


def _sign_in(page, auth_server, user: str) -> None:
    page.goto(auth_server.url + "/ui/sign-in")
    page.get_by_label("API token").fill(auth_server.tokens[user])
    page.get_by_role("button", name="Sign in").click()


def test_protected_alias_and_production_are_offered_to_managers_only(page, auth_server):
    world = auth_server.world()
    auth_server.admin_lib.set_model_protection(world.model, ["champion"], protect_production=True)
    model_url = f"{auth_server.url}/ui/models/{world.model}"

    _sign_in(page, auth_server, "editor")
    page.goto(model_url)
    assert page.get_by_label("Alias to delete").count() == 0  # champion is its only alias
    assert "Only managers move @champion" in page.locator(".actions").inner_text()
    page.goto(model_url + "/versions/1")
    assert "Production" not in page.get_by_label("Target stage").inner_text()

    _sign_in(page, auth_server, "manager")
    page.goto(model_url + "/versions/1")
    assert "Production" in page.get_by_label("Target stage").inner_text()


def test_an_editor_signed_in_changes_a_stage_and_signs_out(page, auth_server):
    world = auth_server.world()

    _sign_in(page, auth_server, "editor")
    page.goto(f"{auth_server.url}/ui/models/{world.model}/versions/1")
    page.get_by_label("Target stage").select_option("Staging")
    page.get_by_role("button", name="Change stage").click()

    assert page.locator("h1 + p .badge.staging").inner_text() == "Staging"
    assert "v1 moved None → Staging by editor" in page.locator("table.history").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{auth_server.url}/ui/models/{world.model}")
    assert page.locator("h1").inner_text().startswith("401")


def test_a_form_without_its_csrf_token_is_refused(page, registry):
    name = _model_with_versions(registry["client"], [0.5], "csrf")
    page.goto(f"{registry['url']}/ui/models/{name}")

    forged = page.request.post(
        f"{registry['url']}/ui/models/{name}/tags", form={"key": "k", "value": "v"}
    )

    assert forged.status == 403
    assert registry["client"].get_registered_model(name).tags == {}


def test_a_logged_model_is_opened_from_its_experiment_with_its_metrics_by_dataset(
    page, registry, tmp_path
):
    client = registry["client"]
    experiment_id = client.create_experiment(_unique("logged-models"))
    run_id = client.create_run(experiment_id, run_name="evaluation").info.run_id
    model = client.create_logged_model(experiment_id, "ranker", run_id, params={"depth": "6"})
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    client.log_model_artifacts(model.model_id, tmp_path)
    client.finalize_logged_model(model.model_id, "READY")
    for dataset, value in (("holdout", 0.93), ("train", 0.97)):
        digest = hashlib.sha256(dataset.encode()).hexdigest()
        client.log_metric(
            run_id,
            "auc",
            value,
            model_id=model.model_id,
            dataset_name=dataset,
            dataset_digest=digest,
        )

    page.goto(f"{registry['url']}/ui/experiments/{experiment_id}")
    listed = page.locator("table.logged-models tbody tr", has_text="ranker")
    assert "auc (holdout) 0.93 · auc (train) 0.97" in listed.inner_text()
    listed.get_by_role("link", name="ranker").click()

    assert page.locator("h1").inner_text().startswith("ranker")
    rows = [row.split("\t")[:4] for row in _rows(page, "table.metrics tbody tr")]
    holdout = hashlib.sha256(b"holdout").hexdigest()[:12]
    train = hashlib.sha256(b"train").hexdigest()[:12]
    assert rows == [
        ["auc", "0.93", "0", f"holdout {holdout}"],
        ["auc", "0.97", "0", f"train {train}"],
    ]
    with page.expect_download() as download:
        page.locator("table.files tr", has_text="MLmodel").get_by_role(
            "link", name="Download"
        ).click()
    assert Path(download.value.path()).read_bytes() == b"flavors: {}\n"
    page.get_by_role("link", name=run_id[:8]).first.click()
    assert page.locator("h1").inner_text().startswith("evaluation")
    assert "ranker" in page.locator("table.logged-models").inner_text()
    # A bookmark of the model's page in MLflow's UI opens this one.
    page.goto(f"{registry['url']}/#/experiments/{experiment_id}/models/{model.model_id}")
    page.wait_for_url(f"{registry['url']}/ui/logged-models/{model.model_id}")
    assert page.locator("h1").inner_text().startswith("ranker")


def test_a_run_with_many_files_is_browsed_folder_by_folder(page, registry, tmp_path):
    client = registry["client"]
    run_id = client.create_run(registry["experiment_id"], run_name=_unique("images")).info.run_id
    for label in ("cat", "dog"):
        (tmp_path / "images" / label).mkdir(parents=True)
        for i in range(60):
            (tmp_path / "images" / label / f"{i:03d}.txt").write_text(f"{label} {i}")
    (tmp_path / "README.md").write_text("# pets\n")
    client.log_artifacts(run_id, str(tmp_path))

    page.goto(f"{registry['url']}/ui/runs/{run_id}")
    assert _rows(page, "table.files tbody tr")[0].split("\t")[:3] == [
        "images/",
        "700 B",
        "120 files",
    ]
    page.get_by_role("link", name="images/").click()
    page.get_by_role("link", name="dog/").click()

    assert page.locator("nav.crumbs").inner_text() == "All files / images / dog"
    assert _rows(page, "table.files tbody tr")[0].split("\t")[0] == "000.txt"
    page.get_by_role("link", name="images", exact=True).click()
    assert [r.split("\t")[0] for r in _rows(page, "table.files tbody tr")] == ["cat/", "dog/"]
    page.get_by_role("link", name="All files").click()
    assert "README.md" in page.locator("table.files").inner_text()


def test_typing_a_word_narrows_the_experiments_as_you_type(page, registry):
    from playwright.sync_api import expect

    page.goto(registry["url"] + "/ui/experiments")
    page.get_by_label("Search experiments").press_sequentially("FRAUD", delay=20)

    expect(page.locator("table.experiments tbody tr")).to_have_count(1)
    assert page.locator("table.experiments tbody").inner_text().startswith("fraud-training")
    page.get_by_role("link", name="fraud-training").click()
    assert page.locator("h1").inner_text() == "fraud-training"


def test_behind_a_proxys_path_an_mlflow_link_and_the_header_stay_under_it(page, tmp_path):
    from conftest import server_env, start_server, stop_server
    from modelreg import Client

    root = "/tools/modelreg"
    process, url = start_server(
        f"sqlite:///{tmp_path / 'r.db'}",
        str(tmp_path / "artifacts"),
        env=server_env(),
        extra_args=["--upgrade", "--root-path", root],
    )
    try:
        run_id = Client(url + root).create_run("0", run_name="behind-proxy").info.run_id

        page.goto(f"{url}{root}/#/experiments/0/runs/{run_id}")  # as MLflow prints it
        page.wait_for_url(f"**{root}/ui/runs/{run_id}")
        assert page.locator("h1").inner_text().startswith("behind-proxy")
        page.get_by_role("link", name="Experiments").click()

        assert page.url == f"{url}{root}/ui/experiments"
        assert page.locator("h1").inner_text() == "Experiments"
    finally:
        stop_server(process)


def test_only_an_admin_finds_the_audit_trail_in_the_header(page, auth_server, registry):
    page.goto(registry["url"] + "/ui/models")  # without --auth nobody is an admin
    assert page.locator("header").get_by_role("link", name="Audit").count() == 0
    assert page.locator("header").get_by_role("link", name="Webhooks").count() == 1

    _sign_in(page, auth_server, "admin")
    page.locator("header").get_by_role("link", name="Audit").click()

    assert page.locator("h1").inner_text().startswith("Audit")


def _pixel(image) -> list[int]:
    """The red, green and blue of the top-left pixel the browser drew for ``image``."""
    return image.evaluate(
        """img => {
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth;
            canvas.height = img.naturalHeight;
            const drawing = canvas.getContext("2d");
            drawing.drawImage(img, 0, 0);
            return Array.from(drawing.getImageData(0, 0, 1, 1).data.slice(0, 3));
        }"""
    )


def _loaded(page, image) -> None:
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )


def test_an_image_series_is_stepped_through_with_its_slider(page, registry):
    import numpy as np

    client = registry["client"]
    run_id = client.create_run(registry["experiment_id"], run_name=_unique("gan")).info.run_id
    for step in range(3):
        pixels = np.full((8, 8, 3), step * 100, dtype=np.uint8)
        client.log_image(run_id, pixels, key="samples/fake", step=step * 10)

    page.goto(f"{registry['url']}/ui/runs/{run_id}")
    series = page.locator("figure.series")
    image = series.get_by_role("img")
    _loaded(page, image)
    assert series.locator("figcaption").inner_text() == "samples/fake step 20 · 3 images"
    assert image.get_attribute("alt") == "samples/fake at step 20"
    assert _pixel(image) == [200, 200, 200]

    page.get_by_label("Step of samples/fake").fill("0")

    assert series.locator("output").inner_text() == "0"
    assert image.get_attribute("alt") == "samples/fake at step 0"
    _loaded(page, image)
    assert _pixel(image) == [0, 0, 0]
    image.click()
    full = page.locator("img.preview")
    _loaded(page, full)
    assert "+step+0+" in page.locator("h1").inner_text()
    assert _pixel(full) == [0, 0, 0]


def test_comparing_runs_shows_each_runs_image_of_a_series_at_one_step(page, registry):
    import numpy as np

    client = registry["client"]
    experiment_id = client.create_experiment(_unique("vision"))
    runs = {}
    for name, steps in (("wide", (0, 10)), ("narrow", (0, 5))):
        run_id = client.create_run(experiment_id, run_name=name).info.run_id
        for step in steps:
            pixels = np.full((8, 8, 3), step * 20, dtype=np.uint8)
            client.log_image(run_id, pixels, key="samples", step=step)
        runs[name] = run_id
    client.log_image(runs["wide"], np.zeros((8, 8), dtype=np.uint8), key="masks")

    page.goto(
        f"{registry['url']}/ui/experiments/{experiment_id}/compare"
        f"?run={runs['wide']}&run={runs['narrow']}"
    )
    row = page.locator("table.image-compare tr", has_text="samples")
    wide, narrow = row.locator("td").nth(0), row.locator("td").nth(1)
    assert row.locator("output").inner_text() == "10"
    assert wide.get_by_role("img").get_attribute("alt") == "samples of wide at step 10"
    assert narrow.get_by_role("img").get_attribute("alt") == "samples of narrow at step 5"
    masks = page.locator("table.image-compare tr", has_text="masks")
    assert masks.locator("td").nth(1).inner_text() == "—"

    page.get_by_label("Step of samples").fill("1")  # the steps are 0, 5 and 10

    assert row.locator("output").inner_text() == "5"
    image = wide.get_by_role("img")
    assert image.get_attribute("alt") == "samples of wide at step 0"
    _loaded(page, image)
    assert _pixel(image) == [0, 0, 0]
    _loaded(page, narrow.get_by_role("img"))
    assert _pixel(narrow.get_by_role("img")) == [100, 100, 100]


def test_a_search_and_its_candidate_runs_lead_to_each_other(page, registry):
    client = registry["client"]
    experiment_id = client.create_experiment(_unique("tuning"))
    parent = client.create_run(experiment_id, run_name="grid-search").info.run_id
    for i in range(3):
        client.create_run(
            experiment_id, run_name=f"candidate-{i}", tags={"modelreg.parentRunId": parent}
        )
    client.create_run(experiment_id, run_name="baseline")

    page.goto(f"{registry['url']}/ui/experiments/{experiment_id}")
    names = "table.runs tbody tr td:nth-child(2) > a:first-child"
    page.get_by_label("Hide child runs").check()
    page.get_by_role("button", name="Apply").click()
    assert sorted(page.locator(names).all_inner_texts()) == ["baseline", "grid-search"]
    page.get_by_role("link", name="3 child runs").click()
    assert sorted(page.locator(names).all_inner_texts()) == [
        "candidate-0", "candidate-1", "candidate-2",
    ]  # fmt: skip

    page.get_by_role("link", name="grid-search").first.click()
    assert page.locator("h1").inner_text().startswith("grid-search")
    assert page.locator("table.child-runs tbody tr").count() == 3
    page.get_by_label("Compare run candidate-0").check()
    page.get_by_label("Compare run candidate-1").check()
    page.get_by_role("button", name="Compare selected runs").click()
    compared = page.locator("table.metrics thead th a").all_inner_texts()
    assert compared == ["candidate-0", "candidate-1"]
    page.go_back()
    page.get_by_role("link", name="candidate-2").click()
    assert page.locator("a.parent-run").inner_text() == "grid-search"
