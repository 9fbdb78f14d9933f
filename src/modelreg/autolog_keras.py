"""Automatic logging of Keras 3 training, the Keras part of ``modelreg.autolog()``.

Each ``Model.fit`` logs to the active run (or to a run of its own): the fit's
parameters (``epochs``, ``batch_size``, ``validation_split``, the optimizer's
name and learning rate), every epoch's metrics as Keras reports them (``loss``,
``accuracy``, ``val_loss`` …, with the epoch as the step; or, as the
:class:`~modelreg.autolog_runs.KerasOptions` of ``modelreg.keras.autolog`` say, every
N-th batch's and each epoch's validation metrics, the optimizer's step count as the
step), the model's summary
(``model_summary.txt``) and the fitted model (``runs:/<run_id>/model``), with the
signature (and, when asked, the input example) of its first training rows when
``x`` is an array; such an ``x`` is an input (``train``) of the run too, unless
``log_datasets=False``.

Importing Keras takes seconds (it imports its backend), so ``autolog()`` does
not: when Keras is not imported yet, ``fit`` is wrapped right after Keras is.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from modelreg.autolog_runs import (
    KerasOptions,
    StepMetrics,
    client,
    example_options,
    fit_in_run,
    log_metrics,
    log_model_of_fit,
    log_training_data,
    options_for,
    quietly,
    scalars,
)
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
                lambda run_id: _log_after(model, run_id, bound.arguments.get("x")),
            )
        finally:
            _local.inside = False

    return logged_fit


_FIT = MethodWrap("keras", "Model", "fit", _logging)


def _fit(fit: Callable[..., Any], bound: inspect.BoundArguments, run_id: str | None) -> Any:
    """The fit, logging its parameters first and its metrics as it goes (into
    ``run_id``)."""
    if run_id is None:
        return fit(*bound.args, **bound.kwargs)
    quietly(_log_params, bound.arguments, run_id)
    steps = StepMetrics(run_id)
    callbacks = list(bound.arguments.get("callbacks") or [])
    logger = _metrics_logger(run_id, options_for("keras").keras, steps)
    bound.arguments["callbacks"] = [*callbacks, logger]
    try:
        return fit(*bound.args, **bound.kwargs)
    finally:
        steps.finish()


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


def _metrics_logger(run_id: str, options: KerasOptions, steps: StepMetrics) -> Any:
    """A Keras callback logging the metrics Keras reports, by epoch or every N steps as
    ``options`` say (by step, the validation metrics of each epoch's end too)."""
    import keras

    every = options.log_every_n_steps

    class TrainingMetrics(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if options.log_every_epoch:
                log_metrics(run_id, _numbers(logs, epoch))
            else:  # logging by step: the validation Keras runs at an epoch's end, at its step
                validation = {k: v for k, v in (logs or {}).items() if k.startswith("val_")}
                steps.send(_numbers(validation, int(self.model.optimizer.iterations)))

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if every is None:
                return
            step = int(self.model.optimizer.iterations)
            if step % every == 0:
                steps.send(_numbers(logs, step))

    return TrainingMetrics()


def _numbers(logs: dict[str, Any] | None, step: int) -> list[Metric]:
    """The numbers of a Keras ``logs`` dict as metrics at ``step``."""
    now = now_ms()
    return [Metric(key, value, now, step) for key, value in scalars(logs).items()]


def _log_after(model: Any, run_id: str, x: Any) -> None:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *_, **__: lines.append(line))
    client().log_text(run_id, "\n".join(lines) + "\n", "model_summary.txt")
    # Arrays only: a dataset or generator is not read again for an example.
    array = hasattr(x, "shape") and hasattr(x, "__getitem__")
    if array and options_for("keras").log_datasets:
        log_training_data(run_id, x)
    rows = x[:5] if array else None
    shown = example_options("keras", rows, lambda given: model.predict(given, verbose=0))
    log_model_of_fit("keras", model, run_id, **shown)
