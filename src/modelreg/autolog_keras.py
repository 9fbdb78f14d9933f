"""Automatic logging of Keras 3 training, the Keras part of ``modelreg.autolog()``.

Each ``Model.fit`` logs to the active run (or to a run of its own): the fit's
parameters (``epochs``, ``batch_size``, ``validation_split``, the optimizer's
name and learning rate), every epoch's metrics as Keras reports them (``loss``,
``accuracy``, ``val_loss`` …, with the epoch as the step), the model's summary
(``model_summary.txt``) and the fitted model (``runs:/<run_id>/model``).

Importing Keras takes seconds (it imports its backend), so ``autolog()`` does
not: when Keras is not imported yet, ``fit`` is wrapped right after Keras is.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from modelreg.autolog_runs import client, fit_in_run, log_metrics, log_model_of_fit, quietly
from modelreg.entities import Metric, Param
from modelreg.import_hooks import MethodWrap
from modelreg.timeutil import now_ms

_local = threading.local()


def enable() -> None:
    """Wraps ``keras.Model.fit`` now if Keras is imported, else once it is."""
    _FIT.on()


def disable() -> None:
    """Puts ``fit`` back and forgets a pending wrap."""
    _FIT.off()


def _logging(fit: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(fit)

    @functools.wraps(fit)
    def logged_fit(model: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "inside", False):
            return fit(model, *args, **kwargs)
        bound = signature.bind(model, *args, **kwargs)
        bound.apply_defaults()
        _local.inside = True
        try:
            return fit_in_run(
                "keras",
                lambda run_id: _fit(fit, bound, run_id),
                lambda run_id: _log_after(model, run_id),
            )
        finally:
            _local.inside = False

    return logged_fit


_FIT = MethodWrap("keras", "Model", "fit", _logging)


def _fit(fit: Callable[..., Any], bound: inspect.BoundArguments, run_id: str | None) -> Any:
    """The fit, logging its parameters first and its epochs as they end (into ``run_id``)."""
    if run_id is not None:
        quietly(_log_params, bound.arguments, run_id)
        callbacks = list(bound.arguments.get("callbacks") or [])
        bound.arguments["callbacks"] = [*callbacks, _epoch_logger(run_id)]
    return fit(*bound.args, **bound.kwargs)


def _log_params(arguments: dict[str, Any], run_id: str) -> None:
    params = {name: arguments.get(name) for name in ("epochs", "batch_size", "validation_split")}
    optimizer = getattr(arguments["self"], "optimizer", None)
    if optimizer is not None:
        params["optimizer_name"] = type(optimizer).__name__
        try:
            params["learning_rate"] = float(optimizer.learning_rate)
        except (TypeError, ValueError):  # a schedule: its value changes every step
            params["learning_rate"] = type(optimizer.learning_rate).__name__
    found = [Param(k, str(v)) for k, v in params.items() if v is not None]
    client().log_batch(run_id, params=found)


def _epoch_logger(run_id: str) -> Any:
    """A Keras callback logging each epoch's metrics, the epoch as the step."""
    import keras

    class EpochMetrics(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            now = now_ms()
            metrics = []
            for key, value in (logs or {}).items():
                try:
                    metrics.append(Metric(key, float(value), now, epoch))
                except (TypeError, ValueError):
                    continue  # not a number (a learning-rate schedule's object)
            log_metrics(run_id, metrics)

    return EpochMetrics()


def _log_after(model: Any, run_id: str) -> None:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *_, **__: lines.append(line))
    client().log_text(run_id, "\n".join(lines) + "\n", "model_summary.txt")
    log_model_of_fit("keras", model, run_id)
