"""A loaded model's ``metadata`` reads as MLflow's ``model.metadata`` (a ``Model``): its
schemas, flavors and user metadata, and where it was loaded from (the run that logged
it and its logged model), as ``get_model_info`` says too. On every backend."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg

X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y = np.array([0, 1, 1, 0])


def _fitted() -> LogisticRegression:
    return LogisticRegression().fit(X, Y)


@pytest.fixture
def logged(client):
    with modelreg.start_run() as run:
        info = _log()
    return run.info.run_id, info


def _log():
    return modelreg.sklearn.log_model(
        _fitted(), name="model", input_example=X[:2], registered_model_name="clf",
        metadata={"owner": "fraud-team"},
    )  # fmt: skip


def test_a_version_says_which_run_and_logged_model_it_came_from(client, logged):
    run_id, info = logged

    loaded = modelreg.pyfunc.load_model("models:/clf/1")

    assert (loaded.metadata.run_id, loaded.metadata.model_id) == (run_id, info.model_id)
    assert loaded.metadata.model_uri == "models:/clf/1"
    assert loaded.model_id == info.model_id


def test_a_logged_model_and_a_run_path_say_where_they_came_from(client, logged):
    run_id, info = logged

    by_id = modelreg.pyfunc.load_model(info.model_uri).metadata
    by_run = modelreg.pyfunc.load_model(f"runs:/{run_id}/model").metadata

    assert (by_id.run_id, by_id.model_id) == (run_id, info.model_id)
    assert (by_run.run_id, by_run.model_id) == (run_id, None)


def test_the_metadata_reads_as_mlflows_model(client, logged):
    _, info = logged

    loaded = modelreg.pyfunc.load_model("models:/clf/1")

    assert loaded.metadata.get_input_schema() == info.signature.inputs
    assert loaded.metadata.get_output_schema() == info.signature.outputs
    assert loaded.metadata.get_params_schema() is None
    assert loaded.metadata.flavors == {"sklearn": {"file": "model.skops"}}
    assert loaded.metadata.metadata == {"owner": "fraud-team"}
    assert loaded.get_raw_model() is loaded.native
    assert loaded.metadata.manifest["weights_digest"] == info.weights_digest


def test_model_info_says_where_the_model_came_from(client, logged):
    run_id, info = logged

    described = modelreg.models.get_model_info("models:/clf/1")

    assert (described.run_id, described.model_id) == (run_id, info.model_id)
    assert described.model_uri == "models:/clf/1"
    assert described.flavors == {"sklearn": {"file": "model.skops"}}


def test_the_same_files_from_two_runs_each_say_their_own_run(client, logged):
    first_run, _ = logged
    with modelreg.start_run() as second:
        _log()

    loaded = [modelreg.pyfunc.load_model(f"models:/clf/{v}") for v in (1, 2)]

    assert loaded[0].path == loaded[1].path  # one cached folder for the same files
    assert [m.metadata.run_id for m in loaded] == [first_run, second.info.run_id]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_local_folder_says_no_run_or_logged_model(client, tmp_path):
    modelreg.save_model(_fitted(), tmp_path / "model")

    metadata = modelreg.pyfunc.load_model(tmp_path / "model").metadata

    assert (metadata.run_id, metadata.model_id, metadata.model_uri) == (None, None, None)
    assert metadata.flavors == {"sklearn": {"file": "model.skops"}}
