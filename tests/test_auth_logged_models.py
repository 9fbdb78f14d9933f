"""With --auth an MLflow 3 logged model is its experiment's: readers of the experiment read
it, editors change it and upload its files, others see it as missing; its artifact path
must name its own experiment; registering it needs read on it. A run's user is the
authenticated user, whatever the client claims."""

from __future__ import annotations

import pytest

from auth_fixtures import unique

MLFLOW = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(scope="module")
def logged(auth_server):
    """An experiment (reader, editor roles granted) with a run and a logged model with a file."""
    world = auth_server.world()
    service = auth_server.backend.logged_models
    model = service.create_logged_model(world.experiment_id, "model", world.run_id)
    service.record_files(model.model_id, {"MLmodel": auth_server.backend.blobs.put_bytes(b"m")})
    service.finalize_logged_model(model.model_id, "READY")
    return world, model.model_id


def _get(auth_server, user, path, **params):
    with auth_server.http(user) as http:
        return http.get(path, params=params)


@pytest.mark.parametrize(("user", "status"), [("reader", 200), ("stranger", 404), ("admin", 200)])
def test_reading_a_logged_model_takes_read_on_its_experiment(auth_server, logged, user, status):
    _, model_id = logged

    response = _get(auth_server, user, f"{MLFLOW}/logged-models/{model_id}")

    assert response.status_code == status


@pytest.mark.parametrize(("user", "status"), [("reader", 403), ("editor", 200)])
def test_tagging_a_logged_model_takes_edit(auth_server, logged, user, status):
    _, model_id = logged

    with auth_server.http(user) as http:
        response = http.patch(
            f"{MLFLOW}/logged-models/{model_id}/tags", json={"tags": [{"key": "k", "value": "v"}]}
        )

    assert response.status_code == status


def test_a_logged_models_files_are_read_through_its_own_experiment_only(auth_server, logged):
    world, model_id = logged
    other = auth_server.admin_lib.create_experiment(unique("other"))
    own = f"{world.experiment_id}/models/{model_id}/artifacts/MLmodel"
    paired = f"{other}/models/{model_id}/artifacts/MLmodel"

    assert _get(auth_server, "reader", f"{ARTIFACTS}/{own}").content == b"m"
    assert _get(auth_server, "stranger", f"{ARTIFACTS}/{own}").status_code == 404
    assert _get(auth_server, "admin", f"{ARTIFACTS}/{paired}").status_code == 404


def test_uploading_a_logged_models_files_takes_edit(auth_server, logged):
    world, model_id = logged
    path = f"{ARTIFACTS}/{world.experiment_id}/models/{model_id}/artifacts/extra.txt"

    with auth_server.http("reader") as http:
        refused = http.put(path, content=b"x")
    with auth_server.http("editor") as http:
        accepted = http.put(path, content=b"x")

    assert (refused.status_code, accepted.status_code) == (403, 200)


def test_registering_a_logged_model_needs_read_on_it(auth_server, logged):
    _, model_id = logged
    mine = unique("mine")
    auth_server.client("stranger").create_registered_model(mine)

    with auth_server.http("stranger") as http:
        response = http.post(
            f"{MLFLOW}/model-versions/create", json={"name": mine, "source": f"models:/{model_id}"}
        )

    assert response.status_code == 404


def test_searching_logged_models_shows_only_readable_experiments(auth_server, logged):
    world, model_id = logged
    body = {"experiment_ids": [world.experiment_id]}

    with auth_server.http("stranger") as http:
        hidden = http.post(f"{MLFLOW}/logged-models/search", json=body).json()
    with auth_server.http("reader") as http:
        shown = http.post(f"{MLFLOW}/logged-models/search", json=body).json()

    assert hidden.get("models", []) == []
    assert [m["info"]["model_id"] for m in shown["models"]] == [model_id]


def test_with_auth_a_runs_user_is_the_authenticated_one(auth_server, logged):
    world, _ = logged
    body = {"experiment_id": world.experiment_id, "user_id": "someone-else"}

    with auth_server.http("editor") as http:
        run = http.post(f"{MLFLOW}/runs/create", json=body).json()["run"]

    assert run["info"]["user_id"] == "editor"


def test_a_logged_model_cannot_name_a_run_its_creator_may_not_read(auth_server, logged):
    from modelreg.errors import NotFound

    world, _ = logged
    stranger = auth_server.client("stranger")
    own = stranger.create_experiment(unique("own"))
    missing_run = "0" * 32

    with pytest.raises(NotFound) as hidden:
        stranger.create_logged_model(own, source_run_id=world.run_id)
    with pytest.raises(NotFound) as missing:
        stranger.create_logged_model(own, source_run_id=missing_run)
    with auth_server.http("stranger") as http:
        through_mlflow = http.post(
            f"{MLFLOW}/logged-models", json={"experiment_id": own, "source_run_id": world.run_id}
        )

    assert str(hidden.value).replace(world.run_id, "?") == str(missing.value).replace(
        missing_run, "?"
    )
    assert through_mlflow.status_code == 404
    assert list(stranger.search_logged_models(own)) == []


def test_a_logged_models_metric_cannot_name_a_run_the_caller_may_not_read(auth_server, logged):
    from modelreg.entities import Metric
    from modelreg.errors import NotFound

    world, _ = logged
    stranger = auth_server.client("stranger")
    own = stranger.create_logged_model(stranger.create_experiment(unique("own"))).model_id
    missing_run = "0" * 32
    metric = [Metric("acc", 0.9, 1, 0)]

    with pytest.raises(NotFound) as hidden:
        stranger.log_logged_model_metrics(own, metric, run_id=world.run_id)
    with pytest.raises(NotFound) as missing:
        stranger.log_logged_model_metrics(own, metric, run_id=missing_run)

    assert str(hidden.value).replace(world.run_id, "?") == str(missing.value).replace(
        missing_run, "?"
    )
    assert stranger.get_logged_model(own).metrics == []


@pytest.mark.parametrize(("user", "status"), [("reader", 403), ("stranger", 404)])
def test_a_run_of_ones_own_cannot_write_metrics_onto_a_model_one_may_not_edit(
    auth_server, logged, user, status
):
    _, model_id = logged
    client = auth_server.client(user)
    run_id = client.create_run(client.create_experiment(unique("own"))).info.run_id
    metric = {"key": "acc", "value": 0.9, "timestamp": 1, "step": 0, "model_id": model_id}

    with auth_server.http(user) as http:
        single = http.post(f"{MLFLOW}/runs/log-metric", json={"run_id": run_id, **metric})
        batch = http.post(f"{MLFLOW}/runs/log-batch", json={"run_id": run_id, "metrics": [metric]})

    assert (single.status_code, batch.status_code) == (status, status)
    assert auth_server.admin_lib.get_logged_model(model_id).metrics == []
    assert client.get_run(run_id).data.metrics == {}


@pytest.mark.parametrize("route", ["outputs", "log-inputs"])
def test_a_run_links_a_hidden_model_no_more_than_a_missing_one(auth_server, logged, route):
    _, model_id = logged
    stranger = auth_server.client("stranger")
    run_id = stranger.create_run(stranger.create_experiment(unique("own"))).info.run_id
    missing_id = "m-" + "0" * 32

    with auth_server.http("stranger") as http:
        hidden, missing = (
            http.post(
                f"{MLFLOW}/runs/{route}", json={"run_id": run_id, "models": [{"model_id": m}]}
            )
            for m in (model_id, missing_id)
        )

    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["message"].replace(model_id, "?") == missing.json()["message"].replace(
        missing_id, "?"
    )
    assert auth_server.backend.logged_models.run_links(run_id) == []


def test_a_logged_model_cannot_name_a_blob_its_creator_may_not_read(auth_server, logged):
    world, _ = logged
    # Bytes no one else uploads: a blob its content's uploader knows is theirs to name.
    secret = unique("weights").encode() * 8
    ref = auth_server.backend.artifacts.log_bytes(world.run_id, secret, "secret.bin")
    stranger = auth_server.client("stranger")
    own = stranger.create_logged_model(stranger.create_experiment(unique("own"))).model_id
    hidden = {"model/MLmodel": {"digest": ref.digest, "size": ref.size}}
    missing = {"model/MLmodel": {"digest": "0" * 64, "size": 1}}

    with auth_server.http("stranger") as http:
        refused = [
            http.post(f"/api/v1/logged-models/{own}/artifacts", json={"entries": entries})
            for entries in (hidden, missing)
        ]

    assert [r.status_code for r in refused] == [400, 400]
    messages = [r.json()["message"] for r in refused]
    assert messages[0].replace(ref.digest, "?") == messages[1].replace("0" * 64, "?")
    assert stranger.get_logged_model(own).status == "PENDING"


def test_a_models_runs_leave_out_those_the_caller_may_not_read(auth_server, logged):
    world, model_id = logged
    admin = auth_server.admin_lib
    hidden_experiment = admin.create_experiment(unique("hidden"))
    hidden_run = admin.create_run(hidden_experiment).info.run_id
    admin.log_inputs(world.run_id, models=[model_id])
    admin.log_inputs(hidden_run, models=[model_id])

    seen_by_reader = auth_server.client("reader").get_logged_model_run_links(model_id)
    seen_by_admin = admin.get_logged_model_run_links(model_id)

    assert [x.run_id for x in seen_by_reader] == [world.run_id]
    assert sorted(x.run_id for x in seen_by_admin) == sorted([world.run_id, hidden_run])
