"""modelreg.autolog(): every scikit-learn fit logs its params, training metrics and model."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import modelreg
from autolog_fixtures import autologged, boosting_classifier, only_run  # noqa: F401
from modelreg.errors import InvalidArgument, ModelregWarning

X = np.random.default_rng(0).random((40, 3))
LABELS = (X[:, 0] > 0.5).astype(int)
ORIGINAL = "__modelreg_original_fit__"


def test_a_fit_outside_a_run_gets_a_run_with_params_metrics_tags_and_model(autologged):
    model = LogisticRegression(C=0.5).fit(X, LABELS)

    run = only_run(autologged)
    assert run.info.status == "FINISHED"
    assert run.data.params["C"] == "0.5"
    assert run.data.metrics["training_accuracy_score"] == model.score(X, LABELS)
    assert {"training_f1_score", "training_precision_score", "training_recall_score"} <= set(
        run.data.metrics
    )
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    loaded = modelreg.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(X) == model.predict(X)).all()


def test_a_regressor_logs_regression_metrics(autologged):
    LinearRegression().fit(X, X @ [1.0, 2.0, 3.0])

    metrics = only_run(autologged).data.metrics
    assert metrics["training_r2_score"] == pytest.approx(1.0)
    assert metrics["training_mean_squared_error"] == pytest.approx(0.0, abs=1e-12)


def test_a_pipeline_logs_once_with_the_params_of_its_steps(autologged):
    make_pipeline(StandardScaler(), LogisticRegression(C=2.0)).fit(X, LABELS)

    run = only_run(autologged)
    assert run.data.params["logisticregression__C"] == "2.0"
    assert run.data.tags["estimator_name"] == "Pipeline"


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "estimator",
    [RandomForestClassifier(n_estimators=3, random_state=0), SVC(), SGDClassifier()],
    ids=lambda e: type(e).__name__,
)
def test_an_estimator_whose_fit_comes_from_a_base_class_logs_too(autologged, estimator):
    estimator.fit(X, LABELS)

    run = only_run(autologged)
    assert run.data.tags["estimator_name"] == type(estimator).__name__
    assert "training_accuracy_score" in run.data.metrics


def test_every_scikit_learn_estimator_is_logged_and_put_back_as_it_was():
    from sklearn.utils import all_estimators

    classes = [cls for _, cls in all_estimators() if hasattr(cls, "fit")]
    own = {cls for cls in classes if "fit" in vars(cls)}
    originals = {cls: cls.fit for cls in classes}

    modelreg.sklearn.autolog()
    try:
        unlogged = [cls.__name__ for cls in classes if not hasattr(cls.fit, ORIGINAL)]
    finally:
        modelreg.sklearn.autolog(disable=True)

    assert unlogged == []
    assert {cls for cls in classes if "fit" in vars(cls)} == own
    assert [cls.__name__ for cls in classes if cls.fit is not originals[cls]] == []


def test_a_fit_inside_a_run_logs_into_it_and_leaves_it_running(autologged):
    with modelreg.start_run() as run:
        LogisticRegression().fit(X, LABELS)
        assert autologged.get_run(run.info.run_id).info.status == "RUNNING"

    assert "training_score" in autologged.get_run(run.info.run_id).data.metrics


def test_a_fit_that_raises_fails_its_run_and_raises_as_before(autologged):
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, np.zeros(len(X)))  # one class only

    assert only_run(autologged).info.status == "FAILED"


def test_a_fit_that_cannot_be_logged_still_returns_the_fitted_model(autologged):
    with modelreg.start_run():
        LogisticRegression(C=1.0).fit(X, LABELS)
        with pytest.warns(ModelregWarning, match="autolog"):
            model = LogisticRegression(C=3.0).fit(X, LABELS)  # param C is already 1.0

    assert model.coef_.shape == (1, 3)


def test_without_models_and_once_disabled_less_is_logged(autologged):
    modelreg.autolog(log_models=False)
    LogisticRegression().fit(X, LABELS)
    run = only_run(autologged)
    assert "model" not in {f.path for f in autologged.list_artifacts(run.info.run_id)}

    modelreg.autolog(disable=True)
    LogisticRegression().fit(X, LABELS)
    assert only_run(autologged).info.run_id == run.info.run_id
    assert not hasattr(LogisticRegression.fit, "__modelreg_original_fit__")


def test_a_store_that_cannot_be_reached_leaves_the_fit_alone(autologged, tmp_path):
    modelreg.set_tracking_uri(f"sqlite:///{tmp_path / 'not-a-folder.txt'}/store.db")
    (tmp_path / "not-a-folder.txt").write_text("a file, so no store can be made under it")

    with pytest.warns(ModelregWarning, match="autolog"):
        model = LogisticRegression().fit(X, LABELS)

    assert model.coef_.shape == (1, 3)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_xgboost_and_lightgbm_estimators_log_as_scikit_learn_ones(autologged, library):
    model = boosting_classifier(library).fit(X, LABELS)

    run = only_run(autologged)
    assert run.data.params["n_estimators"] == "5"
    assert run.data.metrics["training_accuracy_score"] == model.score(X, LABELS)
    loaded = modelreg.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(X) == model.predict(X)).all()


# ---- one framework at a time, as mlflow.sklearn.autolog() and the like


@pytest.fixture
def experiment(client):
    modelreg.set_experiment("autolog")
    yield client
    modelreg.autolog(disable=True)


def runs_of(client):
    experiment = client.get_experiment_by_name("autolog").experiment_id
    return [run.data.tags["estimator_name"] for run in client.search_runs([experiment])]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("framework", "logged"), [("sklearn", "LogisticRegression"), ("xgboost", "XGBClassifier")]
)
def test_a_frameworks_own_autolog_logs_that_framework_alone(experiment, framework, logged):
    from xgboost import XGBClassifier

    getattr(modelreg, framework).autolog(log_models=False)
    LogisticRegression().fit(X, LABELS)
    XGBClassifier(n_estimators=2).fit(X, LABELS)

    assert runs_of(experiment) == [logged]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_excluded_frameworks_are_left_alone(experiment):
    from xgboost import XGBClassifier

    modelreg.autolog(log_models=False, exclude_flavors=["xgboost"])
    XGBClassifier(n_estimators=2).fit(X, LABELS)
    LogisticRegression().fit(X, LABELS)

    assert runs_of(experiment) == ["LogisticRegression"]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_turning_one_framework_off_keeps_the_others_on(experiment):
    from xgboost import XGBClassifier

    modelreg.autolog(log_models=False)
    modelreg.sklearn.autolog(disable=True)
    LogisticRegression().fit(X, LABELS)
    XGBClassifier(n_estimators=2).fit(X, LABELS)

    assert runs_of(experiment) == ["XGBClassifier"]


def test_an_unknown_framework_is_named():
    with pytest.raises(InvalidArgument, match="unknown framework 'tensorflow'; known: sklearn"):
        modelreg.autolog(exclude_flavors=["tensorflow"])


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_fit_on_a_sparse_matrix_logs_its_model_metrics_and_dataset(autologged):
    from scipy.sparse import csr_matrix

    LogisticRegression().fit(csr_matrix(X), LABELS)  # warnings are errors here: none is raised

    run = only_run(autologged)
    assert "training_roc_auc" in run.data.metrics
    assert "model" in {f.path for f in autologged.list_artifacts(run.info.run_id)}
    (train,) = autologged.get_run_inputs(run.info.run_id)
    assert (train.context, train.dataset.schema["type"], train.dataset.num_rows) == (
        "train",
        "sparse",
        len(X),
    )


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_training_data_that_cannot_be_recorded_leaves_the_rest_logged(autologged, monkeypatch):
    def refuse(*args, **kwargs):
        raise InvalidArgument("cannot describe this")

    monkeypatch.setattr("modelreg.client.governance.dataset", refuse)

    with pytest.warns(ModelregWarning, match="training data is not recorded.*cannot describe"):
        LogisticRegression().fit(X, LABELS)

    run = only_run(autologged)
    assert "model" in {f.path for f in autologged.list_artifacts(run.info.run_id)}
