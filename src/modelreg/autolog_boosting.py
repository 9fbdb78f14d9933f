"""Automatic logging of XGBoost's and LightGBM's own training functions,
``xgboost.train`` and ``lightgbm.train`` (their scikit-learn estimators are logged as
scikit-learn's, by :mod:`modelreg.autologging`).

Each call logs to the active run (or to a run of its own), as MLflow's autolog does:
the training params (the ``params`` dict, and the call's plain arguments such as
``num_boost_round`` and ``early_stopping_rounds``), every iteration's evaluation
results named ``<data>-<metric>`` (``train-rmse``, ``valid_0-l2``; ``@`` becomes
``_at_``, ``ndcg@5`` → ``ndcg_at_5``) with the iteration as the step, and after it,
with early stopping, ``stopped_iteration`` and ``best_iteration`` and the best
iteration's results one step after the last; the feature importances
(``feature_importance_<type>.json``) and the trained Booster (``runs:/<run_id>/model``)
with the signature (and, when asked, the input example) of its first training rows.
With ``log_datasets``, the training data is the run's ``train`` input and each other
evaluation set an ``eval`` input under its name (a ``DMatrix``'s data as
``get_data()`` gives it; a LightGBM ``Dataset``'s raw data, read before the training
builds it, when it has one).

As for Keras, ``autolog()`` imports neither library: ``train`` is wrapped once the
library is imported. Code that took ``train`` by ``from xgboost import train`` before
``autolog()`` keeps the function it took.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Mapping
from typing import Any

from modelreg.autolog_runs import (
    client,
    example_options,
    fit_in_run,
    log_metrics,
    log_model_of_fit,
    log_training_data,
    options_for,
    param_text,
    quietly,
)
from modelreg.entities import Metric, Param
from modelreg.import_hooks import MethodWrap
from modelreg.timeutil import now_ms

_local = threading.local()
# Arguments that are data, functions or models, not settings to compare runs by.
_NOT_PARAMS = {
    "params", "dtrain", "train_set", "evals", "valid_sets", "valid_names", "obj", "feval",
    "evals_result", "xgb_model", "init_model", "callbacks", "custom_metric",
    "learning_rates", "feature_name", "categorical_feature",
}  # fmt: skip
_FLUSH_EVERY = 100  # iterations whose metrics go in one batch


def enable(framework: str) -> None:
    """Wraps ``<framework>.train`` now if the library is imported, else once it is."""
    _WRAPS[framework].on()


def disable(framework: str) -> None:
    """Puts ``train`` back and forgets a pending wrap."""
    _WRAPS[framework].off()


def _logging(framework: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(train: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(train)

        @functools.wraps(train)
        def logged_train(*args: Any, **kwargs: Any) -> Any:
            if getattr(_local, "inside", False):
                return train(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            trained: list[Any] = []
            _local.inside = True
            try:
                return fit_in_run(
                    framework,
                    lambda run_id: _train(framework, train, bound, run_id, trained),
                    lambda run_id: _log_after(framework, trained, run_id),
                )
            finally:
                _local.inside = False

        return logged_train

    return wrap


def _train(
    framework: str,
    train: Callable[..., Any],
    bound: inspect.BoundArguments,
    run_id: str | None,
    trained: list[Any],
) -> Any:
    """The training, logging its params first and its iterations as they end."""
    if run_id is None:
        return train(*bound.args, **bound.kwargs)
    quietly(_log_params, bound.arguments, run_id)
    first_rows: list[Any] = []
    quietly(_log_data, framework, bound.arguments, run_id, first_rows)
    recorder = _Iterations(run_id)
    callbacks = list(bound.arguments.get("callbacks") or [])
    callback = recorder.xgboost_callback() if framework == "xgboost" else recorder.lightgbm
    bound.arguments["callbacks"] = [*callbacks, callback]
    try:
        booster = train(*bound.args, **bound.kwargs)
    finally:
        recorder.flush()
    trained += [booster, recorder, first_rows[0] if first_rows else None]
    return booster


def _log_data(framework: str, arguments: Mapping[str, Any], run_id: str, rows: list[Any]) -> None:
    """Records the training data and the other evaluation sets as inputs of the run, as
    the options say, and keeps the first training rows in ``rows`` (for the model's
    example and signature). Read before the training: LightGBM frees a ``Dataset``'s
    raw data once it has built it."""
    train, named = _training_sets(framework, arguments)
    data = _raw(framework, train)
    if data is None:
        return
    rows.append(_first_rows(data))
    if not options_for(framework).log_datasets:
        return
    log_training_data(run_id, data)
    for evaluated, name in named:
        if evaluated is not train and _raw(framework, evaluated) is not None:
            log_training_data(run_id, _raw(framework, evaluated), "eval", str(name))


def _training_sets(framework: str, arguments: Mapping[str, Any]) -> tuple[Any, list[Any]]:
    """The training set and each evaluation set with its name, as the library names it."""
    if framework == "xgboost":
        return arguments.get("dtrain"), list(arguments.get("evals") or ())
    train = arguments.get("train_set")
    names = list(arguments.get("valid_names") or ())
    named = []
    for i, valid in enumerate(arguments.get("valid_sets") or ()):
        default = "training" if valid is train else f"valid_{i}"
        named.append((valid, names[i] if i < len(names) else default))
    return train, named


def _raw(framework: str, dataset: Any) -> Any:
    """The data of a ``DMatrix`` (``get_data()``, a SciPy sparse matrix) or of a LightGBM
    ``Dataset`` (its raw data: an array, a DataFrame, a file's path …, None once freed)."""
    if dataset is None:
        return None
    if framework == "xgboost":
        return dataset.get_data()
    return getattr(dataset, "data", None)


def _first_rows(data: Any) -> Any:
    """The first rows of the training data, as an array or a DataFrame; None for data of
    another kind (a file). A ``DMatrix``'s rows are float32, how XGBoost keeps any
    numbers: they are given as float64, so that the signature takes what was trained on."""
    if hasattr(data, "iloc"):
        return data.iloc[:5]
    if hasattr(data, "tocsr"):
        return data[:5].toarray().astype("float64")
    return data[:5] if hasattr(data, "shape") and hasattr(data, "__getitem__") else None


def _log_params(arguments: Mapping[str, Any], run_id: str) -> None:
    params: dict[str, str] = {}
    given = arguments.get("params") or {}
    pairs = given.items() if isinstance(given, Mapping) else given  # XGBoost takes pairs too
    for key, value in pairs:
        # XGBoost repeats a key for several values ("eval_metric"): one param lists them.
        text = param_text(value)
        params[str(key)] = f"{params[str(key)]}, {text}" if str(key) in params else text
    for name, value in arguments.items():
        if name not in _NOT_PARAMS and isinstance(value, str | int | float | bool | type(None)):
            params.setdefault(name, param_text(value))
    client().log_batch(run_id, params=[Param(k, v) for k, v in params.items()])


class _Iterations:
    """Each iteration's evaluation results, logged in batches; the last of each kept for
    the best iteration."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.pending: list[Metric] = []
        self.results: list[dict[str, float]] = []

    def record(self, iteration: int, results: dict[str, float]) -> None:
        now = now_ms()
        self.results.append(results)
        self.pending += [Metric(k, v, now, iteration) for k, v in results.items()]
        if len(self.results) % _FLUSH_EVERY == 0:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            log_metrics(self.run_id, self.pending)
            self.pending = []

    def lightgbm(self, env: Any) -> None:
        """LightGBM's callback: ``(data, metric, value, higher_is_better)`` tuples."""
        found = {_name(f"{d}-{m}"): float(v) for d, m, v, *_ in env.evaluation_result_list}
        self.record(env.iteration, found)

    def xgboost_callback(self) -> Any:
        import xgboost

        record = self.record

        class Recorder(xgboost.callback.TrainingCallback):
            def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
                found = {}
                for data, metrics in evals_log.items():
                    for metric, values in metrics.items():
                        last = values[-1]
                        value = last[0] if isinstance(last, tuple) else last  # (mean, std)
                        found[_name(f"{data}-{metric}")] = float(value)
                record(epoch, found)
                return False  # never stops the training

        return Recorder()


def _name(key: str) -> str:
    """A metric name XGBoost or LightGBM reports, as a key: ``@`` → ``_at_`` (MLflow's)."""
    return key.replace("@", "_at_")


def _log_after(framework: str, trained: list[Any], run_id: str) -> None:
    booster, recorder, first_rows = trained
    fluent_client = client()
    stopped = _early_stopping(framework, booster, len(recorder.results))
    if stopped is not None:
        now, last, (stopped_at, best, best_index) = now_ms(), len(recorder.results), stopped
        found = {"stopped_iteration": float(stopped_at), "best_iteration": float(best)}
        metrics = [Metric(k, v, now, 0) for k, v in found.items()]
        metrics += [Metric(k, v, now, last) for k, v in recorder.results[best_index].items()]
        fluent_client.log_batch(run_id, metrics=metrics)
    for kind, importance in _importances(framework, booster).items():
        fluent_client.log_dict(run_id, importance, f"feature_importance_{kind}.json")
    predict = booster.inplace_predict if framework == "xgboost" else booster.predict
    log_model_of_fit(framework, booster, run_id, **example_options(framework, first_rows, predict))


def _early_stopping(framework: str, booster: Any, iterations: int) -> tuple[int, int, int] | None:
    """``(stopped_iteration, best_iteration, index of the best results)`` as MLflow logs
    them when the training stopped early, else ``None``. XGBoost counts iterations from
    0 and has a best one only with early stopping; LightGBM counts from 1, 0 meaning
    none."""
    try:
        best = booster.best_iteration
    except AttributeError:
        return None
    if not isinstance(best, int) or not iterations:
        return None
    if framework == "xgboost":
        return (iterations - 1, best, best) if best < iterations else None
    return (iterations, best, best - 1) if 0 < best <= iterations else None


def _importances(framework: str, booster: Any) -> dict[str, dict[str, float]]:
    """Each importance type's feature importances: XGBoost's ``importance_types`` option
    (``weight`` by default, as MLflow's), LightGBM's ``split`` and ``gain``."""
    if framework == "xgboost":
        kinds = options_for(framework).importance_types or ("weight",)
        return {kind: booster.get_score(importance_type=kind) for kind in kinds}
    names = booster.feature_name()
    return {
        kind: dict(zip(names, map(float, booster.feature_importance(kind)), strict=True))
        for kind in ("split", "gain")
    }


_WRAPS = {
    "xgboost": MethodWrap("xgboost", None, "train", _logging("xgboost")),
    "lightgbm": MethodWrap("lightgbm", None, "train", _logging("lightgbm")),
}
