"""Validating a candidate model's metrics against thresholds and a baseline's, as MLflow's
``mlflow.validate_evaluation_results`` and ``MetricThreshold`` do: the gate of a CI job
that evaluates a candidate and the model in production on the same data.

>>> thresholds = {
...     "accuracy_score": MetricThreshold(threshold=0.8, greater_is_better=True),
...     "mean_squared_error": MetricThreshold(min_relative_change=0.05, greater_is_better=False),
... }
>>> validate_evaluation_results(thresholds, candidate, baseline)   # raises if one fails

Each metric must reach its ``threshold`` (≥ when greater is better, else ≤), and beat
the baseline's value by ``min_absolute_change``, and by ``min_relative_change`` of the
baseline's magnitude (a baseline of 0 only needs beating). A metric the candidate lacks
fails; so does a comparison with a baseline that lacks the metric. Values that differ by
float rounding alone count as equal (``0.3`` beats ``0.1`` by ``0.2``, though ``0.1 + 0.2``
is ``0.30000000000000004`` in floats; MLflow's check fails it). Pure: nothing is
read or logged. The registry's promotion policies (``modelreg policy``) check the same
kind of rule on the server, where a caller cannot skip them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelreg.errors import InvalidArgument, ModelValidationFailed

__all__ = ["MetricThreshold", "validate_evaluation_results"]

_ROUNDING = 1e-12


@dataclass(frozen=True)
class MetricThreshold:
    """What one metric of a candidate must reach: an absolute ``threshold``, and a
    ``min_absolute_change`` (positive) or ``min_relative_change`` (0 to 1) over the
    baseline's value; ``greater_is_better`` says which way is better. Raises
    ``InvalidArgument`` naming a wrong field, or when no requirement is given."""

    threshold: float | None = None
    min_absolute_change: float | None = None
    min_relative_change: float | None = None
    greater_is_better: bool | None = None

    def __post_init__(self) -> None:
        if self.threshold is not None and not _number(self.threshold):
            raise InvalidArgument(f"threshold: must be a number, got {self.threshold!r:.40}")
        change = self.min_absolute_change
        if change is not None and not (_number(change) and change > 0):
            raise InvalidArgument(
                f"min_absolute_change: must be a positive number, got {change!r:.40}"
            )
        relative = self.min_relative_change
        if relative is not None and not (_number(relative) and 0 <= relative <= 1):
            raise InvalidArgument(
                f"min_relative_change: must be a number from 0 to 1, got {relative!r:.40}"
            )
        if not isinstance(self.greater_is_better, bool):
            raise InvalidArgument(
                "greater_is_better: must be True or False (which way the metric is better)"
            )
        if self.threshold is None and change is None and relative is None:
            raise InvalidArgument(
                "MetricThreshold: give a threshold, min_absolute_change or min_relative_change"
            )

    @property
    def compares(self) -> bool:
        """Whether it compares the candidate with a baseline."""
        return self.min_absolute_change is not None or self.min_relative_change is not None


def _number(value: Any) -> bool:
    """A finite real number (numpy's too), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def validate_evaluation_results(
    validation_thresholds: Mapping[str, MetricThreshold],
    candidate_result: Any,
    baseline_result: Any = None,
) -> None:
    """Checks the candidate's metrics (an :class:`~modelreg.evaluation.EvaluationResult`
    or a dict of metric names to values) against ``validation_thresholds`` (metric name
    → :class:`MetricThreshold`) and the baseline's (likewise, or None when no threshold
    compares). Raises ``ModelValidationFailed`` listing every failing metric, with
    ``details["failures"]`` (metric → reasons); ``InvalidArgument`` for thresholds that
    are not a dict of names to ``MetricThreshold``."""
    if not isinstance(validation_thresholds, Mapping) or not all(
        isinstance(k, str) and isinstance(v, MetricThreshold)
        for k, v in validation_thresholds.items()
    ):
        raise InvalidArgument(
            "validation_thresholds: must be a dict of metric names to MetricThreshold objects"
        )
    candidate = _metrics(candidate_result, "candidate_result")
    baseline = {} if baseline_result is None else _metrics(baseline_result, "baseline_result")
    failures = {}
    for name, rule in validation_thresholds.items():
        reasons = _failures(name, rule, candidate, baseline)
        if reasons:
            failures[name] = reasons
    if failures:
        lines = [f"{name}: {reason}" for name, reasons in failures.items() for reason in reasons]
        raise ModelValidationFailed(
            "the candidate model fails validation:\n" + "\n".join(lines),
            details={"failures": failures},
        )


def _metrics(result: Any, field: str) -> dict[str, float]:
    found = result if isinstance(result, Mapping) else getattr(result, "metrics", None)
    if not isinstance(found, Mapping):
        raise InvalidArgument(
            f"{field}: must be an EvaluationResult or a dict of metric names to values"
        )
    return dict(found)


def _failures(
    name: str, rule: MetricThreshold, candidate: dict[str, float], baseline: dict[str, float]
) -> list[str]:
    if name not in candidate:
        return ["the candidate's metrics do not have it"]
    if not isinstance(candidate[name], numbers.Real):
        return [f"the candidate's value {candidate[name]!r:.40} is not a number"]
    value = float(candidate[name])
    better = "greater" if rule.greater_is_better else "lower"
    reasons = []
    if rule.threshold is not None and not _reaches(value, rule.threshold, rule):
        side = "at least" if rule.greater_is_better else "at most"
        reasons.append(f"{value:g} is not {side} the threshold {rule.threshold:g}")
    if not rule.compares:
        return reasons
    if not isinstance(baseline.get(name), numbers.Real):
        return [*reasons, "the baseline's metrics do not have it to compare with"]
    base = float(baseline[name])
    step = 1 if rule.greater_is_better else -1
    if rule.min_absolute_change is not None:
        wanted = base + step * rule.min_absolute_change
        if not _reaches(value, wanted, rule):
            reasons.append(
                f"{value:g} does not beat the baseline's {base:g} by "
                f"{rule.min_absolute_change:g} ({better} is better)"
            )
    if rule.min_relative_change is not None:
        if base == 0:  # no magnitude to take a share of: any improvement will do
            passed = value > base if rule.greater_is_better else value < base
        else:
            passed = _reaches(value, base + step * rule.min_relative_change * abs(base), rule)
        if not passed:
            reasons.append(
                f"{value:g} does not beat the baseline's {base:g} by "
                f"{rule.min_relative_change:.0%} of it ({better} is better)"
            )
    return reasons


def _reaches(value: float, wanted: float, rule: MetricThreshold) -> bool:
    """Whether ``value`` is ``wanted`` or better, float rounding forgiven."""
    if math.isclose(value, wanted, rel_tol=_ROUNDING, abs_tol=_ROUNDING):
        return True
    return value > wanted if rule.greater_is_better else value < wanted
