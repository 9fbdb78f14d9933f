"""The web UI: pages render from the store, badges show, and text is always escaped."""

import httpx
import pytest

from conftest import reset_postgres

SCRIPT = "<script>alert(1)</script>"
MARKUP = "<img src=x onerror=alert(1)>"  # a logged model's name holds no '/'


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


def test_model_page_shows_the_newest_events_and_links_to_older_ones(ui, live_server):
    from modelreg import Client
    from modelreg.server.ui.history import PAGE

    client = Client(live_server)
    for i in range(PAGE + 5):
        client.set_registered_model_tag("fraud", "round", str(i))

    page = ui[0].get("/ui/models/fraud").text
    older = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    rest = ui[0].get(f"/ui/models/fraud{older}").text

    assert f"tagged round = {PAGE + 4} by" in page and "tagged round = 0 by" not in page
    assert "Older events" in page
    assert "tagged round = 0 by" in rest and "model created by" in rest


def test_a_version_page_with_a_bad_history_kind_is_a_400_page(ui):
    response = ui[0].get("/ui/models/fraud/versions/1?kind=nonsense")

    assert response.status_code == 400
    assert "history kind must be one of" in response.text


def test_version_page_shows_source_and_files(ui):
    http, run_id = ui

    page = http.get("/ui/models/fraud/versions/1").text

    assert f"runs:/{run_id}/model" in page


def test_run_page_plots_metric_history(ui):
    http, run_id = ui

    page = http.get(f"/ui/runs/{run_id}").text

    assert "<svg" in page and "<polyline" in page and "lr" in page


def test_a_run_page_lists_its_datasets_by_where_they_are_with_their_tags(ui, live_server):
    http, run_id = ui
    from modelreg import Client
    from modelreg.datasets import Dataset

    Client(live_server).log_input(run_id, Dataset("ours", "a" * 64, "s3://data/ours.csv"), "train")
    mlflows = {
        "name": "theirs",
        "digest": "d1",
        "source_type": "http",
        "source": '{"url": "https://example.com/theirs.csv"}',
    }
    tags = [{"key": "mlflow.data.context", "value": "eval"}, {"key": "split", "value": "q4"}]
    sent = {"run_id": run_id, "datasets": [{"dataset": mlflows, "tags": tags}]}
    assert http.post("/api/2.0/mlflow/runs/log-inputs", json=sent).status_code == 200

    page = http.get(f"/ui/runs/{run_id}").text

    assert "s3://data/ours.csv" in page
    assert "https://example.com/theirs.csv" in page and "mlflow_dataset" not in page
    assert "<code>split=q4</code>" in page


def test_a_run_page_draws_a_long_history_from_a_sample_and_says_so(ui, live_server):
    from modelreg import Client
    from modelreg.entities import Metric

    http, run_id = ui
    client = Client(live_server)
    for at in range(0, 30_000, 1_000):
        client.log_batch(run_id, [Metric("loss", 1 / (1 + s), s, s) for s in range(at, at + 1_000)])

    response = http.get(f"/ui/runs/{run_id}")

    assert "30,000 values, drawn as the lowest and highest value in each of 500 step" in (
        response.text
    )
    assert len(response.content) < 100_000  # not 30,000 points for each of them


def test_a_metric_logged_without_steps_is_drawn_over_seconds(ui, live_server):
    from modelreg import Client
    from modelreg.entities import Metric

    http, run_id = ui
    Client(live_server).log_batch(run_id, [Metric("gpu", 50.0 + i, 1_000 * i, 0) for i in range(4)])

    page = http.get(f"/ui/runs/{run_id}").text

    assert "gpu · seconds 3: 53" in page


def test_a_run_with_few_files_lists_them_all_and_a_bad_folder_is_refused(ui, live_server):
    from modelreg import Client

    http, run_id = ui
    Client(live_server).log_text(run_id, "flavor: python", "model/MLmodel")

    assert "model/MLmodel" in http.get(f"/ui/runs/{run_id}").text
    assert http.get(f"/ui/runs/{run_id}", params={"folder": "../etc"}).status_code == 400
    assert http.get(f"/ui/runs/{run_id}", params={"folder": "nowhere"}).status_code == 404


def test_a_folder_of_more_files_than_a_page_shows_says_how_many_more(ui, live_server, tmp_path):
    from modelreg import Client
    from modelreg.server.ui.file_listing import MAX_FILES_SHOWN

    http, run_id = ui
    for i in range(MAX_FILES_SHOWN + 20):
        (tmp_path / f"shard-{i:04d}.bin").write_bytes(b"x")
    Client(live_server).log_artifacts(run_id, str(tmp_path), "shards")

    top = http.get(f"/ui/runs/{run_id}").text
    shards = http.get(f"/ui/runs/{run_id}", params={"folder": "shards"}).text

    assert "shards/" in top and "520 files" in top and "shard-0000.bin" not in top
    assert shards.count("download>Download</a>") == MAX_FILES_SHOWN
    assert "20 more files in this folder are not listed here" in shards


def test_experiments_come_a_page_at_a_time_and_are_searched_by_name(ui, live_server):
    import re

    from modelreg import Client
    from modelreg.server.ui.tracking import EXPERIMENTS_PER_PAGE

    http, _ = ui
    client = Client(live_server)
    for i in range(EXPERIMENTS_PER_PAGE + 5):
        client.create_experiment(f"churn-{i:03d}", tags={"team": "growth"} if i == 7 else None)

    first = http.get("/ui/experiments", params={"sort": "name", "order": "asc"}).text
    next_page = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    rest = http.get("/ui/experiments" + next_page).text
    found = http.get("/ui/experiments", params={"q": "CHURN-01"}).text
    tagged = http.get("/ui/experiments", params={"q": "tags.team = 'growth'"}).text

    def names(page: str) -> list[str]:
        return re.findall(r'/ui/experiments/\d+">([^<]+)<', page)

    made = ["Default"] + [f"churn-{i:03d}" for i in range(EXPERIMENTS_PER_PAGE + 5)]
    assert len(names(first)) == EXPERIMENTS_PER_PAGE and names(first) + names(rest) == made
    assert names(found) == [f"churn-{i:03d}" for i in range(19, 9, -1)]  # newest first
    assert names(tagged) == ["churn-007"]


def test_the_machines_metrics_have_their_own_section_and_stay_out_of_the_runs_table(
    ui, live_server
):
    from modelreg import Client

    http, run_id = ui
    client = Client(live_server)
    for step in range(3):
        client.log_metric(run_id, "system/cpu_utilization_percentage", 40.0 + step, step=step)

    run_page = http.get(f"/ui/runs/{run_id}").text
    runs_table = http.get("/ui/experiments/0").text.split('<table class="runs">')[1]

    metrics, system = run_page.split("<h2>System metrics</h2>")
    assert "cpu_utilization_percentage" not in metrics and "accuracy" in metrics
    assert "<figcaption>cpu_utilization_percentage</figcaption>" in system
    assert "metrics.accuracy" in runs_table and "system/" not in runs_table.split("</thead>")[0]


def test_versions_are_scored_and_ranked_only_once_the_model_has_weights(ui, live_server):
    from modelreg import Client

    http = ui[0]
    unweighted = http.get("/ui/models/fraud").text
    Client(live_server).set_scoring_weights("fraud", {"accuracy": 1.0})
    weighted = http.get("/ui/models/fraud").text

    assert '<th class="num">Score</th>' not in unweighted
    assert "modelreg models set-weights fraud accuracy=1" in unweighted
    assert '<th class="num">Score</th>' in weighted and "not scored" not in weighted


def test_a_points_tooltip_gives_a_large_step_in_full(ui, live_server):
    from modelreg import Client

    http, run_id = ui
    for step in (1_234_567, 1_234_568):
        Client(live_server).log_metric(run_id, "reward", 0.125, step=step)

    assert "reward · step 1234568: 0.125" in http.get(f"/ui/runs/{run_id}").text


def test_compared_runs_show_the_machines_metrics_apart(ui, live_server):
    from modelreg import Client

    http, first = ui
    client = Client(live_server)
    second = client.create_run("0", run_name="other").info.run_id
    for run_id in (first, second):
        for step in range(2):
            client.log_metric(run_id, "system/cpu_utilization_percentage", 10.0 + step, step=step)
            client.log_metric(run_id, "accuracy", 0.5, step=step)

    page = http.get("/ui/experiments/0/compare", params={"run": [first, second]}).text

    metrics, system = page.split("<h2>System metrics</h2>")
    assert "cpu_utilization" not in metrics and "<figcaption>accuracy</figcaption>" in metrics
    assert "<figcaption>cpu_utilization_percentage</figcaption>" in system.split("<h2>")[0]


def test_script_payloads_are_escaped_in_html(ui):
    page = ui[0].get("/ui/models").text

    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_missing_model_is_an_html_404(ui):
    response = ui[0].get("/ui/models/nope")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "nope" in response.text


def test_an_unknown_url_asked_by_a_browser_is_an_html_404_and_the_api_stays_json(ui):
    http, _ = ui

    page = http.get("/nowhere", headers={"Accept": "text/html"})
    api = http.get("/api/v1/nowhere", headers={"Accept": "text/html"})

    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Back to models" in page.text
    assert api.status_code == 404 and api.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_a_bad_parameter_is_an_html_400(ui):
    response = ui[0].get("/ui/models/fraud/versions/one")

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "version" in response.text


def test_comparing_one_version_or_eleven_is_refused_with_a_400_page(ui):
    http, _ = ui

    one = http.get("/ui/models/fraud/compare?v=1")
    eleven = http.get("/ui/models/fraud/compare?versions=" + ",".join(map(str, range(1, 12))))

    assert (one.status_code, eleven.status_code) == (400, 400)
    assert "pick 2 to 10 versions" in one.text


def test_forms_get_a_csrf_cookie_that_scripts_cannot_read(ui):
    response = ui[0].get("/ui/models/fraud")

    cookie = response.headers["set-cookie"]
    assert cookie.startswith("modelreg_csrf=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert response.headers["cache-control"] == "private, no-store"


def test_signing_in_sets_an_httponly_lax_session_cookie_and_never_redirects_away(auth_server):
    with auth_server.http() as http:
        http.get("/ui/sign-in")
        response = http.post(
            "/ui/sign-in",
            data={
                "csrf": http.cookies["modelreg_csrf"],
                "token": auth_server.tokens["reader"],
                "next": "https://evil.example/",
            },
        )

    assert response.status_code == 303 and response.headers["location"] == "/ui/models"
    session = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("modelreg_session=")
    )
    assert "HttpOnly" in session and "samesite=lax" in session.lower()


def test_a_wrong_token_on_the_sign_in_form_says_so(auth_server):
    with auth_server.http() as http:
        http.get("/ui/sign-in")
        response = http.post(
            "/ui/sign-in", data={"csrf": http.cookies["modelreg_csrf"], "token": "mrg_nope"}
        )

    assert response.status_code == 401
    assert "not valid" in response.text


def test_the_session_cookie_does_not_authenticate_the_rest_api(auth_server):
    with auth_server.http() as http:
        http.cookies.set("modelreg_session", auth_server.tokens["admin"])

        assert http.get("/ui/models").status_code == 200
        assert http.get("/api/v1/registered-models").status_code == 401


def test_a_reader_compares_versions_whose_run_they_may_not_read(auth_server):
    world = auth_server.world()
    lib = auth_server.admin_lib
    hidden_run = lib.create_run(lib.create_experiment(f"hidden-{world.model}")).info.run_id
    lib.log_param(hidden_run, "secret", "hidden-value")
    lib.create_model_version(world.model, f"runs:/{hidden_run}/model", run_id=hidden_run)

    with auth_server.http("reader") as http:
        response = http.get(f"/ui/models/{world.model}/compare?v=1&v=2")

    assert response.status_code == 200
    # Not "42": a random model name may hold it.
    assert "secret" not in response.text and "hidden-value" not in response.text


@pytest.fixture
def logged_model(ui, live_server, tmp_path):
    from modelreg import Client

    client = Client(live_server)
    http, run_id = ui
    experiment_id = client.get_run(run_id).info.experiment_id
    model = client.create_logged_model(
        experiment_id, MARKUP, source_run_id=run_id, params={"depth": "6"}
    )
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    client.log_model_artifacts(model.model_id, tmp_path)
    client.finalize_logged_model(model.model_id, "READY")
    for dataset, value in (("holdout", 0.93), ("train", 0.97)):
        client.log_metric(
            run_id,
            "accuracy",
            value,
            model_id=model.model_id,
            dataset_name=dataset,
            dataset_digest=dataset[0] * 12,
        )
    client.create_registered_model("from-logged")
    client.create_model_version("from-logged", model.model_uri)
    return http, run_id, model.model_id


def test_a_logged_model_page_shows_metrics_by_dataset_params_versions_and_files(logged_model):
    http, run_id, model_id = logged_model

    page = http.get(f"/ui/logged-models/{model_id}").text

    assert "READY" in page and f'href="/ui/runs/{run_id}"' in page
    assert "holdout <code" in page and "train <code" in page
    assert "<th>depth</th><td>6</td>" in page
    assert 'href="/ui/models/from-logged/versions/1"' in page
    assert f'href="/ui/logged-models/{model_id}/files/MLmodel"' in page
    assert MARKUP not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_version_page_links_the_logged_model_it_was_registered_from(logged_model):
    http, _, model_id = logged_model

    page = http.get("/ui/models/from-logged/versions/1").text

    assert f'<th>Logged model</th><td><a href="/ui/logged-models/{model_id}">' in page


def test_the_experiment_and_the_run_list_their_logged_models(logged_model):
    http, run_id, model_id = logged_model
    link = f'href="/ui/logged-models/{model_id}"'

    experiment = http.get("/ui/experiments/0").text
    run = http.get(f"/ui/runs/{run_id}").text

    assert link in experiment
    assert "accuracy (holdout) 0.93 · accuracy (train) 0.97" in experiment
    assert link in run


def test_a_logged_models_file_downloads_and_an_unknown_model_is_an_html_404(logged_model):
    http, _, model_id = logged_model

    file = http.get(f"/ui/logged-models/{model_id}/files/MLmodel")
    missing = http.get("/ui/logged-models/m-" + "0" * 32, headers={"Accept": "text/html"})

    assert file.content == b"flavors: {}\n"
    assert missing.status_code == 404 and "<html" in missing.text.lower()


def test_a_version_page_lists_the_inference_params_with_their_defaults(ui):
    import numpy as np

    from modelreg import Client
    from modelreg.signature import infer_signature

    http, run_id = ui
    client = Client(str(http.base_url).rstrip("/"))
    signature = infer_signature(np.zeros((2, 3)), params={"threshold": 0.5, "stop": ["\n"]})
    client.create_model_version(
        "fraud", f"runs:/{run_id}/model", run_id=run_id, signature=signature.to_dict()
    )

    page = http.get("/ui/models/fraud/versions/2").text

    assert "<td>param</td><td>threshold</td><td><code>double = 0.5</code></td>" in page
    assert "<td>param</td><td>stop</td><td><code>string = [&#34;\\n&#34;]</code></td>" in page


def test_a_run_page_shows_each_image_series_at_its_latest_step(ui, live_server):
    import numpy as np

    from modelreg import Client

    http, run_id = ui
    client = Client(live_server)
    for step in (0, 5):
        client.log_image(run_id, np.zeros((4, 4), dtype=np.uint8), key="val/masks", step=step)
    client.log_image(run_id, np.zeros((4, 4), dtype=np.uint8), key="attention")

    page = http.get(f"/ui/runs/{run_id}").text
    figures = page.split('<figure class="series"')[1:]

    assert "<h2>Images</h2>" in page
    assert [f.split('data-key="')[1].split('"')[0] for f in figures] == ["attention", "val/masks"]
    latest = figures[1].split('<img src="')[1].split('"')[0]
    assert "val~masks%2Bstep%2B5%2B" in latest and latest.endswith("%2Bcompressed.webp?inline=1")
    shown = http.get(latest)
    assert shown.headers["content-type"] == "image/webp"
    assert shown.content.startswith(b"RIFF")


def test_a_run_page_has_no_images_section_for_plain_files_in_images(ui, live_server):
    from modelreg import Client

    http, run_id = ui
    Client(live_server).log_text(run_id, "not an image", "images/notes.txt")

    assert "<h2>Images</h2>" not in http.get(f"/ui/runs/{run_id}").text


def test_a_run_page_lists_the_logged_models_the_run_output_and_used(ui, live_server):
    from modelreg import Client, LoggedModelInput, LoggedModelOutput

    http, run_id = ui
    client = Client(live_server)
    experiment_id = client.get_run(run_id).info.experiment_id
    made_elsewhere = client.create_logged_model(experiment_id, name="distilled")
    base = client.create_logged_model(experiment_id, name="base-encoder")
    gone = client.create_logged_model(experiment_id, name="deleted-teacher")
    client.log_outputs(run_id, [LoggedModelOutput(made_elsewhere.model_id, step=2)])
    client.log_inputs(run_id, models=[LoggedModelInput(base.model_id), gone.model_id])
    client.delete_logged_model(gone.model_id)

    page = http.get(f"/ui/runs/{run_id}").text
    made, used = page.split("<h2>Logged models</h2>")[1].split("<h2>Logged models this run used")

    assert "distilled" in made and "base-encoder" not in made
    assert f'href="/ui/logged-models/{base.model_id}">base-encoder</a>' in used
    assert "deleted-teacher" not in page
    base_page = http.get(f"/ui/logged-models/{base.model_id}").text
    [row] = [r for r in base_page.split("<h2>Runs</h2>")[1].split("<tr>") if run_id[:8] in r]
    assert "used it" in row


def test_a_run_page_without_model_inputs_has_no_used_models_section(ui):
    http, run_id = ui

    assert "Logged models this run used" not in http.get(f"/ui/runs/{run_id}").text
