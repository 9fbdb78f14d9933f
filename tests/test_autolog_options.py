"""MLflow's ``autolog`` arguments: input examples and signatures, the training data as an
input, ``exclusive``, ``silent``, ``extra_tags``, and per framework
``registered_model_name`` and XGBoost's ``importance_types``."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

import json
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from autolog_fixtures import EXPERIMENT, autologged, only_run  # noqa: F401
from modelreg.errors import InvalidArgument

X = np.random.default_rng(0).random((40, 3))
LABELS = (X[:, 0] > 0.5).astype(int)


@pytest.fixture
def experiment(client):
    modelreg.set_experiment(EXPERIMENT)
    yield client
    modelreg.autolog(disable=True)


def manifest(client, run_id):
    return json.loads(modelreg.load_text(f"runs:/{run_id}/model/modelreg.json"))


def test_by_default_the_model_has_a_signature_and_no_training_rows(autologged):
    LogisticRegression().fit(X, LABELS)

    saved = manifest(autologged, only_run(autologged).info.run_id)
    assert saved["signature"]["inputs"]["specs"][0]["shape"] == [-1, 3]
    assert saved["input_example"] is None


@pytest.mark.parametrize(
    ("options", "example", "signature"),
    [
        ({"log_input_examples": True}, True, True),
        ({"log_input_examples": True, "log_model_signatures": False}, True, False),
        ({"log_model_signatures": False}, False, False),
    ],
)
def test_examples_and_signatures_are_logged_as_asked(experiment, options, example, signature):
    modelreg.autolog(**options)
    LogisticRegression().fit(X, LABELS)

    saved = manifest(experiment, only_run(experiment).info.run_id)
    assert (saved["input_example"] is not None, saved["signature"] is not None) == (
        example,
        signature,
    )


@pytest.mark.parametrize("log_datasets", [True, False])
def test_the_training_data_is_an_input_of_the_run_unless_turned_off(experiment, log_datasets):
    modelreg.autolog(log_models=False, log_datasets=log_datasets)
    LogisticRegression().fit(X, LABELS)

    inputs = experiment.get_run_inputs(only_run(experiment).info.run_id)
    assert [i.context for i in inputs] == (["train"] if log_datasets else [])


def test_exclusive_leaves_the_callers_run_alone(experiment):
    modelreg.autolog(exclusive=True, log_models=False)
    with modelreg.start_run() as mine:
        LogisticRegression().fit(X, LABELS)
    LogisticRegression().fit(X, LABELS)

    runs = experiment.search_runs([only_experiment(experiment)])
    logged = [r for r in runs if r.info.run_id != mine.info.run_id]
    assert experiment.get_run(mine.info.run_id).data.params == {}
    assert len(logged) == 1 and "C" in logged[0].data.params


def only_experiment(client):
    return client.get_experiment_by_name(EXPERIMENT).experiment_id


def test_extra_tags_go_on_the_runs_autolog_starts(experiment):
    modelreg.autolog(log_models=False, extra_tags={"team": "fraud", "job": 7})
    LogisticRegression().fit(X, LABELS)

    tags = only_run(experiment).data.tags
    assert (tags["team"], tags["job"]) == ("fraud", "7")


def test_silent_says_nothing_when_logging_fails(experiment):
    modelreg.autolog(silent=True, log_models=False)
    with modelreg.start_run(), warnings.catch_warnings():
        warnings.simplefilter("error")
        # What the garbage collector says of sockets earlier tests left is not autolog's.
        warnings.simplefilter("ignore", ResourceWarning)
        LogisticRegression(C=1.0).fit(X, LABELS)
        model = LogisticRegression(C=3.0).fit(X, LABELS)  # param C is already 1.0

    assert model.coef_.shape == (1, 3)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_frameworks_autolog_registers_each_model_it_logs(experiment):
    modelreg.sklearn.autolog(registered_model_name="autologged")
    LogisticRegression().fit(X, LABELS)
    LogisticRegression(C=2.0).fit(X, LABELS)

    versions = experiment.search_model_versions("name = 'autologged'")
    assert sorted(v.version for v in versions) == [1, 2]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_xgboost_logs_the_importance_types_asked_for(experiment):
    import xgboost

    modelreg.xgboost.autolog(importance_types=["weight", "gain"], log_models=False)
    xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, label=LABELS), 3)

    files = {f.path for f in experiment.list_artifacts(only_run(experiment).info.run_id)}
    assert files == {"feature_importance_weight.json", "feature_importance_gain.json"}


def test_only_xgboost_takes_importance_types():
    with pytest.raises(InvalidArgument, match="only XGBoost's autolog takes them"):
        modelreg.lightgbm.autolog(importance_types=["weight"])
