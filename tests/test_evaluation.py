"""modelreg.evaluate: a model's standard metrics on a dataset, logged to a run (MLflow's
``mlflow.evaluate`` for classifiers and regressors), through every backend."""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from sklearn.linear_model import LinearRegression, LogisticRegression

import modelreg
from modelreg.errors import InvalidArgument

BINARY = {
    "example_count", "accuracy_score", "precision_score", "recall_score", "f1_score",
    "true_negatives", "false_positives", "false_negatives", "true_positives",
    "log_loss", "roc_auc", "precision_recall_auc", "score",
}  # fmt: skip


@pytest.fixture
def holdout():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["label"] = (X[:, 0] + 0.7 * rng.normal(size=120) > 0).astype(int)
    return frame


@pytest.fixture
def classifier(holdout):
    return LogisticRegression().fit(holdout[["a", "b", "c"]], holdout["label"])


def test_a_classifiers_metrics_are_logged_on_the_active_run_at_step_0(client, holdout, classifier):
    with modelreg.start_run() as run:
        result = modelreg.evaluate(classifier, holdout, targets="label", model_type="classifier")

    logged = client.get_run(run.info.run_id).data.metrics
    assert set(result.metrics) == BINARY
    assert logged == pytest.approx(result.metrics)
    predicted = classifier.predict(holdout[["a", "b", "c"]])
    assert result.metrics["f1_score"] == pytest.approx(sk.f1_score(holdout["label"], predicted))
    assert result.metrics["score"] == classifier.score(holdout[["a", "b", "c"]], holdout["label"])
    history = client.get_metric_history(run.info.run_id, "accuracy_score")
    assert [m.step for m in history] == [0]


def test_the_data_becomes_an_evaluation_input_of_the_run(client, holdout, classifier):
    with modelreg.start_run() as run:
        result = modelreg.evaluate(
            classifier, holdout, targets="label", model_type="classifier", dataset_name="holdout"
        )

    (used,) = client.get_run_inputs(run.info.run_id)
    assert (used.dataset.name, used.dataset.digest) == ("holdout", result.dataset.digest)
    assert used.context == "evaluation"


def test_the_confusion_matrix_is_logged_with_its_labels(client, holdout, classifier):
    with modelreg.start_run():
        result = modelreg.evaluate(classifier, holdout, targets="label", model_type="classifier")

    (uri,) = result.artifacts.values()
    matrix = json.loads(modelreg.load_text(uri))
    assert matrix["labels"] == [0, 1]
    (tn, fp), (fn, tp) = matrix["matrix"]
    assert [tn, fp, fn, tp] == [
        result.metrics[k]
        for k in ("true_negatives", "false_positives", "false_negatives", "true_positives")
    ]


def test_evaluating_a_logged_model_by_its_uri_measures_that_model(client, holdout, classifier):
    with modelreg.start_run():
        logged = modelreg.sklearn.log_model(classifier, name="model")
    with modelreg.start_run():
        modelreg.evaluate(
            f"models:/{logged.model_id}", holdout, targets="label", model_type="classifier"
        )

    measured = {m.metric.key: m for m in client.get_logged_model(logged.model_id).metrics}
    assert measured["accuracy_score"].metric.value == pytest.approx(
        classifier.score(holdout[["a", "b", "c"]], holdout["label"])
    )
    assert measured["accuracy_score"].dataset_name == "dataset"


def test_without_an_active_run_the_evaluation_has_a_finished_run_of_its_own(client, holdout):
    model = LinearRegression().fit(holdout[["a", "b"]], holdout["c"])

    result = modelreg.evaluate(model, holdout[["a", "b", "c"]], targets="c", model_type="regressor")

    assert modelreg.active_run() is None
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["r2_score"] == pytest.approx(result.metrics["r2_score"])


def test_a_regressors_metrics_on_arrays(client):
    X = np.arange(20, dtype=float).reshape(10, 2)
    truth = X[:, 0] + 1.0

    result = modelreg.evaluate(lambda rows: rows[:, 0] + 1.5, X, targets=truth,
                               model_type="regressor")  # fmt: skip

    assert result.metrics["mean_absolute_error"] == pytest.approx(0.5)
    assert result.metrics["root_mean_squared_error"] == pytest.approx(0.5)
    assert result.metrics["max_error"] == pytest.approx(0.5)
    assert result.metrics["mean_on_target"] == pytest.approx(truth.mean())
    assert result.artifacts == {}


def test_predictions_already_in_the_data_are_scored_without_a_model(client, holdout):
    holdout["guess"] = 1

    with modelreg.start_run():
        result = modelreg.evaluate(
            data=holdout, targets="label", predictions="guess", model_type="classifier"
        )

    assert result.metrics["recall_score"] == 1.0
    assert result.metrics["accuracy_score"] == pytest.approx(holdout["label"].mean())
    assert "log_loss" not in result.metrics  # no probabilities without a model


def test_a_metric_prefix_names_the_metrics_and_the_artifact(client, holdout, classifier):
    with modelreg.start_run():
        result = modelreg.evaluate(
            classifier, holdout, targets="label", model_type="classifier",
            evaluator_config={"metric_prefix": "holdout_"},
        )  # fmt: skip

    assert all(key.startswith("holdout_") for key in result.metrics)
    assert list(result.artifacts) == ["holdout_confusion_matrix.json"]


# ---- what is scored, and how, does not depend on the store

sqlite_only = pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)


@pytest.fixture
def three_classes():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 2))
    return X, np.digitize(X[:, 0] + 0.4 * rng.normal(size=150), [-0.5, 0.5])


@sqlite_only
@pytest.mark.parametrize("average", ["weighted", "macro"])
def test_several_classes_are_averaged_as_configured(client, three_classes, average):
    X, y = three_classes
    model = LogisticRegression().fit(X, y)

    result = modelreg.evaluate(model, X, targets=y, model_type="classifier",
                               evaluator_config={"average": average})  # fmt: skip

    predicted = model.predict(X)
    assert result.metrics["f1_score"] == pytest.approx(sk.f1_score(y, predicted, average=average))
    assert result.metrics["roc_auc"] == pytest.approx(
        sk.roc_auc_score(y, model.predict_proba(X), multi_class="ovr", average=average)
    )
    assert "true_positives" not in result.metrics


@sqlite_only
def test_string_labels_are_scored_for_the_positive_label_given(client, holdout, classifier):
    words = holdout.assign(label=np.where(holdout["label"] == 1, "fraud", "ok"))
    model = LogisticRegression().fit(words[["a", "b", "c"]], words["label"])

    result = modelreg.evaluate(model, words, targets="label", model_type="classifier",
                               evaluator_config={"pos_label": "ok"})  # fmt: skip

    predicted = model.predict(words[["a", "b", "c"]])
    assert result.metrics["precision_score"] == pytest.approx(
        sk.precision_score(words["label"], predicted, pos_label="ok")
    )


@pytest.fixture
def without_class_0(client, three_classes):
    """The evaluation of a three-class model on data that holds no example of class 0."""
    X, y = three_classes
    model = LogisticRegression().fit(X, y)
    shown = y != 0
    return modelreg.evaluate(model, X[shown], targets=y[shown], model_type="classifier")


@sqlite_only
def test_a_class_the_data_does_not_show_still_gets_its_row_and_column(without_class_0):
    matrix = json.loads(modelreg.load_text(without_class_0.artifacts["confusion_matrix.json"]))

    assert matrix["labels"] == [0, 1, 2] and len(matrix["matrix"]) == 3
    assert matrix["matrix"][0] == [0, 0, 0]
    assert "log_loss" in without_class_0.metrics and "roc_auc" not in without_class_0.metrics


@sqlite_only
def test_a_class_absent_from_the_data_has_no_aucs_in_the_per_class_table(without_class_0):
    table = modelreg.load_text(without_class_0.artifacts["per_class_metrics.csv"])

    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["positive_class"] for r in rows] == ["0", "1", "2"]
    assert (rows[0]["roc_auc"], rows[0]["true_positives"]) == ("", "0")
    assert float(rows[1]["roc_auc"]) > 0.5


@sqlite_only
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_type": "ranker"}, "model_type must be classifier or regressor"),
        ({"targets": "labels"}, "data has no column 'labels'; its columns: a, b, c, label"),
        ({"predictions": "label"}, "give a model, or predictions"),
        ({"evaluator_config": {"threshold": 0.5}}, "unknown key 'threshold'"),
        ({"evaluator_config": {"average": "mean"}}, "average must be weighted, macro or micro"),
        ({"evaluator_config": {"pos_label": 1, "metric_prefix": 3}}, "metric_prefix"),
        ({"targets": [0, 1]}, "targets has 2 values but data has 120 rows"),
    ],
)
def test_bad_arguments_are_refused_naming_them_and_nothing_is_logged(
    client, holdout, classifier, kwargs, message
):
    arguments = {"targets": "label", "model_type": "classifier", **kwargs}

    with modelreg.start_run() as run, pytest.raises(InvalidArgument, match=message):
        modelreg.evaluate(classifier, holdout, **arguments)

    assert client.get_run(run.info.run_id).data.metrics == {}


@sqlite_only
@pytest.mark.parametrize(
    ("column", "value", "what"),
    [
        ("label", np.nan, "targets"),
        ("label", None, "targets"),
        ("label", pd.NA, "targets"),
        ("guess", np.nan, "predictions"),
    ],
)
def test_missing_targets_or_predictions_are_refused_naming_the_first_row(
    client, holdout, column, value, what
):
    kind = float if value is np.nan else object
    holdout["guess"] = holdout["label"].astype(kind)
    holdout[column] = holdout[column].astype(kind)
    holdout.loc[7, column] = value

    with pytest.raises(InvalidArgument, match=f"{what} hold 1 missing values.*first in row 7"):
        modelreg.evaluate(data=holdout, targets="label", predictions="guess",
                          model_type="classifier")  # fmt: skip


@sqlite_only
@pytest.mark.parametrize(
    ("model_type", "targets", "predicted", "message"),
    [
        ("regressor", ["cat", "dog"], [1.0, 2.0], "cannot score these regressor predictions"),
        ("classifier", [0.37, 0.5], [0.1, 0.2], "cannot score these classifier predictions"),
    ],
)
def test_targets_of_the_wrong_kind_for_the_model_type_are_refused(
    client, model_type, targets, predicted, message
):
    with pytest.raises(InvalidArgument, match=message):
        modelreg.evaluate(lambda rows: predicted, [[0], [1]], targets=targets,
                          model_type=model_type)  # fmt: skip


@sqlite_only
def test_a_model_predicting_several_values_per_example_is_refused(client, holdout):
    def logits(rows):
        return np.zeros((len(rows), 2))

    with pytest.raises(InvalidArgument, match=r"predictions must hold one value per example"):
        modelreg.evaluate(logits, holdout, targets="label", model_type="classifier")


@sqlite_only
def test_empty_data_is_refused(client, classifier):
    empty = pd.DataFrame({"a": [], "b": [], "c": [], "label": []})

    with pytest.raises(InvalidArgument, match="data has no rows"):
        modelreg.evaluate(classifier, empty, targets="label", model_type="classifier")
