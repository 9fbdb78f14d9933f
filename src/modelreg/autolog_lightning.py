"""Automatic logging of PyTorch Lightning training, ``modelreg.pytorch.autolog()`` (what
``mlflow.pytorch.autolog`` covers).

Each ``Trainer.fit`` logs to the active run (or to a run of its own): ``epochs`` (the
trainer's ``max_epochs``), the first optimizer's name and defaults (``lr``,
``weight_decay`` …), an ``EarlyStopping`` callback's settings; every epoch's metrics
as the module logs them (``self.log("val_loss", …)``), the epoch as the step; with
early stopping ``stopped_epoch``, ``restored_epoch``, ``best_score`` and
``wait_count``; the model's summary (``model_summary.txt``) and the trained module
(``runs:/<run_id>/model``). Both ``lightning.pytorch`` and the older
``pytorch_lightning`` package are covered.

Importing Lightning takes seconds, so ``autolog()`` does not: ``fit`` is wrapped once
Lightning is imported.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

from modelreg.autolog_runs import client, fit_in_run, log_metrics, log_model_of_fit, quietly
from modelreg.entities import Metric, Param
from modelreg.import_hooks import MethodWrap
from modelreg.timeutil import now_ms

_local = threading.local()
_EARLY_STOPPING = ("monitor", "mode", "patience", "min_delta")


def enable() -> None:
    """Wraps ``Trainer.fit`` of either Lightning package now if imported, else once it is."""
    for fit in _FITS:
        fit.on()


def disable() -> None:
    """Puts ``fit`` back and forgets a pending wrap."""
    for fit in _FITS:
        fit.off()


def _logging(fit: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(fit)

    @functools.wraps(fit)
    def logged_fit(trainer: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "inside", False):
            return fit(trainer, *args, **kwargs)
        bound = signature.bind(trainer, *args, **kwargs)
        _local.inside = True
        try:
            return fit_in_run(
                "pytorch",
                lambda run_id: _fit(fit, bound, trainer, run_id),
                lambda run_id: _log_after(trainer, bound.arguments["model"], run_id),
            )
        finally:
            _local.inside = False

    return logged_fit


_FITS = (
    MethodWrap("lightning.pytorch", "Trainer", "fit", _logging),
    MethodWrap("pytorch_lightning", "Trainer", "fit", _logging),
)


def _fit(
    fit: Callable[..., Any], bound: inspect.BoundArguments, trainer: Any, run_id: str | None
) -> Any:
    """The fit, with a callback logging its parameters as it starts and its epochs as
    they end (into ``run_id``)."""
    if run_id is None:
        return fit(*bound.args, **bound.kwargs)
    logger = _epoch_logger(_package(trainer), run_id)
    trainer.callbacks.append(logger)
    try:
        return fit(*bound.args, **bound.kwargs)
    finally:
        trainer.callbacks.remove(logger)


def _package(trainer: Any) -> str:
    """The Lightning package ``trainer`` is of: ``lightning.pytorch`` or
    ``pytorch_lightning``."""
    top = type(trainer).__module__.split(".")[0]
    return "lightning.pytorch" if top == "lightning" else top


def _epoch_logger(package: str, run_id: str) -> Any:
    """A callback of Lightning ``package`` logging the fit's params at its start and each
    training epoch's metrics at its end."""
    base: Any = importlib.import_module(package)

    class EpochMetrics(base.Callback):
        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            quietly(_log_params, trainer, run_id)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            log_metrics(run_id, _numbers(trainer.callback_metrics, trainer.current_epoch))

    return EpochMetrics()


def _numbers(values: dict[str, Any], step: int) -> list[Metric]:
    """The scalar ones of ``values`` (tensors or numbers) as metrics at ``step``."""
    now = now_ms()
    found = []
    for key, value in values.items():
        try:
            found.append(Metric(key, float(value), now, step))
        except (TypeError, ValueError, RuntimeError):  # not a scalar
            continue
    return found


def _log_params(trainer: Any, run_id: str) -> None:
    params: dict[str, Any] = {"epochs": trainer.max_epochs}
    if trainer.optimizers:
        optimizer = trainer.optimizers[0]
        params["optimizer_name"] = type(optimizer).__name__
        params.update(getattr(optimizer, "defaults", {}))
    stopping = _early_stopping(trainer)
    if stopping is not None:
        params.update({name: getattr(stopping, name) for name in _EARLY_STOPPING})
    found = [Param(k, str(v)) for k, v in params.items() if v is not None]
    client().log_batch(run_id, params=found)


def _early_stopping(trainer: Any) -> Any:
    return getattr(trainer, "early_stopping_callback", None)


def _log_after(trainer: Any, model: Any, run_id: str) -> None:
    stopping = _early_stopping(trainer)
    if stopping is not None and stopping.stopped_epoch:
        found = {
            "stopped_epoch": stopping.stopped_epoch,
            "restored_epoch": stopping.stopped_epoch - max(1, stopping.patience),
            "best_score": float(stopping.best_score),
            "wait_count": stopping.wait_count,
        }
        now = now_ms()
        log_metrics(run_id, [Metric(k, float(v), now, 0) for k, v in found.items()])
    quietly(_log_summary, _package(trainer), model, run_id)
    log_model_of_fit("pytorch", model, run_id)


def _log_summary(package: str, model: Any, run_id: str) -> None:
    summaries = importlib.import_module(f"{package}.utilities.model_summary")
    text = str(summaries.ModelSummary(model, max_depth=-1))
    client().log_text(run_id, text + "\n", "model_summary.txt")
