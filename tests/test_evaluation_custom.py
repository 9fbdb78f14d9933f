"""Custom metrics of ``modelreg.evaluate`` (MLflow's ``make_metric`` and
``extra_metrics``): logged with the standard ones on every backend, or refused,
naming the metric, before anything is logged. Their values are checked against
MLflow's own in ``test_evaluation_mlflow.py``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import modelreg
from modelreg.errors import InvalidArgument
from modelreg.models import make_metric

FRAME = pd.DataFrame({"f0": [0.0, 1.0, 2.0, 3.0], "label": [0, 1, 1, 0], "guess": [0, 1, 0, 0]})


def share_wrong(predictions, targets):
    return float(np.mean(predictions != targets))


def evaluate(*metrics, **options):
    return modelreg.evaluate(
        data=FRAME, predictions="guess", targets="label", model_type="classifier",
        extra_metrics=list(metrics), **options,
    )  # fmt: skip


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
