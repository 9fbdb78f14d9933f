"""Metrics of a model after its training, as MLflow's autolog logs them
(``log_post_training_metrics``): once a scikit-learn-style estimator was fitted under
autolog, how it is evaluated goes to the run it was fitted in (and to the model it
logged, measured on the dataset it was evaluated on):

- ``model.score(X_test, y_test)`` as ``<EstimatorClass>_score_X_test``;
- a ``sklearn.metrics`` function (``accuracy_score``, ``mean_squared_error``,
  ``roc_auc_score`` …) given what the model's ``predict``, ``predict_proba``,
  ``predict_log_proba`` or ``transform`` returned, as ``<function>_<dataset>``:
  ``accuracy_score_X_test``.

The dataset is named by the variable the evaluated data has in the code that passed it
on (see :mod:`modelreg.call_names`), ``unknown_dataset`` when it has none; other data
under a name already used is ``X_test-2``. The same metric of the same dataset computed
again is ``accuracy_score-2_X_test`` (MLflow counts a metric's calls over every dataset:
its ``accuracy_score-2_X_val`` is ``accuracy_score_X_val`` here). ``metric_info.json``
in the run holds the call behind each key, and with ``log_datasets`` the evaluated data
becomes an ``eval`` input of the run, under its variable's name. Only numbers are
logged (not a confusion matrix); evaluations a logged one makes itself (a score's
predictions) are part of it.

A metric function is seen when called as ``sklearn.metrics.accuracy_score``, or when
imported after autolog was turned on: one imported before keeps the function it had
(as with MLflow). ``model.score`` is seen however it is called. Only the prediction
object itself is followed: a copy or a slice of it (``y_pred[:10]``) is not.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from modelreg.autolog_runs import autolog_busy, busy, client, options_for, quietly, warn
from modelreg.call_names import call_text, variable_name

METHODS = ("predict", "predict_proba", "predict_log_proba", "transform")
UNKNOWN = "unknown_dataset"
# sklearn.metrics names that are no metric of predictions.
_NOT_METRICS = {"check_scoring", "get_scorer", "get_scorer_names", "make_scorer"}


@dataclass(frozen=True)
class _Model:
    """A model fitted under autolog: the run and logged model its evaluations go to."""

    framework: str
    run_id: str
    model_id: str | None


@dataclass(frozen=True)
class _Prediction:
    """What a tracked model returned, and what it was given: the data's variable name,
    identity and (while it lives) the data itself."""

    model: _Model
    label: str
    data_id: int
    data: Callable[[], Any]


@dataclass
class _RunEvaluations:
    """What one run's evaluations named: datasets (the data under each name, by
    identity), the recorded ones, and each metric key's call."""

    datasets: dict[str, list[int]] = field(default_factory=dict)
    recorded: dict[int, Any] = field(default_factory=dict)
    calls: dict[str, str] = field(default_factory=dict)

    def dataset_name(self, label: str, data_id: int) -> str:
        seen = self.datasets.setdefault(label, [])
        if data_id not in seen:
            seen.append(data_id)
        index = seen.index(data_id)
        return label if index == 0 else f"{label}-{index + 1}"

    def metric_key(self, metric: str, dataset: str, call: str) -> str:
        key, count = f"{metric}_{dataset}", 1
        while key in self.calls:
            count += 1
            key = f"{metric}-{count}_{dataset}"
        self.calls[key] = call
        return key


# Held while an evaluation is logged: a run's names and metric_info.json are written
# one evaluation at a time. Models and predictions are single dict operations, atomic.
_logging = threading.Lock()
_models: dict[int, _Model] = {}
_predictions: dict[int, _Prediction] = {}
_runs: dict[str, _RunEvaluations] = {}
# framework -> (class, method name, the class's own attribute it replaced or None)
_wrapped: dict[str, list[tuple[Any, str, Any]]] = {}
_metric_functions: dict[str, Callable[..., Any]] = {}


def enable(framework: str, classes: Iterable[Any]) -> None:
    """Wraps the prediction and score methods of ``classes`` and the metric functions of
    ``sklearn.metrics``; the models :func:`track` is given are then followed."""
    if framework not in _wrapped:
        _wrapped[framework] = [
            wrapped for cls in classes for wrapped in _wrap_methods(cls, (*METHODS, "score"))
        ]
    if not _metric_functions:
        _wrap_metric_functions()


def disable(framework: str) -> None:
    """Puts back what :func:`enable` wrapped for ``framework`` and forgets its models (the
    metric functions once no framework is left)."""
    for cls, name, own in reversed(_wrapped.pop(framework, [])):
        if own is None:
            delattr(cls, name)
        else:
            setattr(cls, name, own)
    for key, model in list(_models.items()):
        if model.framework == framework:
            _models.pop(key, None)
    if not _wrapped:
        _unwrap_metric_functions()


def track(model: Any, framework: str, run_id: str, model_id: str | None) -> None:
    """Follows the evaluations of ``model``, fitted in ``run_id`` (and logged as
    ``model_id``), until it is garbage."""
    key = id(model)
    if key not in _models:  # else followed already (fitted again): forgotten once garbage
        try:
            weakref.finalize(model, _models.pop, key, None)
        except TypeError:  # an estimator that takes no weak reference: not followed
            return
    _models[key] = _Model(framework, run_id, model_id)


class _Evaluating:
    """A class's prediction or score method, wrapped: called on a tracked model, what it
    returns is followed (a prediction) or logged (a score); otherwise the method is the
    one it wraps, given as its descriptor gives it (scikit-learn's ``available_if``
    methods stay absent where they are)."""

    def __init__(self, own: Any, name: str) -> None:
        self.own, self.name = own, name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        method = self.own.__get__(obj, owner) if hasattr(self.own, "__get__") else self.own
        model = None if obj is None else _models.get(id(obj))
        if model is None:
            return method
        evaluate = _score if self.name == "score" else _predict

        @functools.wraps(method)
        def evaluated(*args: Any, **kwargs: Any) -> Any:
            return evaluate(model, obj, method, *args, **kwargs)

        return evaluated


def _wrap_methods(cls: Any, names: Iterable[str]) -> list[tuple[Any, str, Any]]:
    wrapped = []
    for name in names:
        found = inspect.getattr_static(cls, name, None)
        if found is None or isinstance(found, _Evaluating):  # none, or inherited wrapped
            continue
        own = vars(cls).get(name)
        setattr(cls, name, _Evaluating(found, name))
        wrapped.append((cls, name, own))
    return wrapped


def _first_argument(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[0] if args else kwargs.get("X")


def _predict(model: _Model, obj: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
    if busy():
        return method(*args, **kwargs)
    with autolog_busy():
        result = method(*args, **kwargs)
    frame = inspect.currentframe()
    try:
        quietly(_follow, model, result, _first_argument(args, kwargs), frame and frame.f_back)
    finally:
        del frame
    return result


def _follow(model: _Model, result: Any, data: Any, frame: Any) -> None:
    key = id(result)
    try:
        weakref.finalize(result, _predictions.pop, key, None)
    except TypeError:  # a prediction that takes no weak reference: not followed
        return
    label = variable_name(data, frame, UNKNOWN)
    _predictions[key] = _Prediction(model, label, id(data), _weak(data))


def _weak(data: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(data)
    except TypeError:  # a list: not recorded as a dataset
        return lambda: None


def _score(model: _Model, obj: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
    if busy():
        return method(*args, **kwargs)
    with autolog_busy():
        value = method(*args, **kwargs)
    if _loggable(value):
        frame = inspect.currentframe()
        try:
            quietly(_log_score, model, obj, method, (args, kwargs, value), frame and frame.f_back)
        finally:
            del frame
    return value


def _log_score(model: _Model, obj: Any, method: Any, call: Any, frame: Any) -> None:
    args, kwargs, value = call
    data = _first_argument(args, kwargs)
    name = type(obj).__name__
    text = call_text(f"{name}.score", _parameters(method), args, kwargs, frame)
    label = variable_name(data, frame, UNKNOWN)
    _log(_Prediction(model, label, id(data), _weak(data)), f"{name}_score", value, text)


def _measured(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def measured(*args: Any, **kwargs: Any) -> Any:
        if busy() or not _predictions:
            return function(*args, **kwargs)
        with autolog_busy():
            value = function(*args, **kwargs)
        prediction = _loggable(value) and _prediction_among([*args, *kwargs.values()])
        if prediction:
            frame = inspect.currentframe()
            try:
                call = (args, kwargs, value)
                quietly(_log_metric, prediction, function, call, frame and frame.f_back)
            finally:
                del frame
        return value

    return measured


def _log_metric(prediction: _Prediction, function: Any, call: Any, frame: Any) -> None:
    args, kwargs, value = call
    name = function.__name__
    _log(prediction, name, value, call_text(name, _parameters(function), args, kwargs, frame))


def _prediction_among(values: list[Any]) -> _Prediction | None:
    for value in values:
        found = _predictions.get(id(value))
        if found is not None:
            return found
    return None


def _log(prediction: _Prediction, metric: str, value: Any, call: str) -> None:
    model = prediction.model
    with _logging:
        run = _runs.setdefault(model.run_id, _RunEvaluations())
        dataset_name = run.dataset_name(prediction.label, prediction.data_id)
        key = run.metric_key(metric, dataset_name, call)
        dataset = _recorded(run, model, prediction, dataset_name)
        measured = {}
        if dataset is not None and model.model_id:  # the logged model's, on that data
            measured = {"dataset_name": dataset.name, "dataset_digest": dataset.digest}
        tracking = client()
        tracking.log_metric(model.run_id, key, float(value), model_id=model.model_id, **measured)
        tracking.log_dict(model.run_id, dict(sorted(run.calls.items())), "metric_info.json")


def _recorded(run: _RunEvaluations, model: _Model, prediction: _Prediction, name: str) -> Any:
    """The evaluated data as an ``eval`` input of the run (recorded once), when the
    options log datasets and it is still there; else None."""
    if prediction.data_id in run.recorded:
        return run.recorded[prediction.data_id]
    data = prediction.data()
    if data is None or not options_for(model.framework).log_datasets:
        return None
    try:
        dataset = client().log_input(model.run_id, data, "eval", name=name)
    except Exception as exc:  # noqa: BLE001 - the metric is still logged
        warn(f"autolog: the evaluation data {name!r} is not recorded as an input: {exc}")
        dataset = None
    run.recorded[prediction.data_id] = dataset
    return dataset


def _loggable(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _parameters(function: Callable[..., Any]) -> list[str]:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # a signature inspect cannot read
        return []


def _wrap_metric_functions() -> None:
    from sklearn import metrics

    for name in metrics.__all__:
        function = getattr(metrics, name, None)
        if inspect.isfunction(function) and name not in _NOT_METRICS:
            _metric_functions[name] = function
            setattr(metrics, name, _measured(function))


def _unwrap_metric_functions() -> None:
    if not _metric_functions:
        return
    from sklearn import metrics

    for name, function in _metric_functions.items():
        setattr(metrics, name, function)
    _metric_functions.clear()
