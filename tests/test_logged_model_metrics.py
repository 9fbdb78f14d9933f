"""Metrics of logged models, as MLflow 3 keeps them: a run's metric may name the logged
model it measures and the dataset it was measured on, so that models are compared and
searched by them. ``log_model`` takes the run's metrics at its step, later metrics of
the run at that step follow, and the active model takes the metrics logged while set.
On every backend."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg.datasets import Dataset
from modelreg.errors import InvalidArgument, NotFound

X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y = np.array([0, 1, 1, 0])
MISSING = "m-" + "0" * 32


@pytest.fixture
def run_id(client) -> str:
    experiment_id = client.create_experiment("measured")
    modelreg.set_experiment(experiment_id=experiment_id)
    yield client.create_run(experiment_id).info.run_id
    modelreg.clear_active_model()


@pytest.fixture
def model_id(client, run_id) -> str:
    experiment_id = client.get_run(run_id).info.experiment_id
    return client.create_logged_model(experiment_id, "measured", source_run_id=run_id).model_id


def model_metrics(client, model_id: str) -> list[tuple]:
    return sorted(
        (m.metric.key, m.metric.value, m.metric.step, m.dataset_name, m.dataset_digest, m.run_id)
        for m in client.get_logged_model(model_id).metrics
    )


def test_a_metric_logged_for_a_model_is_the_runs_and_the_models(client, run_id, model_id):
    client.log_metric(
        run_id, "acc", 0.9, 1000, 2, model_id=model_id, dataset_name="eval", dataset_digest="d1"
    )

    assert client.get_run(run_id).data.metrics == {"acc": 0.9}
    assert model_metrics(client, model_id) == [("acc", 0.9, 2, "eval", "d1", run_id)]


def test_a_metric_for_an_unknown_model_is_refused_and_the_run_keeps_nothing(client, run_id):
    with pytest.raises(NotFound, match=MISSING):
        client.log_metric(run_id, "acc", 0.9, model_id=MISSING)

    assert client.get_run(run_id).data.metrics == {}


@pytest.mark.parametrize(
    ("dataset", "problem"),
    [
        ({"dataset_name": "n" * 501}, "dataset_name .* 500"),
        ({"dataset_name": "eval", "dataset_digest": "f" * 65}, "dataset_digest .* 64"),
        ({"dataset_digest": "d1"}, "dataset_digest needs a dataset_name"),
        ({"dataset_name": "a\u200bb"}, "dataset_name"),
    ],
)
def test_a_bad_dataset_is_refused_naming_the_field_and_nothing_is_logged(
    client, run_id, model_id, dataset, problem
):
    with pytest.raises(InvalidArgument, match=problem):
        client.log_metric(run_id, "acc", 0.9, model_id=model_id, **dataset)

    assert client.get_run(run_id).data.metrics == {}
    assert model_metrics(client, model_id) == []


def test_a_dataset_without_a_model_is_refused_as_a_run_keeps_no_dataset_per_metric(client, run_id):
    with pytest.raises(InvalidArgument, match="model_id"):
        client.log_metric(run_id, "acc", 0.9, dataset_name="eval", dataset_digest="d1")

    assert client.get_run(run_id).data.metrics == {}


def test_log_model_takes_the_runs_metrics_at_its_step_and_later_ones_follow(client):
    modelreg.set_experiment("follows")
    with modelreg.start_run() as run:
        modelreg.log_metric("before", 1.0)
        modelreg.log_metric("before_step_1", 2.0, step=1)
        logged = modelreg.log_model(LogisticRegression().fit(X, Y), "model")
        modelreg.log_metric("after", 3.0)
        modelreg.log_metrics({"many": 4.0, "other_step": 5.0}, step=0)
        modelreg.log_metric("after_step_1", 6.0, step=1)
    run_id = run.info.run_id

    assert model_metrics(client, logged.model_id) == [
        ("after", 3.0, 0, None, None, run_id),
        ("before", 1.0, 0, None, None, run_id),
        ("many", 4.0, 0, None, None, run_id),
        ("other_step", 5.0, 0, None, None, run_id),
    ]
    assert set(client.get_run(run_id).data.metrics) == {
        "before",
        "before_step_1",
        "after",
        "many",
        "other_step",
        "after_step_1",
    }


def test_a_later_run_does_not_measure_an_earlier_runs_model(client):
    modelreg.set_experiment("separate")
    with modelreg.start_run():
        logged = modelreg.log_model(LogisticRegression().fit(X, Y), "model")
    with modelreg.start_run():
        modelreg.log_metric("acc", 0.5)

    assert model_metrics(client, logged.model_id) == []


def test_the_fluent_calls_take_a_model_id_and_a_dataset(client, run_id, model_id):
    holdout = Dataset("holdout", "ab" * 32)
    with modelreg.start_run(run_id=run_id):
        modelreg.log_metric("acc", 0.9, model_id=model_id, dataset=holdout)
        modelreg.log_metrics({"f1": 0.8, "auc": 0.7}, step=3, model_id=model_id)

    assert model_metrics(client, model_id) == [
        ("acc", 0.9, 0, "holdout", "ab" * 32, run_id),
        ("auc", 0.7, 3, None, None, run_id),
        ("f1", 0.8, 3, None, None, run_id),
    ]
    inputs = client.get_run_inputs(run_id)
    assert [(i.dataset.name, i.dataset.digest, i.context) for i in inputs] == [
        ("holdout", "ab" * 32, "evaluation")
    ]


def test_a_dataset_the_run_already_used_is_not_recorded_again(client, run_id, model_id):
    holdout = Dataset("holdout", "cd" * 32)
    client.log_inputs(run_id, [holdout], "training")
    with modelreg.start_run(run_id=run_id):
        modelreg.log_metric("acc", 0.9, model_id=model_id, dataset=holdout)
        modelreg.log_metric("acc", 0.8, step=1, model_id=model_id, dataset=holdout)

    contexts = [i.context for i in client.get_run_inputs(run_id)]
    assert contexts == ["training"]


def test_a_fluent_dataset_must_be_a_dataset(client, run_id, model_id):
    with modelreg.start_run(run_id=run_id):
        with pytest.raises(InvalidArgument, match="dataset must be a modelreg Dataset"):
            modelreg.log_metric("acc", 0.9, model_id=model_id, dataset="holdout.csv")

    assert client.get_run(run_id).data.metrics == {}


def test_a_fluent_metric_names_another_run(client, run_id, model_id):
    modelreg.log_metric("acc", 0.9, run_id=run_id, model_id=model_id)

    assert client.get_run(run_id).data.metrics == {"acc": 0.9}
    assert modelreg.active_run() is None
    assert model_metrics(client, model_id) == [("acc", 0.9, 0, None, None, run_id)]


def test_the_active_model_takes_the_metrics_logged_while_it_is_set(client, run_id):
    active = modelreg.set_active_model(name="active")
    with modelreg.start_run(run_id=run_id):
        modelreg.log_metric("acc", 0.9)
        modelreg.log_metrics({"f1": 0.8})
    modelreg.clear_active_model()
    with modelreg.start_run(run_id=run_id):
        modelreg.log_metric("after", 1.0)

    assert [m[0] for m in model_metrics(client, active.model_id)] == ["acc", "f1"]


def test_models_are_searched_by_the_metrics_their_runs_logged(client):
    modelreg.set_experiment("searched")
    for accuracy in (0.7, 0.9):
        with modelreg.start_run():
            modelreg.log_model(LogisticRegression().fit(X, Y), "model")
            modelreg.log_metric("accuracy", accuracy)

    found = modelreg.search_logged_models(
        filter_string="metrics.accuracy > 0.8", output_format="list"
    )

    assert [m.metrics[0].metric.value for m in found] == [0.9]


def test_a_metric_of_an_unknown_run_is_refused_and_the_model_keeps_nothing(client, run_id):
    experiment_id = client.get_run(run_id).info.experiment_id
    model = client.create_logged_model(experiment_id, "other")

    with pytest.raises(NotFound, match="run 'f{32}'"):
        client.log_metric("f" * 32, "acc", 0.9, model_id=model.model_id)

    assert model_metrics(client, model.model_id) == []


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"model_id": MISSING}, 404),
        ({"dataset_name": "n" * 501, "dataset_digest": "d1"}, 400),
        ({"dataset_digest": "d1"}, 400),
    ],
)
def test_an_mlflow_clients_refused_model_metric_leaves_the_run_as_it_was(
    live_server, extra, status
):
    import httpx

    from auth_fixtures import unique

    client = modelreg.Client(live_server)
    experiment_id = client.create_experiment(unique("mlflow-measured"))
    run_id = client.create_run(experiment_id).info.run_id
    model_id = client.create_logged_model(experiment_id, source_run_id=run_id).model_id
    metric = {"key": "acc", "value": 0.9, "timestamp": 1, "step": 0, "model_id": model_id}
    api = live_server + "/api/2.0/mlflow/runs"

    single = httpx.post(api + "/log-metric", json={"run_id": run_id, **metric, **extra})
    batch = httpx.post(
        api + "/log-batch", json={"run_id": run_id, "metrics": [{**metric, **extra}]}
    )

    assert (single.status_code, batch.status_code) == (status, status)
    assert client.get_run(run_id).data.metrics == {}
    assert client.get_logged_model(model_id).metrics == []


def test_a_resumed_run_measures_the_models_it_logged_before(client):
    modelreg.set_experiment("resumed")
    with modelreg.start_run() as run:
        logged = modelreg.log_model(LogisticRegression().fit(X, Y), "model")
    run_id = run.info.run_id

    with modelreg.start_run(run_id=run_id):
        modelreg.log_metric("eval_auc", 0.8)
        modelreg.log_metric("eval_curve", 0.5, step=1)

    assert model_metrics(client, logged.model_id) == [("eval_auc", 0.8, 0, None, None, run_id)]


def test_a_runs_model_links_say_what_it_logged_and_used(client, run_id, model_id):
    other = client.create_logged_model(client.get_run(run_id).info.experiment_id, "used")
    with modelreg.start_run(run_id=run_id):
        logged = modelreg.log_model(LogisticRegression().fit(X, Y), "model")
    client.log_metric(run_id, "acc", 0.9, model_id=other.model_id)  # measuring is no link

    links = client.get_run_model_links(run_id)

    assert [(x.model_id, x.direction, x.step) for x in links] == [(logged.model_id, "output", 0)]
    with pytest.raises(NotFound, match="run 'f{32}'"):
        client.get_run_model_links("f" * 32)


def test_a_logged_models_metric_reads_as_mlflows_metric(client, run_id, model_id):
    client.log_metric(
        run_id, "acc", 0.9, 1000, 2, model_id=model_id, dataset_name="eval", dataset_digest="d1"
    )

    (m,) = client.get_logged_model(model_id).metrics

    assert (m.key, m.value, m.timestamp, m.step) == ("acc", 0.9, 1000, 2)
    assert (m.model_id, m.run_id, m.dataset_name, m.dataset_digest) == (
        model_id,
        run_id,
        "eval",
        "d1",
    )
