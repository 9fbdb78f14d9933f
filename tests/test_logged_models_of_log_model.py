"""``log_model`` makes a logged model too, as MLflow 3's does: READY, of its run, holding
the files it saved (the same blobs), found by the logged-model calls and registrable and
loadable by its ``models:/m-…`` URI, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg.errors import InvalidArgument, NotFound

X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y = np.array([0, 1, 1, 0])


@pytest.fixture
def logged(client):
    modelreg.set_experiment("log-model")
    with modelreg.start_run() as run:
        info = modelreg.log_model(LogisticRegression().fit(X, Y), "models/clf")
    return run.info.run_id, info


def test_log_model_makes_a_ready_logged_model_of_its_run(client, logged):
    run_id, info = logged

    model = client.get_logged_model(info.model_id)

    assert (model.name, model.status, model.source_run_id) == ("clf", "READY", run_id)
    assert model.experiment_id == client.get_run(run_id).info.experiment_id
    assert [m.model_id for m in client.get_run_logged_models(run_id)] == [info.model_id]
    assert modelreg.last_logged_model().model_id == info.model_id


def test_the_logged_model_holds_the_files_log_model_saved(client, logged):
    run_id, info = logged
    saved = {
        f.path.removeprefix("models/clf/") for f in client.list_artifacts(run_id, "models/clf")
    }

    version = modelreg.register_model(f"models:/{info.model_id}", "from-logged")
    files = {f.path for f in client.list_model_version_artifacts("from-logged", version.version)}

    assert files == saved == {"model.skops", "modelreg.json", "requirements.txt"}
    loaded = modelreg.load_model(f"models:/from-logged/{version.version}")
    assert loaded.predict(X).tolist() == LogisticRegression().fit(X, Y).predict(X).tolist()


def test_a_logged_model_takes_files_only_from_its_own_run(client, logged):
    run_id, _ = logged
    experiment = client.get_run(run_id).info.experiment_id
    orphan = client.create_logged_model(experiment, name="orphan").model_id
    other = client.create_logged_model(experiment, name="other", source_run_id=run_id).model_id

    with pytest.raises(InvalidArgument, match="no source run"):
        client.record_logged_model_files(orphan, "models/clf")
    with pytest.raises(NotFound, match="holds no files under 'nothing-here'"):
        client.record_logged_model_files(other, "nothing-here")
    with pytest.raises(InvalidArgument, match="path"):
        client.record_logged_model_files(other, "../models/clf")
    assert client.get_logged_model(other).status == "PENDING"


def test_an_mlflow_client_sees_the_logged_model_as_an_output_of_its_run(live_server, pg_url):
    import httpx

    from conftest import reset_postgres

    reset_postgres(pg_url)
    modelreg.set_tracking_uri(live_server)
    with modelreg.start_run() as run:
        info = modelreg.log_model(LogisticRegression().fit(X, Y), "model")

    got = httpx.get(
        live_server + "/api/2.0/mlflow/runs/get", params={"run_id": run.info.run_id}
    ).json()

    assert got["run"]["outputs"]["model_outputs"] == [{"model_id": info.model_id, "step": 0}]
