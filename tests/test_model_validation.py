"""modelreg.validate_evaluation_results and MetricThreshold: a candidate's metrics against
thresholds and a baseline's, as MLflow's model validation."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg import MetricThreshold, validate_evaluation_results
from modelreg.errors import InvalidArgument, ModelValidationFailed

HIGHER = {"greater_is_better": True}
LOWER = {"greater_is_better": False}


def failures(thresholds, candidate, baseline=None):
    """The failures validation reports (metric -> reasons); {} when it passes."""
    try:
        validate_evaluation_results(thresholds, candidate, baseline)
    except ModelValidationFailed as exc:
        return exc.details["failures"]
    return {}


@pytest.mark.parametrize(
    ("rule", "value", "passes"),
    [
        ({"threshold": 0.8, **HIGHER}, 0.8, True),
        ({"threshold": 0.8, **HIGHER}, 0.79, False),
        ({"threshold": 0.2, **LOWER}, 0.2, True),
        ({"threshold": 0.2, **LOWER}, 0.21, False),
        ({"threshold": 0.8, **HIGHER}, float("nan"), False),
    ],
)
def test_a_threshold_is_reached_at_or_past_it_in_the_better_direction(rule, value, passes):
    assert (failures({"m": MetricThreshold(**rule)}, {"m": value}) == {}) is passes


@pytest.mark.parametrize(
    ("rule", "candidate", "baseline", "passes"),
    [
        ({"min_absolute_change": 0.1, **HIGHER}, 0.9, 0.8, True),
        ({"min_absolute_change": 0.2, **HIGHER}, 0.3, 0.1, True),  # 0.1 + 0.2 > 0.3 in floats
        ({"min_absolute_change": 0.1, **HIGHER}, 0.89, 0.8, False),
        ({"min_absolute_change": 0.05, **LOWER}, 0.15, 0.2, True),
        ({"min_absolute_change": 0.05, **LOWER}, 0.16, 0.2, False),
        ({"min_relative_change": 0.1, **HIGHER}, 0.55, 0.5, True),
        ({"min_relative_change": 0.1, **HIGHER}, 0.54, 0.5, False),
        ({"min_relative_change": 0.5, **HIGHER}, -0.5, -1.0, True),  # a negative R² improving
        ({"min_relative_change": 0.5, **HIGHER}, -0.6, -1.0, False),
        ({"min_relative_change": 0.1, **LOWER}, 9.0, 10.0, True),
        ({"min_relative_change": 0.1, **HIGHER}, 0.0, 0.0, False),  # a zero baseline: beat it
        ({"min_relative_change": 0.1, **HIGHER}, 1e-9, 0.0, True),
        ({"min_relative_change": 0.0, **HIGHER}, 0.5, 0.5, True),
    ],
)
def test_changes_over_the_baseline_are_measured_in_the_better_direction(
    rule, candidate, baseline, passes
):
    outcome = failures({"m": MetricThreshold(**rule)}, {"m": candidate}, {"m": baseline})

    assert (outcome == {}) is passes


def test_numpy_numbers_are_numbers_and_a_value_that_is_none_fails():
    rule = MetricThreshold(threshold=np.float32(0.5), **HIGHER)

    assert failures({"m": rule}, {"m": np.float64(0.6)}) == {}
    assert failures({"m": rule}, {"m": None}) == {
        "m": ["the candidate's value None is not a number"]
    }
    compared = MetricThreshold(min_absolute_change=0.1, **HIGHER)
    assert (
        "the baseline's metrics do not have it"
        in failures({"m": compared}, {"m": 0.6}, {"m": None})["m"][0]
    )


def test_every_failing_metric_is_named_with_why_in_the_error():
    thresholds = {
        "accuracy": MetricThreshold(threshold=0.9, min_absolute_change=0.01, **HIGHER),
        "log_loss": MetricThreshold(threshold=0.5, **LOWER),
        "f1": MetricThreshold(threshold=0.5, **HIGHER),
        "recall": MetricThreshold(min_relative_change=0.1, **HIGHER),
    }

    with pytest.raises(ModelValidationFailed) as caught:
        validate_evaluation_results(
            thresholds, {"accuracy": 0.85, "log_loss": 0.4, "recall": 0.7}, {"accuracy": 0.9}
        )

    message = str(caught.value)
    assert "accuracy: 0.85 is not at least the threshold 0.9" in message
    assert "accuracy: 0.85 does not beat the baseline's 0.9 by 0.01" in message
    assert "f1: the candidate's metrics do not have it" in message
    assert "recall: the baseline's metrics do not have it to compare with" in message
    assert "log_loss" not in message
    assert set(caught.value.details["failures"]) == {"accuracy", "f1", "recall"}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"threshold": "0.8", **HIGHER}, "threshold"),
        ({"threshold": float("inf"), **HIGHER}, "threshold"),
        ({"min_absolute_change": 0, **HIGHER}, "min_absolute_change"),
        ({"min_absolute_change": -0.1, **HIGHER}, "min_absolute_change"),
        ({"min_relative_change": 1.5, **HIGHER}, "min_relative_change"),
        ({"threshold": 0.8}, "greater_is_better"),
        ({"threshold": 0.8, "greater_is_better": "yes"}, "greater_is_better"),
        (HIGHER, "MetricThreshold"),
    ],
)
def test_a_wrong_metric_threshold_is_refused_by_name(fields, named):
    with pytest.raises(InvalidArgument, match=f"^{named}: "):
        MetricThreshold(**fields)


@pytest.mark.parametrize(
    ("thresholds", "candidate", "named"),
    [
        ([MetricThreshold(threshold=1, **HIGHER)], {}, "validation_thresholds"),
        ({"m": 0.8}, {}, "validation_thresholds"),
        ({"m": MetricThreshold(threshold=1, **HIGHER)}, [0.9], "candidate_result"),
    ],
)
def test_wrong_arguments_are_refused_by_name(thresholds, candidate, named):
    with pytest.raises(InvalidArgument, match=f"^{named}: "):
        validate_evaluation_results(thresholds, candidate)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_evaluation_results_of_a_candidate_and_a_baseline_are_validated(client):
    rng = np.random.default_rng(0)
    features = rng.random((100, 2))
    labels = (features[:, 0] > 0.5).astype(int)
    good = LogisticRegression().fit(features, labels)
    poor = LogisticRegression().fit(features[:, 1:], labels)  # the column that says nothing

    with modelreg.start_run():
        candidate = modelreg.evaluate(good, features, targets=labels, model_type="classifier")
        baseline = modelreg.evaluate(
            lambda x: poor.predict(x[:, 1:]), features, targets=labels, model_type="classifier"
        )
    improves = {"accuracy_score": MetricThreshold(min_absolute_change=0.05, **HIGHER)}

    validate_evaluation_results(improves, candidate, baseline)
    with pytest.raises(ModelValidationFailed, match="accuracy_score"):
        validate_evaluation_results(improves, baseline, candidate)


def test_mlflows_names_for_them_are_in_modelreg_models():
    assert modelreg.models.MetricThreshold is MetricThreshold
    assert modelreg.models.validate_evaluation_results is validate_evaluation_results
