"""Autologging a scikit-learn hyperparameter search: its run keeps the search's settings,
the best candidate's, best_cv_score, cv_results.csv and the best estimator; its
max_tuning_runs best candidates become child runs, as MLflow's autolog does."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

import csv

import numpy as np
import pytest
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 (before autolog)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV
from sklearn.tree import DecisionTreeClassifier

import modelreg
from autolog_fixtures import EXPERIMENT, autologged  # noqa: F401
from modelreg.errors import InvalidArgument

X = np.random.default_rng(0).random((60, 3))
LABELS = (X[:, 0] + 0.3 * X[:, 1] > 0.6).astype(int)
GRID = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}  # 8 candidates
PARENT = "modelreg.parentRunId"


def runs(client):
    """The search's run and its child runs."""
    found = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id])
    (parent,) = [run for run in found if PARENT not in run.data.tags]
    return parent, [run for run in found if PARENT in run.data.tags]


def children_ranks(children):
    return sorted(int(run.data.metrics["rank_test_score"]) for run in children)


def test_a_search_logs_its_settings_results_best_estimator_and_best_candidates(autologged):
    search = GridSearchCV(LogisticRegression(max_iter=200), GRID, cv=3).fit(X, LABELS)

    parent, children = runs(autologged)
    params = parent.data.params
    assert (params["cv"], params["best_C"]) == ("3", str(search.best_params_["C"]))
    assert "estimator__C" not in params  # the candidates' starting value is not a setting
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.tags["estimator_name"] == "GridSearchCV"
    table = autologged.download_artifacts(parent.info.run_id, "cv_results.csv")
    with open(table, newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 8 and rows[0]["param_C"] == "0.01"
    best = modelreg.load_model(f"runs:/{parent.info.run_id}/best_estimator")
    assert (best.predict(X) == search.best_estimator_.predict(X)).all()

    assert children_ranks(children) == sorted(search.cv_results_["rank_test_score"])[:5]
    for child in children:
        assert child.data.tags[PARENT] == parent.info.run_id
        assert child.data.tags["estimator_name"] == "LogisticRegression"
        assert child.info.status == "FINISHED"
        assert child.data.params["max_iter"] == "200"
        row = search.cv_results_["params"].index(
            {
                "C": float(child.data.params["C"]),
                "fit_intercept": child.data.params["fit_intercept"] == "True",
            }
        )
        assert child.data.metrics["mean_test_score"] == pytest.approx(
            search.cv_results_["mean_test_score"][row]
        )
        assert not any(name.startswith(("split", "param")) for name in child.data.metrics)
        inputs = autologged.get_run_inputs(child.info.run_id)
        assert [i.context for i in inputs] == ["train"]
        assert inputs[0].dataset == autologged.get_run_inputs(parent.info.run_id)[0].dataset


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("limit", "logged"), [(None, 8), (0, 0), (2, 2)])
def test_max_tuning_runs_is_how_many_best_candidates_get_a_run(client, limit, logged):
    modelreg.set_experiment(EXPERIMENT)
    modelreg.sklearn.autolog(max_tuning_runs=limit, log_models=False)
    try:
        search = GridSearchCV(LogisticRegression(), GRID, cv=3).fit(X, LABELS)
    finally:
        modelreg.sklearn.autolog(disable=True)

    _, children = runs(client)
    assert children_ranks(children) == sorted(search.cv_results_["rank_test_score"])[:logged]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_with_several_scorers_the_candidates_are_ranked_by_the_refit_one(autologged):
    search = GridSearchCV(
        DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3, 4, 5, 6, 7]},
        scoring=["accuracy", "f1_macro"], refit="f1_macro", cv=3,
    ).fit(X, LABELS)  # fmt: skip

    _, children = runs(autologged)
    ranks = sorted(int(run.data.metrics["rank_test_f1_macro"]) for run in children)
    assert ranks == sorted(search.cv_results_["rank_test_f1_macro"])[:5]
    assert {"mean_test_accuracy", "std_test_f1_macro"} <= set(children[0].data.metrics)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_search_that_does_not_refit_logs_its_candidates_and_no_best_estimator(autologged):
    GridSearchCV(LogisticRegression(), GRID, cv=3, refit=False).fit(X, LABELS)

    parent, children = runs(autologged)
    assert len(children) == 5
    logged = {f.path for f in autologged.list_artifacts(parent.info.run_id)}
    assert "best_estimator" not in logged and "cv_results.csv" in logged


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_randomized_and_halving_searches_are_logged_as_searches(autologged):
    RandomizedSearchCV(LogisticRegression(), GRID, n_iter=3, cv=3, random_state=0).fit(X, LABELS)
    parent, children = runs(autologged)
    assert (parent.data.tags["estimator_name"], len(children)) == ("RandomizedSearchCV", 3)
    autologged.delete_run(parent.info.run_id)
    for child in children:
        autologged.delete_run(child.info.run_id)

    HalvingGridSearchCV(LogisticRegression(), GRID, cv=3, random_state=0).fit(X, LABELS)
    parent, children = runs(autologged)
    assert parent.data.tags["estimator_name"] == "HalvingGridSearchCV"
    assert "best_C" in parent.data.params and len(children) == 5


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_cv_results_leave_a_parameter_a_candidate_does_not_set_empty(autologged):
    grids = [{"C": [0.5]}, {"fit_intercept": [False]}]
    GridSearchCV(LogisticRegression(), grids, cv=3).fit(X, LABELS)

    parent, _ = runs(autologged)
    table = autologged.download_artifacts(parent.info.run_id, "cv_results.csv")
    with open(table, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["param_C"], r["param_fit_intercept"]) for r in rows] == [("0.5", ""), ("", "False")]
    assert rows[0]["params"] == "{'C': 0.5}"


@pytest.mark.parametrize("limit", [-1, True, 2.5, "5"])
def test_a_wrong_max_tuning_runs_is_refused_by_name(limit):
    with pytest.raises(InvalidArgument, match="^max_tuning_runs: must be a whole number"):
        modelreg.sklearn.autolog(max_tuning_runs=limit)
