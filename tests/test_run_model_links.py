"""A run's links to logged models it did not log itself: ``log_outputs`` (a model the run
made, at a step) and ``log_inputs(models=)``/``log_input(model=)`` (a model it used),
as MLflow 3's ``run.outputs.model_outputs`` and ``run.inputs.model_inputs``."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

import modelreg
from conftest import reset_postgres
from modelreg import LoggedModelInput, LoggedModelOutput
from modelreg.errors import InvalidArgument, NotFound

UNKNOWN = "m-" + "0" * 32


@pytest.fixture
def experiment_id(client):
    return client.create_experiment("links")


@pytest.fixture
def run_id(client, experiment_id):
    return client.create_run(experiment_id).info.run_id


@pytest.fixture
def model_id(client, experiment_id):
    return client.create_logged_model(experiment_id, name="made-elsewhere").model_id


@pytest.fixture
def model_id_on_server(pg_url, live_server):
    reset_postgres(pg_url)
    client = modelreg.Client(live_server)
    return client.create_logged_model("0", name="made-elsewhere").model_id


def links(client, run_id):
    return [(x.model_id, x.direction, x.step) for x in client.get_run_model_links(run_id)]


def test_a_model_is_recorded_as_an_output_of_the_run_at_its_step(client, run_id, model_id):
    client.log_outputs(run_id, [LoggedModelOutput(model_id, step=7)])

    assert links(client, run_id) == [(model_id, "output", 7)]


def test_a_model_the_run_used_is_recorded_as_its_input(client, run_id, model_id):
    client.log_inputs(run_id, models=[LoggedModelInput(model_id)])

    assert links(client, run_id) == [(model_id, "input", 0)]


def test_models_may_be_given_by_id_or_as_mlflows_own_objects(
    client, run_id, model_id, experiment_id
):
    class MlflowsLoggedModelOutput:  # what mlflow.entities.LoggedModelOutput holds
        def __init__(self, model_id, step):
            self.model_id, self.step = model_id, step

    other = client.create_logged_model(experiment_id, name="other").model_id
    client.log_outputs(run_id, [model_id, MlflowsLoggedModelOutput(other, 2)])

    assert sorted(links(client, run_id)) == sorted([(model_id, "output", 0), (other, "output", 2)])


def test_a_model_output_again_is_recorded_once_at_its_latest_step(client, run_id, model_id):
    client.log_outputs(run_id, [LoggedModelOutput(model_id, step=1)])
    client.log_outputs(run_id, [LoggedModelOutput(model_id, step=4)])

    assert links(client, run_id) == [(model_id, "output", 4)]


def test_datasets_and_models_are_recorded_by_one_call(client, run_id, model_id):
    data = modelreg.datasets.from_numpy(np.zeros((2, 2)), name="holdout")

    client.log_inputs(run_id, [data], "evaluation", [LoggedModelInput(model_id)])

    assert [(i.context, i.dataset.name) for i in client.get_run_inputs(run_id)] == [
        ("evaluation", "holdout")
    ]
    assert links(client, run_id) == [(model_id, "input", 0)]


def test_a_refused_dataset_leaves_the_models_of_the_same_call_unrecorded(client, run_id, model_id):
    good = modelreg.datasets.from_numpy(np.zeros((2, 2)), name="holdout")
    bad = modelreg.datasets.from_numpy(np.zeros((2, 2)), name="x" * 10_000)

    with pytest.raises(InvalidArgument, match="name"):
        client.log_inputs(run_id, [good, bad], "evaluation", [LoggedModelInput(model_id)])

    assert links(client, run_id) == []
    assert client.get_run_inputs(run_id) == []


def test_a_refused_model_leaves_the_datasets_of_the_same_call_unrecorded(client, run_id):
    data = modelreg.datasets.from_numpy(np.zeros((2, 2)), name="holdout")

    with pytest.raises(NotFound, match=UNKNOWN):
        client.log_inputs(run_id, [data], "evaluation", [UNKNOWN])

    assert client.get_run_inputs(run_id) == []


def test_the_fluent_calls_link_the_active_run(client, model_id):
    with modelreg.start_run() as run:
        modelreg.log_outputs([LoggedModelOutput(model_id, step=1)])
        modelreg.log_input(model=LoggedModelInput(model_id))
        modelreg.log_inputs(models=[model_id])

    assert sorted(links(client, run.info.run_id)) == [
        (model_id, "input", 0),
        (model_id, "output", 1),
    ]


def test_metrics_the_active_run_logs_at_an_outputs_step_measure_that_model(client, model_id):
    with modelreg.start_run():
        modelreg.log_outputs([LoggedModelOutput(model_id, step=3)])
        modelreg.log_metric("val_auc", 0.91, step=3)
        modelreg.log_metric("val_auc", 0.85, step=2)

    measured = [(m.metric.key, m.metric.value) for m in client.get_logged_model(model_id).metrics]
    assert measured == [("val_auc", 0.91)]


def test_an_unknown_model_is_not_found_and_nothing_is_recorded(client, run_id, model_id):
    with pytest.raises(NotFound, match=UNKNOWN):
        client.log_outputs(run_id, [LoggedModelOutput(model_id), LoggedModelOutput(UNKNOWN)])
    with pytest.raises(NotFound, match=UNKNOWN):
        client.log_inputs(run_id, models=[UNKNOWN])
    with pytest.raises(NotFound, match="not-a-model-id"):
        client.log_outputs(run_id, ["not-a-model-id"])

    assert links(client, run_id) == []


def test_an_unknown_run_is_not_found(client, model_id):
    with pytest.raises(NotFound):
        client.log_outputs("f" * 32, [LoggedModelOutput(model_id)])


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("m-" + "1" * 32, "models must be a list of logged models"),
        ([3], "models: int is not a logged model or its id"),
        ([LoggedModelOutput("m-" + "1" * 32, step=1.5)], "must be an integer"),
        ([LoggedModelOutput("m-" + "1" * 32, step=True)], "must be an integer"),
    ],
)
def test_a_bad_models_argument_is_refused_naming_it(client, run_id, models, message):
    with pytest.raises(InvalidArgument, match=message):
        client.log_outputs(run_id, models)

    assert links(client, run_id) == []


def test_the_fluent_calls_record_data_and_models_together_or_not_at_all(client, model_id):
    data = modelreg.datasets.from_numpy(np.zeros((2, 2)), name="holdout")
    with modelreg.start_run() as run:
        with pytest.raises(NotFound, match=UNKNOWN):
            modelreg.log_input(data, model=UNKNOWN)
        with pytest.raises(InvalidArgument, match="context"):
            modelreg.log_inputs([data, data], contexts=["training", "x" * 65], models=[model_id])

    assert client.get_run_inputs(run.info.run_id) == []
    assert links(client, run.info.run_id) == []


def test_log_input_needs_a_dataset_or_a_model(client):
    with modelreg.start_run(), pytest.raises(InvalidArgument, match="a dataset or a model"):
        modelreg.log_input()


def test_log_input_describes_the_data_before_it_links_the_model(client, model_id):
    with modelreg.start_run() as run, pytest.raises(InvalidArgument):
        modelreg.log_input(object(), model=model_id)

    assert links(client, run.info.run_id) == []


def test_a_model_lists_the_runs_that_logged_or_used_it_newest_first(
    client, experiment_id, run_id, model_id
):
    later = client.create_run(experiment_id).info.run_id
    client.log_outputs(run_id, [LoggedModelOutput(model_id, step=3)])
    client.log_inputs(later, models=[model_id])

    found = client.get_logged_model_run_links(model_id)

    assert [(x.run_id, x.direction, x.step) for x in found] == [
        (later, "input", 0),
        (run_id, "output", 3),
    ]


def test_a_deleted_run_is_left_out_of_a_models_runs(client, run_id, model_id):
    client.log_inputs(run_id, models=[model_id])
    client.delete_run(run_id)

    assert client.get_logged_model_run_links(model_id) == []


def test_the_runs_of_an_unknown_model_are_not_found(client):
    with pytest.raises(NotFound, match=UNKNOWN):
        client.get_logged_model_run_links(UNKNOWN)


def test_an_mlflow_log_inputs_request_refused_in_part_records_nothing(
    pg_url, live_server, model_id_on_server
):
    client = modelreg.Client(live_server)
    run_id = client.create_run("0").info.run_id

    def dataset(name, context):
        return {
            "dataset": {"name": name, "digest": "d1", "source_type": "local", "source": "{}"},
            "tags": [{"key": "mlflow.data.context", "value": context}],
        }

    with httpx.Client(base_url=f"{live_server}/api/2.0/mlflow", timeout=30) as http:
        refused = http.post(
            "/runs/log-inputs",
            json={
                "run_id": run_id,
                "datasets": [dataset("train", "training"), dataset("x" * 10_000, "eval")],
                "models": [{"model_id": model_id_on_server}],
            },
        )

    assert refused.status_code == 400 and "name" in refused.json()["message"]
    assert client.get_run_inputs(run_id) == []
    assert links(client, run_id) == []
