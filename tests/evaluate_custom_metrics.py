"""Custom metrics that both MLflow's ``mlflow.evaluate`` (in its own interpreter, from
``mlflow_evaluate_cases.py``) and ``modelreg.evaluate`` compute: one of each kind of
argument and result. Uses numpy alone, so either environment imports it."""

import numpy as np


def custom_metrics(make_metric, metric_value):
    """The metrics, made with the given ``make_metric`` and ``MetricValue``."""

    def share_wrong(predictions, targets):  # a number
        return float(np.mean(np.asarray(predictions) != np.asarray(targets)))

    def wrong_rows(predictions, targets):  # aggregates, and per-row scores
        wrong = (np.asarray(predictions) != np.asarray(targets)).astype(float)
        return metric_value(
            scores=wrong.tolist(),
            aggregate_results={"mean": float(wrong.mean()), "total": float(wrong.sum())},
        )

    def twice_the_count(metrics):  # a standard metric's value
        count = metrics["example_count"].aggregate_results["example_count"]
        return metric_value(aggregate_results={"twice_the_count": 2.0 * count})

    def f0_mean(f0):  # a column of the data
        return float(np.mean(np.asarray(f0)))

    def share_right(share_wrong):  # an earlier custom metric, by its name
        return 1.0 - share_wrong.aggregate_results["share_wrong"]

    return [
        make_metric(eval_fn=share_wrong, greater_is_better=False),
        make_metric(eval_fn=wrong_rows, greater_is_better=False),
        make_metric(eval_fn=twice_the_count, greater_is_better=True),
        make_metric(eval_fn=f0_mean, greater_is_better=True, name="mean_of_f0"),
        make_metric(eval_fn=share_right, greater_is_better=True),
    ]
