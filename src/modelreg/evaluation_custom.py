"""Custom metrics for :func:`modelreg.evaluate`, as MLflow's ``make_metric`` and
``extra_metrics`` make them.

>>> def share_wrong(predictions, targets):
...     return float((predictions != targets).mean())
>>> modelreg.evaluate(model, holdout, targets="label", model_type="classifier",
...                   extra_metrics=[modelreg.make_metric(eval_fn=share_wrong,
...                                                       greater_is_better=False)])

``eval_fn`` gets its arguments by their names: ``predictions`` and ``targets`` (pandas
Series, or arrays without pandas), ``metrics`` (every metric computed before it, by
name, each a :class:`MetricValue`), a column of the data by its name, or an earlier
metric by its name. It returns a number, logged under the metric's name, or a
:class:`MetricValue`, whose ``aggregate_results`` are logged as ``<name>/<key>``
(``<name>`` when the key is the name), as MLflow logs them, ``metric_prefix``
included.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.validation import check_key

__all__ = ["EvaluationMetric", "MetricValue", "make_metric"]


@dataclass(frozen=True)
class MetricValue:
    """A metric's value (MLflow's ``MetricValue``): per-example ``scores`` and
    ``justifications`` (not logged), and ``aggregate_results``, name → number."""

    scores: Sequence[Any] | None = None
    justifications: Sequence[str] | None = None
    aggregate_results: Mapping[str, float] | None = None


@dataclass(frozen=True)
class EvaluationMetric:
    """A custom metric: :func:`make_metric` makes one."""

    eval_fn: Callable[..., Any]
    name: str
    greater_is_better: bool
    long_name: str | None = None
    version: str | None = None
    metric_details: str | None = None
    metric_metadata: Mapping[str, Any] | None = None


def make_metric(
    *,
    eval_fn: Callable[..., Any],
    greater_is_better: bool,
    name: str | None = None,
    long_name: str | None = None,
    version: str | None = None,
    metric_details: str | None = None,
    metric_metadata: Mapping[str, Any] | None = None,
) -> EvaluationMetric:
    """A custom metric for ``evaluate(extra_metrics=[...])``, named ``name`` or after
    ``eval_fn`` (see the module for what ``eval_fn`` gets and returns).

    Raises ``InvalidArgument`` when ``eval_fn`` is not callable, has no usable name
    (a lambda) and none is given, or the name is not a valid metric key."""
    if not callable(eval_fn):
        raise InvalidArgument(f"eval_fn must be a function, got {type(eval_fn).__name__}")
    if not isinstance(greater_is_better, bool):
        raise InvalidArgument("greater_is_better must be True or False")
    if name is None:
        name = getattr(eval_fn, "__name__", None)
        if not isinstance(name, str) or name == "<lambda>":
            raise InvalidArgument("make_metric: give name= for a lambda or a callable object")
    name = check_key(name, "metric name")
    return EvaluationMetric(
        eval_fn, name, greater_is_better, long_name, version, metric_details, metric_metadata
    )


def custom_metric_values(
    extra_metrics: Sequence[Any],
    *,
    predictions: Any,
    targets: Any,
    features: Any,
    builtin: Mapping[str, float],
) -> dict[str, MetricValue]:
    """Each custom metric's value, computed in order (a later one may use an earlier
    one): name → :class:`MetricValue`. Raises ``InvalidArgument`` naming the metric
    whose argument cannot be found, whose name is taken, or whose result is neither a
    number nor a MetricValue; what ``eval_fn`` itself raises goes through."""
    if not isinstance(extra_metrics, Sequence) or isinstance(extra_metrics, str):
        raise InvalidArgument("extra_metrics must be a list of make_metric results")
    values = {name: MetricValue(aggregate_results={name: v}) for name, v in builtin.items()}
    found: dict[str, MetricValue] = {}
    for index, metric in enumerate(extra_metrics):
        label = f"extra_metrics[{index}]"
        if not isinstance(metric, EvaluationMetric):
            raise InvalidArgument(f"{label} is a {type(metric).__name__}; use make_metric")
        label += f" ({metric.name})"
        if metric.name in values:
            raise InvalidArgument(f"{label}: a metric of that name is computed already")
        arguments = _arguments(metric.eval_fn, label, predictions, targets, features, values)
        value = _as_metric_value(metric.eval_fn(*arguments), metric.name, label)
        values[metric.name] = found[metric.name] = value
    return found


def _arguments(
    eval_fn: Callable[..., Any],
    label: str,
    predictions: Any,
    targets: Any,
    features: Any,
    values: Mapping[str, MetricValue],
) -> list[Any]:
    columns = features.keys() if isinstance(features, Mapping) else getattr(features, "columns", ())
    arguments = []
    for name, parameter in inspect.signature(eval_fn).parameters.items():
        if name == "predictions":
            arguments.append(_series(predictions))
        elif name == "targets":
            arguments.append(_series(targets))
        elif name == "metrics":
            arguments.append(dict(values))
        elif name in columns:
            arguments.append(features[name])
        elif name in values:
            arguments.append(values[name])
        elif parameter.default is not parameter.empty:
            arguments.append(parameter.default)
        elif parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        else:
            raise InvalidArgument(
                f"{label}: eval_fn's argument {name!r:.60} is none of predictions, targets, "
                "metrics, a column of the data or a metric computed before it"
            )
    return arguments


def _series(values: Any) -> Any:
    try:
        import pandas
    except ImportError:
        return values
    return pandas.Series(values)


def _as_metric_value(result: Any, name: str, label: str) -> MetricValue:
    if isinstance(result, numbers.Real) and not isinstance(result, bool):
        return MetricValue(aggregate_results={name: float(result)})
    if isinstance(result, MetricValue):
        for key, value in (result.aggregate_results or {}).items():
            if value is None:
                continue  # not logged, as MLflow skips it
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise InvalidArgument(
                    f"{label}: aggregate_results[{key!r:.60}] is {value!r:.40}, not a number"
                )
            check_key(f"{name}/{key}", f"{label}: aggregate_results key")
        return result
    raise InvalidArgument(
        f"{label}: eval_fn returned a {type(result).__name__}; return a number or a MetricValue"
    )


def logged_names(values: Mapping[str, MetricValue], prefix: str) -> dict[str, float]:
    """The metrics MLflow logs for custom metric values: ``<prefix><name>`` for an
    aggregate named as the metric, else ``<prefix><name>/<prefix><key>`` (MLflow prefixes
    both parts)."""
    logged: dict[str, float] = {}
    for name, value in values.items():
        for key, number in (value.aggregate_results or {}).items():
            if number is None:
                continue
            full = prefix + name if key == name else f"{prefix}{name}/{prefix}{key}"
            logged[full] = float(number)
    return logged
