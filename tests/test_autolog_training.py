"""Autolog's metrics and plots of a scikit-learn estimator on its training data, as
MLflow's: weighted by the fit's sample_weight, log loss and ROC AUC for a classifier
with probabilities, pos_label, and the classifier's plots."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

import sys

import numpy as np
import pytest
from sklearn import metrics
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVC

import modelreg
from autolog_fixtures import EXPERIMENT, autologged, only_run  # noqa: F401

pytestmark = pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)

X = np.random.default_rng(1).random((80, 3))
BINARY = np.where(X[:, 0] + 0.4 * X[:, 1] > 0.7, "yes", "no")
THREE = np.digitize(X[:, 0], [0.33, 0.66])
WEIGHTS = np.linspace(0.1, 2.0, len(X))
PLOTS = {
    "training_confusion_matrix.png",
    "training_roc_curve.png",
    "training_precision_recall_curve.png",
}


def logged_files(client, run):
    return {f.path for f in client.list_artifacts(run.info.run_id)}


def test_a_fits_sample_weight_weighs_its_training_metrics(autologged):
    model = LogisticRegression().fit(X, BINARY, sample_weight=WEIGHTS)

    found = only_run(autologged).data.metrics
    predicted = model.predict(X)
    assert found["training_accuracy_score"] == pytest.approx(
        metrics.accuracy_score(BINARY, predicted, sample_weight=WEIGHTS)
    )
    assert found["training_accuracy_score"] != pytest.approx(
        metrics.accuracy_score(BINARY, predicted)
    )
    assert found["training_score"] == pytest.approx(model.score(X, BINARY, sample_weight=WEIGHTS))
    assert found["training_f1_score"] == pytest.approx(
        metrics.f1_score(BINARY, predicted, average="weighted", sample_weight=WEIGHTS)
    )


def test_a_classifier_with_probabilities_logs_log_loss_and_roc_auc(autologged):
    model = LogisticRegression().fit(X, THREE)

    found = only_run(autologged).data.metrics
    probabilities = model.predict_proba(X)
    assert found["training_log_loss"] == pytest.approx(metrics.log_loss(THREE, probabilities))
    assert found["training_roc_auc"] == pytest.approx(
        metrics.roc_auc_score(THREE, probabilities, average="weighted", multi_class="ovo")
    )


def test_a_classifier_without_probabilities_logs_neither(autologged):
    SVC().fit(X, BINARY)

    found = only_run(autologged).data.metrics
    assert "training_accuracy_score" in found
    assert not {"training_log_loss", "training_roc_auc"} & set(found)


def test_pos_label_takes_precision_recall_and_f1_of_that_class_alone(client):
    modelreg.set_experiment(EXPERIMENT)
    modelreg.sklearn.autolog(pos_label="no", log_models=False)
    try:
        model = LogisticRegression().fit(X, BINARY)
    finally:
        modelreg.sklearn.autolog(disable=True)

    found = only_run(client).data.metrics
    predicted = model.predict(X)
    for name, score in (("precision", metrics.precision_score), ("recall", metrics.recall_score)):
        assert found[f"training_{name}_score"] == pytest.approx(
            score(BINARY, predicted, pos_label="no")
        )


def test_a_binary_classifier_logs_its_confusion_matrix_roc_and_precision_recall_plots(
    autologged,
):
    LogisticRegression().fit(X, BINARY)

    run = only_run(autologged)
    assert PLOTS <= logged_files(autologged, run)
    for name in PLOTS:
        with open(autologged.download_artifacts(run.info.run_id, name), "rb") as image:
            assert image.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_multiclass_classifier_logs_its_confusion_matrix_alone(autologged):
    LogisticRegression().fit(X, THREE)

    assert logged_files(autologged, only_run(autologged)) & PLOTS == {
        "training_confusion_matrix.png"
    }


def test_a_regressor_logs_no_plot(autologged):
    LinearRegression().fit(X, X @ [1.0, 2.0, 3.0])

    assert logged_files(autologged, only_run(autologged)) & PLOTS == set()


def test_without_matplotlib_the_metrics_are_logged_and_no_plot(autologged, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed

    LogisticRegression().fit(X, BINARY)

    run = only_run(autologged)
    assert "training_roc_auc" in run.data.metrics
    assert logged_files(autologged, run) & PLOTS == set()


def test_past_twenty_classes_no_plot_is_drawn(autologged):
    many = np.arange(len(X)) % 21

    LogisticRegression(max_iter=50).fit(X, many)

    run = only_run(autologged)
    assert "training_accuracy_score" in run.data.metrics
    assert logged_files(autologged, run) & PLOTS == set()


def test_the_training_data_is_predicted_once_for_metrics_and_plots(autologged, monkeypatch):
    calls = []

    def counted(method):
        original = getattr(LogisticRegression, method)

        def call(self, x):
            if len(x) == len(X):  # the training data, not the signature's few rows
                calls.append(method)
            return original(self, x)

        return call

    for method in ("predict", "predict_proba"):
        monkeypatch.setattr(LogisticRegression, method, counted(method))

    LogisticRegression().fit(X, BINARY)

    # once for the metrics and the plots; score() predicts again on its own
    assert sorted(calls) == ["predict", "predict", "predict_proba"]
