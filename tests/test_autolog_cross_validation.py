"""Cross-validation under autolog: scikit-learn's helpers fit a fresh copy of the
estimator on every fold to evaluate it; those fits are no training a run should keep,
so they log nothing, however the helper was imported (MLflow's autolog logs a run per
fold when the helper was imported before autolog was turned on)."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

import numpy as np
import pytest
import sklearn.model_selection
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (  # imported before autolog is on, as scripts do
    cross_val_predict,
    cross_val_score,
    cross_validate,
    learning_curve,
    permutation_test_score,
    validation_curve,
)

import modelreg
from autolog_fixtures import EXPERIMENT, autologged, only_run  # noqa: F401

X = np.random.default_rng(0).random((60, 3))
LABELS = (X[:, 0] > 0.5).astype(int)
MODEL = LogisticRegression(max_iter=200)
HELPERS = {
    "cross_val_score": lambda: cross_val_score(MODEL, X, LABELS, cv=3),
    "cross_validate": lambda: cross_validate(MODEL, X, LABELS, cv=3),
    "cross_val_predict": lambda: cross_val_predict(MODEL, X, LABELS, cv=3),
    "learning_curve": lambda: learning_curve(MODEL, X, LABELS, cv=3, train_sizes=[0.5, 1.0]),
    "validation_curve": lambda: validation_curve(
        MODEL, X, LABELS, param_name="C", param_range=[0.1, 1.0], cv=3
    ),
    "permutation_test_score": lambda: permutation_test_score(
        MODEL, X, LABELS, cv=3, n_permutations=2
    ),
}


def runs(client):
    return client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id])


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize("helper", list(HELPERS))
def test_a_cross_validation_helper_logs_no_run_per_fold(autologged, helper):
    HELPERS[helper]()

    assert runs(autologged) == []
    MODEL.fit(X, LABELS)  # a training of its own still logs
    assert only_run(autologged).data.tags["estimator_name"] == "LogisticRegression"


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_helper_called_through_its_module_logs_no_run_either(autologged):
    sklearn.model_selection.cross_val_score(MODEL, X, LABELS, cv=3)

    assert runs(autologged) == []


def test_cross_validation_inside_a_run_leaves_the_run_as_it_was(autologged):
    with modelreg.start_run() as run:
        scores = cross_val_score(MODEL, X, LABELS, cv=3)
        modelreg.log_metric("cv_accuracy", float(scores.mean()))

    logged = autologged.get_run(run.info.run_id)
    assert logged.data.params == {}
    assert set(logged.data.metrics) == {"cv_accuracy"}
    assert autologged.list_artifacts(run.info.run_id) == []
