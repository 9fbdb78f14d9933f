"""Custom metrics of ``modelreg.evaluate`` (MLflow's ``make_metric`` and
``extra_metrics``): logged with the standard ones on every backend, or refused,
naming the metric, before anything is logged. Their values are checked against
MLflow's own in ``test_evaluation_mlflow.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import modelreg
from modelreg.errors import InvalidArgument
from modelreg.models import make_metric
from modelreg.pyfunc import PythonModel

FRAME = pd.DataFrame({"f0": [0.0, 1.0, 2.0, 3.0], "label": [0, 1, 1, 0], "guess": [0, 1, 0, 0]})


def share_wrong(predictions, targets):
    return float(np.mean(predictions != targets))


def evaluate(*metrics, **options):
    return modelreg.evaluate(
        data=FRAME, predictions="guess", targets="label", model_type="classifier",
        extra_metrics=list(metrics), **options,
    )  # fmt: skip


class Threshold(PythonModel):
    """Predicts 1 where ``f0`` plus the ``shift`` param passes its config's ``cut``."""

    def load_context(self, context):
        self.cut = context.model_config["cut"]

    def predict(self, context, model_input, params=None):
        shift = (params or {}).get("shift", 0.0)
        return (model_input["f0"] + shift > self.cut).astype(int).tolist()


def test_a_custom_metric_is_logged_with_the_standard_ones(client):
    with modelreg.start_run() as run:
        result = evaluate(modelreg.make_metric(eval_fn=share_wrong, greater_is_better=False))

    logged = client.get_run(run.info.run_id).data.metrics
    assert result.metrics["share_wrong"] == logged["share_wrong"] == 0.25
    assert logged["accuracy_score"] == 0.75


def test_aggregates_are_logged_under_the_metrics_name_with_the_prefix(client):
    def spread(predictions):
        values = np.asarray(predictions, dtype=float)
        return modelreg.MetricValue(
            scores=values.tolist(), aggregate_results={"max": values.max(), "spread": 1.0}
        )

    with modelreg.start_run() as run:
        evaluate(
            make_metric(eval_fn=spread, greater_is_better=True),
            evaluator_config={"metric_prefix": "holdout_"},
        )

    logged = client.get_run(run.info.run_id).data.metrics
    # MLflow's names: the prefix on both parts; an aggregate named as its metric is the metric.
    assert (logged["holdout_spread/holdout_max"], logged["holdout_spread"]) == (1.0, 1.0)


def test_a_metric_gets_a_column_the_standard_metrics_and_an_earlier_metric_by_name(client):
    seen = {}

    def uses_everything(f0, metrics, share_wrong, scale=2.0):
        seen.update(f0=list(f0), accuracy=metrics["accuracy_score"].aggregate_results)
        return scale * share_wrong.aggregate_results["share_wrong"]

    result = evaluate(
        modelreg.make_metric(eval_fn=share_wrong, greater_is_better=False),
        modelreg.make_metric(eval_fn=uses_everything, greater_is_better=False),
    )

    assert result.metrics["uses_everything"] == 0.5
    assert seen == {"f0": [0.0, 1.0, 2.0, 3.0], "accuracy": {"accuracy_score": 0.75}}


@pytest.mark.parametrize(
    ("eval_fn", "message"),
    [
        (lambda weights: 1.0, "eval_fn's argument 'weights' is none of predictions, targets"),
        (lambda predictions: "high", "eval_fn returned a str; return a number or a MetricValue"),
        (
            lambda predictions: modelreg.MetricValue(aggregate_results={"m": "x"}),
            r"aggregate_results\['m'\] is 'x', not a number",
        ),
        (lambda predictions: True, "eval_fn returned a bool"),
    ],
)
def test_a_custom_metric_that_cannot_be_computed_is_refused_and_nothing_is_logged(
    client, eval_fn, message
):
    metric = modelreg.make_metric(eval_fn=eval_fn, greater_is_better=True, name="custom")

    with modelreg.start_run() as run:
        with pytest.raises(InvalidArgument, match=rf"extra_metrics\[0\] \(custom\): {message}"):
            evaluate(metric)

    assert client.get_run(run.info.run_id).data.metrics == {}


def test_what_the_metric_raises_goes_through_and_nothing_is_logged(client):
    def broken(predictions):
        raise ZeroDivisionError("by design")

    with modelreg.start_run() as run:
        with pytest.raises(ZeroDivisionError, match="by design"):
            evaluate(modelreg.make_metric(eval_fn=broken, greater_is_better=True))

    assert client.get_run(run.info.run_id).data.metrics == {}


def test_a_custom_metric_may_not_take_a_standard_metrics_name():
    metric = modelreg.make_metric(eval_fn=share_wrong, greater_is_better=False, name="f1_score")

    with pytest.raises(InvalidArgument, match="a metric of that name is computed already"):
        evaluate(metric)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"eval_fn": lambda predictions: 1.0}, "give name= for a lambda"),
        ({"eval_fn": "accuracy"}, "eval_fn must be a function"),
        ({"eval_fn": share_wrong, "name": "../up"}, "metric name"),
        ({"eval_fn": share_wrong, "greater_is_better": "yes"}, "greater_is_better must be"),
    ],
)
def test_make_metric_refuses_what_cannot_be_a_metric(options, message):
    with pytest.raises(InvalidArgument, match=message):
        modelreg.make_metric(**{"greater_is_better": True, **options})


def test_extra_metrics_must_be_made_by_make_metric():
    with pytest.raises(InvalidArgument, match=r"extra_metrics\[0\] is a function; use make_metric"):
        evaluate(share_wrong)


def test_feature_names_pick_a_dataframes_columns_and_name_an_arrays(client):
    seen = {}

    def sees(predictions, f0):
        seen["f0"] = list(f0)
        return 0.0

    data = FRAME.assign(unused=[9.0, 9.0, 9.0, 9.0])
    model = lambda features: (  # noqa: E731 - a model that says which columns it got
        seen.setdefault("columns", list(features.columns)) and [0, 1, 1, 0]
    )
    metric = [modelreg.make_metric(eval_fn=sees, greater_is_better=True)]
    modelreg.evaluate(
        model, data.drop(columns="guess"), targets="label", model_type="classifier",
        feature_names=["f0"], extra_metrics=metric,
    )  # fmt: skip
    array = np.array([[5.0, 6.0], [7.0, 8.0], [1.0, 2.0], [3.0, 4.0]])
    modelreg.evaluate(
        lambda features: [0, 1, 1, 0], array, targets=[0, 1, 1, 0], model_type="classifier",
        feature_names=["f0", "f1"], extra_metrics=metric,
    )  # fmt: skip

    assert seen == {"columns": ["f0"], "f0": [5.0, 7.0, 1.0, 3.0]}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"feature_names": ["nope"]}, "feature_names: data has no column 'nope'"),
        ({"evaluators": ["shap"]}, "evaluators: modelreg evaluates with the default evaluator"),
        ({"inference_params": {"k": 1}}, "inference_params and model_config: there is no model"),
    ],
)
def test_mlflows_evaluate_options_that_cannot_apply_are_refused(client, options, message):
    with pytest.raises(InvalidArgument, match=message):
        evaluate(**options)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_inference_params_model_config_and_dataset_path_reach_the_model_and_the_run(
    client, tmp_path
):
    modelreg.pyfunc.save_model(tmp_path / "m", python_model=Threshold(), model_config={"cut": 9.0})
    frame = FRAME.drop(columns="guess")

    result = modelreg.evaluate(
        str(tmp_path / "m"), frame, targets="label", model_type="classifier",
        model_config={"cut": 1.5}, inference_params={"shift": -1.0}, evaluators="default",
        dataset_path="s3://bucket/holdout.parquet",
    )  # fmt: skip

    assert result.metrics["accuracy_score"] == 0.25  # [0, 0, 0, 1]: both changed the model
    assert result.dataset.source == "s3://bucket/holdout.parquet"


def test_custom_artifacts_are_logged_as_files_of_the_run(client):
    from matplotlib.figure import Figure

    seen = {}

    def report(eval_df, builtin_metrics, artifacts_dir):
        seen["columns"] = list(eval_df.columns)
        seen["accuracy"] = builtin_metrics["accuracy_score"].aggregate_results
        (Path(artifacts_dir) / "notes.txt").write_text("by hand")
        figure = Figure()
        figure.subplots().plot([0, 1], [1, 0])
        return {
            "summary": {"rows": len(eval_df), "mean": np.float64(0.5)},
            "table": eval_df,
            "raw": np.arange(3),
            "plot": figure,
            "notes": str(Path(artifacts_dir) / "notes.txt"),
            "given": '{"k": 1}',
        }

    with modelreg.start_run() as run:
        result = evaluate(custom_artifacts=[report])

    files = {f.path for f in client.list_artifacts(run.info.run_id)}
    expected = {"summary.json", "table.csv", "raw.npy", "plot.png", "notes.txt", "given.json"}
    assert expected <= files and expected <= set(result.artifacts)
    assert seen == {"columns": ["prediction", "target"], "accuracy": {"accuracy_score": 0.75}}
    assert modelreg.load_dict(result.artifacts["summary.json"]) == {"rows": 4, "mean": 0.5}
    assert modelreg.load_text(result.artifacts["notes.txt"]) == "by hand"


@pytest.mark.parametrize(
    ("produced", "message"),
    [
        ({"odd": {1, 2}}, r"custom_artifacts\[0\] \(odd\): a set is none of a file, JSON"),
        ({"odd": "not json, not a path"}, "neither the path of a file nor JSON"),
        ({"../up": {}}, "artifact name '../up' is no file name"),
        (["not", "a", "dict"], "must return a dict of artifact names"),
    ],
)
def test_a_custom_artifact_that_cannot_be_written_is_refused_and_nothing_is_logged(
    client, produced, message
):
    with modelreg.start_run() as run:
        with pytest.raises(InvalidArgument, match=message):
            evaluate(custom_artifacts=[lambda eval_df, metrics, folder: produced])

    assert client.get_run(run.info.run_id).data.metrics == {}
    assert client.list_artifacts(run.info.run_id) == []
