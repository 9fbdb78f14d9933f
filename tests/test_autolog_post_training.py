"""Post-training metrics: how a model fitted under autolog is evaluated later (its
``score``, ``sklearn.metrics`` functions given its predictions) is logged to its run,
by MLflow's names, with the call behind each in ``metric_info.json``."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

import inspect
from pathlib import Path

import numpy as np
import pytest
import sklearn.metrics
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import all_estimators

import mlflow_source_fixtures
import modelreg
from autolog_fixtures import EXPERIMENT, autologged, boosting_classifier, only_run  # noqa: F401
from modelreg.errors import ModelregWarning
from post_training_workflow import workflow

SCRIPT = Path(__file__).with_name("mlflow_post_training.py")
WORKFLOW = Path(__file__).with_name("post_training_workflow.py")
# MLflow numbers a metric's calls over every dataset; here over each dataset alone.
RENAMED = {
    "LogisticRegression_score-2_unknown_dataset": "LogisticRegression_score_unknown_dataset",
    "f1_score-2_X_val": "f1_score_X_val",
}
X = np.random.default_rng(0).random((60, 3))
LABELS = (X[:, 0] > 0.5).astype(int)
X_test = X[40:]
y_test = LABELS[40:]


@pytest.fixture(scope="module")
def mlflow_logged() -> dict:
    return mlflow_source_fixtures.cached_results("mlflow-post-training", SCRIPT, WORKFLOW)


def post_training(run) -> dict:
    return {k: v for k, v in run.data.metrics.items() if not k.startswith("training_")}


def metric_info(run) -> dict:
    return modelreg.artifacts.load_dict(f"runs:/{run.info.run_id}/metric_info.json")


def test_the_evaluations_mlflow_logs_are_logged_by_the_same_names(client, mlflow_logged):
    logged = workflow(modelreg)

    assert set(logged) == set(mlflow_logged) == {"LogisticRegression", "LinearRegression"}
    for estimator, expected in mlflow_logged.items():
        metrics = {RENAMED.get(k, k): v for k, v in expected["metrics"].items()}
        assert logged[estimator]["metrics"] == pytest.approx(metrics)
        calls = {RENAMED.get(k, k): v for k, v in expected["metric_info"].items()}
        assert logged[estimator]["metric_info"] == calls
    # Each dataset a metric was measured on is an eval input, the unnamed one too (MLflow
    # records those its model predicted on).
    assert mlflow_logged["LogisticRegression"]["inputs"] == ["eval", "eval", "train"]
    assert logged["LogisticRegression"]["inputs"] == ["eval", "eval", "eval", "train"]


def test_the_logged_model_gets_the_metric_with_the_dataset_it_was_measured_on(autologged):
    model = LogisticRegression().fit(X, LABELS)
    predicted = model.predict(X_test)
    accuracy = sklearn.metrics.accuracy_score(y_test, predicted)

    run = only_run(autologged)
    assert run.data.metrics["accuracy_score_X_test"] == accuracy
    (logged,) = autologged.search_logged_models([run.info.experiment_id])
    (measured,) = [m for m in logged.metrics if m.metric.key == "accuracy_score_X_test"]
    (evaluated,) = [i for i in autologged.get_run_inputs(run.info.run_id) if i.context == "eval"]
    assert (measured.dataset_name, measured.dataset_digest) == ("X_test", evaluated.dataset.digest)
    assert measured.run_id == run.info.run_id


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_the_dataset_is_named_where_it_was_first_passed_on(autologged):
    model = LogisticRegression().fit(X, LABELS)

    def evaluate(fitted, rows, truth):
        return sklearn.metrics.accuracy_score(truth, fitted.predict(rows))

    evaluate(model, X_test, y_test)  # a global
    holdout = X[:10]
    evaluate(model, holdout, LABELS[:10])
    evaluate(model, holdout, LABELS[:10])  # the same data again
    holdout = X[10:20]  # other data under a name already used
    evaluate(model, holdout, LABELS[10:20])

    assert set(post_training(only_run(autologged))) == {
        "accuracy_score_X_test",
        "accuracy_score_holdout",
        "accuracy_score-2_holdout",
        "accuracy_score_holdout-2",
    }


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_copy_or_slice_of_a_prediction_logs_nothing(autologged):
    model = LogisticRegression().fit(X, LABELS)
    predicted = model.predict(X_test)

    sklearn.metrics.accuracy_score(y_test, predicted.copy())
    sklearn.metrics.accuracy_score(y_test[:5], predicted[:5])

    assert post_training(only_run(autologged)) == {}


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_model_fitted_before_autolog_or_without_it_logs_nothing(client):
    modelreg.set_experiment(EXPERIMENT)
    model = LogisticRegression().fit(X, LABELS)
    modelreg.sklearn.autolog(log_post_training_metrics=False)
    try:
        untracked = LogisticRegression().fit(X, LABELS)
        for fitted in (model, untracked):
            sklearn.metrics.accuracy_score(y_test, fitted.predict(X_test))
            fitted.score(X_test, y_test)
    finally:
        modelreg.sklearn.autolog(disable=True)

    run_id = only_run(client).info.run_id
    assert post_training(only_run(client)) == {}
    assert "metric_info.json" not in [a.path for a in client.list_artifacts(run_id)]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_evaluations_inside_a_fit_or_a_score_are_part_of_it(autologged):
    model = LogisticRegression().fit(X, LABELS)  # training metrics predict: not logged here
    model.score(X_test, y_test)  # predicts and calls accuracy_score inside

    assert set(post_training(only_run(autologged))) == {"LogisticRegression_score_X_test"}


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_an_evaluation_that_cannot_be_logged_warns_and_returns_its_value(autologged):
    model = LogisticRegression().fit(X, LABELS)
    run_id = only_run(autologged).info.run_id
    autologged.delete_run(run_id)

    with pytest.warns(ModelregWarning) as caught:
        score = model.score(X_test, y_test)

    assert any("could not log" in str(warning.message) for warning in caught)

    assert score == LogisticRegression().fit(X, LABELS).score(X_test, y_test)


def test_a_method_scikit_learn_makes_absent_stays_absent(autologged):
    without = make_pipeline(StandardScaler(), SVC()).fit(X, LABELS)
    with_probabilities = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, LABELS)

    assert not hasattr(without, "predict_proba")
    probabilities = with_probabilities.predict_proba(X_test)
    sklearn.metrics.log_loss(y_test, probabilities)
    experiment = autologged.get_experiment_by_name(EXPERIMENT).experiment_id
    runs = autologged.search_runs([experiment], order_by=["attributes.start_time ASC"])
    assert [set(post_training(run)) for run in runs] == [set(), {"log_loss_X_test"}]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_disabling_puts_every_method_and_metric_function_back(client):
    methods = ("predict", "predict_proba", "predict_log_proba", "transform", "score")
    before = [(cls, name, vars(cls).get(name)) for _, cls in all_estimators() for name in methods]
    functions = {name: getattr(sklearn.metrics, name) for name in sklearn.metrics.__all__}

    modelreg.autolog()
    assert sklearn.metrics.accuracy_score is not functions["accuracy_score"]
    assert inspect.signature(sklearn.metrics.accuracy_score) == inspect.signature(
        functions["accuracy_score"]
    )
    modelreg.autolog(disable=True)

    assert [(cls, name, vars(cls).get(name)) for cls, name, _ in before] == before
    assert {name: getattr(sklearn.metrics, name) for name in functions} == functions


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_xgboost_and_lightgbm_estimators_log_their_evaluations_too(autologged, library):
    model = boosting_classifier(library).fit(X, LABELS)

    sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    model.score(X_test, y_test)

    assert set(post_training(only_run(autologged))) == {
        "accuracy_score_X_test",
        f"{type(model).__name__}_score_X_test",
    }
