"""modelreg.autolog() on XGBoost's and LightGBM's own training functions (``xgboost.train``,
``lightgbm.train``): params, each iteration's evaluation results by MLflow's names,
early stopping, feature importances and the Booster."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

import numpy as np
import pytest

import modelreg
from autolog_fixtures import autologged, only_run  # noqa: F401

X = np.random.default_rng(0).random((80, 3))
Y = 2.0 * X[:, 0] + X[:, 1]


def history(client, run_id, key):
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def test_xgboost_train_logs_params_iterations_importance_and_booster(autologged):
    import xgboost

    train, valid = xgboost.DMatrix(X[:60], label=Y[:60]), xgboost.DMatrix(X[60:], label=Y[60:])
    evals = [(train, "train"), (valid, "valid")]
    params = {"max_depth": 2, "eta": 0.3, "eval_metric": ["rmse", "mae"]}
    booster = xgboost.train(params, train, 4, evals=evals, verbose_eval=False)

    run = only_run(autologged)
    run_id = run.info.run_id
    assert run.data.params["max_depth"] == "2" and run.data.params["num_boost_round"] == "4"
    assert run.data.params["eval_metric"] == "['rmse', 'mae']"
    assert "dtrain" not in run.data.params and "evals" not in run.data.params
    assert [step for step, _ in history(autologged, run_id, "valid-rmse")] == [0, 1, 2, 3]
    assert set(run.data.metrics) == {"train-rmse", "train-mae", "valid-rmse", "valid-mae"}
    importance = modelreg.load_dict(f"runs:/{run_id}/feature_importance_weight.json")
    assert importance == booster.get_score(importance_type="weight")
    loaded = modelreg.load_model(f"runs:/{run_id}/model")
    expected = booster.inplace_predict(X)
    np.testing.assert_allclose(loaded.predict(X), expected)


def test_xgboost_early_stopping_logs_the_best_iteration_after_the_last(autologged):
    import xgboost

    # The validation labels are noise: it stops improving at once.
    noise = np.random.default_rng(1).random(20)
    train, valid = xgboost.DMatrix(X[:60], label=Y[:60]), xgboost.DMatrix(X[60:], label=noise)
    booster = xgboost.train(
        {"max_depth": 3, "eta": 1.0}, train, 200, evals=[(valid, "valid")],
        early_stopping_rounds=3, verbose_eval=False,
    )  # fmt: skip

    run_id = only_run(autologged).info.run_id
    last = booster.num_boosted_rounds()
    steps = history(autologged, run_id, "valid-rmse")
    assert last < 200
    assert history(autologged, run_id, "best_iteration") == [(0, booster.best_iteration)]
    assert history(autologged, run_id, "stopped_iteration") == [(0, last - 1)]
    assert steps[-1] == (last, steps[booster.best_iteration][1])


def test_lightgbm_train_logs_params_iterations_importance_and_booster(autologged):
    import lightgbm

    train = lightgbm.Dataset(X[:60], label=Y[:60])
    valid = lightgbm.Dataset(X[60:], label=Y[60:], reference=train)
    params = {"objective": "regression", "num_leaves": 4, "verbose": -1, "metric": "l2"}
    booster = lightgbm.train(params, train, num_boost_round=5, valid_sets=[train, valid])

    run = only_run(autologged)
    run_id = run.info.run_id
    assert run.data.params["num_leaves"] == "4" and run.data.params["num_boost_round"] == "5"
    assert set(run.data.metrics) == {"training-l2", "valid_1-l2"}
    assert [step for step, _ in history(autologged, run_id, "valid_1-l2")] == [0, 1, 2, 3, 4]
    gain = modelreg.load_dict(f"runs:/{run_id}/feature_importance_gain.json")
    split = modelreg.load_dict(f"runs:/{run_id}/feature_importance_split.json")
    assert list(split) == booster.feature_name() == list(gain)
    assert list(split.values()) == booster.feature_importance("split").tolist()
    loaded = modelreg.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), booster.predict(X))


def test_lightgbm_early_stopping_logs_the_best_iteration_after_the_last(autologged):
    import lightgbm

    noise = np.random.default_rng(1).random(20)
    train = lightgbm.Dataset(X[:60], label=Y[:60])
    valid = lightgbm.Dataset(X[60:], label=noise, reference=train)
    params = {"objective": "regression", "verbose": -1, "metric": "l2"}
    booster = lightgbm.train(
        params, train, 200, valid_sets=[valid], callbacks=[lightgbm.early_stopping(3, False)]
    )

    run_id = only_run(autologged).info.run_id
    steps = history(autologged, run_id, "valid_0-l2")
    best = booster.best_iteration  # LightGBM counts from 1
    assert history(autologged, run_id, "best_iteration") == [(0, best)]
    assert history(autologged, run_id, "stopped_iteration") == [(0, len(steps) - 1)]
    assert steps[-1] == (len(steps) - 1, steps[best - 1][1])


def test_metric_names_with_at_are_logged_as_mlflow_names_them(autologged):
    import xgboost

    ranks = np.arange(60) % 3
    train = xgboost.DMatrix(X[:60], label=ranks)
    train.set_group([20, 20, 20])
    params = {"objective": "rank:pairwise", "eval_metric": "ndcg@5"}
    xgboost.train(params, train, 2, evals=[(train, "train")], verbose_eval=False)

    assert set(only_run(autologged).data.metrics) == {"train-ndcg_at_5"}


def test_a_training_that_raises_fails_its_run_and_raises_as_before(autologged):
    import xgboost

    with pytest.raises(xgboost.core.XGBoostError):
        xgboost.train({"objective": "no-such-objective"}, xgboost.DMatrix(X, label=Y), 2)

    assert only_run(autologged).info.status == "FAILED"


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_once_disabled_native_training_logs_nothing(client):
    import lightgbm
    import xgboost

    modelreg.set_experiment("autolog")
    modelreg.autolog(log_models=False)
    modelreg.xgboost.autolog(disable=True)
    modelreg.lightgbm.autolog(disable=True)
    try:
        xgboost.train({}, xgboost.DMatrix(X, label=Y), 2)
        lightgbm.train({"verbose": -1}, lightgbm.Dataset(X, label=Y), 2)
    finally:
        modelreg.autolog(disable=True)

    experiment = client.get_experiment_by_name("autolog").experiment_id
    assert client.search_runs([experiment]) == []


def inputs_of(run):
    return [(i.context, i.dataset.name, i.dataset.num_rows) for i in run.inputs.dataset_inputs]


def test_xgboost_train_records_its_data_and_the_boosters_signature(autologged):
    import xgboost

    train, valid = xgboost.DMatrix(X[:60], label=Y[:60]), xgboost.DMatrix(X[60:], label=Y[60:])
    evals = [(train, "train"), (valid, "valid")]
    xgboost.train({"max_depth": 2}, train, 2, evals=evals, verbose_eval=False)

    run = only_run(autologged)
    assert inputs_of(run) == [("train", "dataset", 60), ("eval", "valid", 20)]
    info = modelreg.models.get_model_info(f"runs:/{run.info.run_id}/model")
    assert [spec.shape for spec in info.signature.inputs.specs] == [(-1, 3)]


def test_lightgbm_train_records_its_data_and_the_boosters_signature(autologged):
    import lightgbm

    train = lightgbm.Dataset(X[:60], label=Y[:60])
    valid = lightgbm.Dataset(X[60:], label=Y[60:], reference=train)
    params = {"objective": "regression", "num_leaves": 4, "verbose": -1}
    lightgbm.train(params, train, num_boost_round=2, valid_sets=[train, valid])

    run = only_run(autologged)
    assert inputs_of(run) == [("train", "dataset", 60), ("eval", "valid_1", 20)]
    info = modelreg.models.get_model_info(f"runs:/{run.info.run_id}/model")
    assert [spec.shape for spec in info.signature.inputs.specs] == [(-1, 3)]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_native_training_data_is_left_out_when_asked(client):
    import xgboost

    modelreg.set_experiment("autolog")
    modelreg.xgboost.autolog(log_datasets=False)
    try:
        xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, label=Y), 2)
    finally:
        modelreg.xgboost.autolog(disable=True)

    assert only_run(client).inputs.dataset_inputs == []
