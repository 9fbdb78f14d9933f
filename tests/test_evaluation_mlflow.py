"""modelreg.evaluate scores what MLflow's mlflow.evaluate scores, by the same names.

``tests/mlflow_evaluate_cases.py`` fits models in MLflow's own environment and
evaluates them with MLflow 3; its answers (the test rows, the model's
predictions and class probabilities, MLflow's metrics) are kept with the
cached MLflow venv, keyed by the MLflow release and the script's code. Here
modelreg evaluates the same predictions and must report the same numbers.
"""

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlflow_source_fixtures
import modelreg
from evaluate_custom_metrics import custom_metrics

CASES = Path(__file__).with_name("mlflow_evaluate_cases.py")
CUSTOM = Path(__file__).with_name("evaluate_custom_metrics.py")
# MLflow logs the model's own score(X, y) too; the fixed predictions below have none.
ONLY_MLFLOW = {"score"}


@pytest.fixture(scope="module")
def mlflow_answers() -> dict:
    return mlflow_source_fixtures.cached_results("mlflow-evaluate", CASES, CUSTOM)


class FixedModel:
    """The model MLflow evaluated, as its answers: the same predictions and probabilities."""

    def __init__(self, case: dict) -> None:
        self.case = case
        if case["classes"] is not None:
            self.classes_ = np.array(case["classes"])
            self.predict_proba = lambda rows: np.array(case["probabilities"])

    def predict(self, rows):
        return np.array(self.case["predictions"])


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "case", ["binary", "multiclass", "multiclass_macro", "string_labels", "regressor", "prefixed"]
)
def test_modelreg_reports_mlflows_metrics_for_the_same_predictions(client, mlflow_answers, case):
    answer = mlflow_answers[case]
    frame = pd.DataFrame(answer["rows"], columns=["f0", "f1", "f2"])
    frame["target"] = answer["targets"]

    result = modelreg.evaluate(
        FixedModel(answer),
        frame,
        targets="target",
        model_type=answer["model_type"],
        evaluator_config=answer["config"],
        extra_metrics=custom_metrics(modelreg.make_metric, modelreg.MetricValue),
    )

    prefix = answer["config"].get("metric_prefix", "")
    theirs = {
        k: v for k, v in answer["metrics"].items() if k.removeprefix(prefix) not in ONLY_MLFLOW
    }
    assert result.metrics == pytest.approx(theirs, rel=1e-9)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", ["multiclass", "multiclass_macro"])
def test_modelreg_reports_mlflows_per_class_metrics(client, mlflow_answers, case):
    answer = mlflow_answers[case]
    frame = pd.DataFrame(answer["rows"], columns=["f0", "f1", "f2"])
    frame["target"] = answer["targets"]

    result = modelreg.evaluate(FixedModel(answer), frame, targets="target", model_type="classifier")

    table = modelreg.load_text(result.artifacts["per_class_metrics.csv"])
    ours = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(table))]
    assert ours == [
        pytest.approx({k: float(v) for k, v in row.items()}) for row in answer["per_class"]
    ]
