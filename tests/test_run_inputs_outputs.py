"""A run carries what it used and made, as MLflow's ``Run`` does: ``run.inputs``
(datasets with their context, logged models) and ``run.outputs`` (logged models, at
their step), from ``get_run`` and from ``search_runs`` alike."""

from __future__ import annotations

import numpy as np
import pytest

import modelreg
from modelreg.datasets import InputTag, from_numpy
from modelreg.entities import LoggedModelInput, LoggedModelOutput, Run


@pytest.fixture
def experiment_id(client):
    return client.create_experiment("inputs-outputs")


def test_a_run_carries_its_datasets_with_their_context(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    train, holdout = from_numpy(np.ones((4, 2)), name="train"), from_numpy(np.zeros(3), "holdout")
    client.log_input(run_id, train, "training")
    client.log_input(run_id, holdout, "evaluation")

    inputs = client.get_run(run_id).inputs.dataset_inputs

    assert [(i.dataset.name, i.dataset.digest, i.context) for i in inputs] == [
        ("train", train.digest, "training"),
        ("holdout", holdout.digest, "evaluation"),
    ]
    assert inputs[0].tags == [InputTag("mlflow.data.context", "training")]
    assert inputs == client.get_run_inputs(run_id)


def test_a_run_carries_the_logged_models_it_used_and_made(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    used = client.create_logged_model(experiment_id, name="used").model_id
    made = client.create_logged_model(experiment_id, name="made").model_id
    client.log_inputs(run_id, models=[LoggedModelInput(used)])
    client.log_outputs(run_id, [LoggedModelOutput(made, step=3)])

    run = client.get_run(run_id)

    assert run.inputs.model_inputs == [LoggedModelInput(used)]
    assert run.outputs.model_outputs == [LoggedModelOutput(made, 3)]


def test_search_gives_each_run_its_own_inputs_and_outputs(client, experiment_id):
    plain = client.create_run(experiment_id, run_name="plain").info.run_id
    used = client.create_run(experiment_id, run_name="used").info.run_id
    client.log_input(used, from_numpy(np.arange(5), name="numbers"), "training")
    made = client.create_logged_model(experiment_id, name="made").model_id
    client.log_outputs(used, [LoggedModelOutput(made)])

    found = {run.info.run_id: run for run in client.search_runs([experiment_id])}

    assert [i.dataset.name for i in found[used].inputs.dataset_inputs] == ["numbers"]
    assert found[used].outputs.model_outputs == [LoggedModelOutput(made, 0)]
    assert found[plain].inputs.dataset_inputs == found[plain].inputs.model_inputs == []
    assert found[plain].outputs.model_outputs == []


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_the_active_run_and_the_run_as_data_keep_them(client):
    with modelreg.start_run() as active:
        modelreg.log_input(from_numpy(np.ones(2), name="tiny"), context="training")
    run = modelreg.get_run(active.info.run_id)

    assert Run.from_dict(run.to_dict()) == run
    assert active.inputs.dataset_inputs == []  # as it was when the run started
    assert run.inputs.dataset_inputs[0].dataset.name == "tiny"
