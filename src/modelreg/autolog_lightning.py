"""Automatic logging of PyTorch Lightning training, ``modelreg.pytorch.autolog()`` (what
``mlflow.pytorch.autolog`` covers).

Each ``Trainer.fit`` logs to the active run (or to a run of its own): ``epochs`` (the
trainer's ``max_epochs``), the first optimizer's name and defaults (``lr``,
``weight_decay`` …), an ``EarlyStopping`` callback's settings; every epoch's metrics
as the module logs them (``self.log("val_loss", …)``), the epoch as the step, and with
``log_every_n_step`` the metrics logged by step, the global step as the step; the
module's checkpoints (see :mod:`modelreg.lightning_checkpoints`); with early stopping
``stopped_epoch``, ``restored_epoch``, ``best_score`` and ``wait_count``, and the
trainer's own best checkpoint (its ``ModelCheckpoint``'s) as
``restored_model_checkpoint/``; the model's
summary (``model_summary.txt``) and the trained module (``runs:/<run_id>/model``), with
the signature (and, when asked, the input example) of the first rows its ``forward`` is
called with, when they are one tensor.
What it logs as it trains is the :class:`~modelreg.autolog_runs.LightningOptions` of
``modelreg.pytorch.autolog``. Both ``lightning.pytorch`` and the older
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

from modelreg import lightning_checkpoints
from modelreg.autolog_runs import (
    LightningOptions,
    StepMetrics,
    client,
    example_options,
    fit_in_run,
    log_metrics,
    log_model_of_fit,
    options_for,
    quietly,
    scalars,
)
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
        first = _FirstInput()
        _local.inside = True
        try:
            return fit_in_run(
                "pytorch",
                lambda run_id: _fit(fit, bound, trainer, run_id, first),
                lambda run_id: _log_after(trainer, bound.arguments["model"], run_id, first),
            )
        finally:
            _local.inside = False

    return logged_fit


_FITS = (
    MethodWrap("lightning.pytorch", "Trainer", "fit", _logging),
    MethodWrap("pytorch_lightning", "Trainer", "fit", _logging),
)


def _fit(
    fit: Callable[..., Any],
    bound: inspect.BoundArguments,
    trainer: Any,
    run_id: str | None,
    first: _FirstInput,
) -> Any:
    """The fit, with callbacks logging into ``run_id`` its parameters as it starts, its
    metrics as it goes and its checkpoints, as the options say; the first rows the
    module is called with are kept in ``first``."""
    if run_id is None:
        return fit(*bound.args, **bound.kwargs)
    hook = bound.arguments["model"].register_forward_hook(first.capture)
    package = _package(trainer)
    options = options_for("pytorch").lightning
    metrics = _TrainingMetrics(run_id, options)
    added = [_metrics_logger(package, run_id, metrics)]
    if options.checkpoint:
        added.append(lightning_checkpoints.callback(package, run_id, options))
    trainer.callbacks.extend(added)
    try:
        return fit(*bound.args, **bound.kwargs)
    finally:
        hook.remove()
        for callback in added:
            trainer.callbacks.remove(callback)
        metrics.finish()


class _FirstInput:
    """The first rows a module's ``forward`` is called with, when they are one tensor:
    the input example (and, with what the trained module makes of them, the signature)
    of the model autolog logs."""

    def __init__(self) -> None:
        self.rows: Any = None

    def capture(self, module: Any, args: tuple[Any, ...], output: Any) -> None:
        import torch

        if self.rows is None and len(args) == 1 and isinstance(args[0], torch.Tensor):
            # In the training's own call: nothing here may fail it (numpy has no bfloat16).
            quietly(self._keep, args[0])

    def _keep(self, tensor: Any) -> None:
        self.rows = tensor[:5].detach().cpu().numpy()

    def predicted(self, module: Any, rows: Any) -> Any:
        """What the trained ``module`` makes of ``rows``, its mode put back after."""
        import torch

        training = module.training
        module.eval()
        try:
            with torch.no_grad():
                return module(torch.as_tensor(rows, device=module.device)).cpu().numpy()
        finally:
            module.train(training)


def _package(trainer: Any) -> str:
    """The Lightning package ``trainer`` is of: ``lightning.pytorch`` or
    ``pytorch_lightning``."""
    top = type(trainer).__module__.split(".")[0]
    return "lightning.pytorch" if top == "lightning" else top


def _metrics_logger(package: str, run_id: str, metrics: _TrainingMetrics) -> Any:
    """A callback of Lightning ``package`` logging the fit's params at its start, and its
    metrics at the end of training steps and epochs (see :class:`_TrainingMetrics`)."""
    base: Any = importlib.import_module(package)

    class TrainingMetrics(base.Callback):
        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            quietly(_log_params, trainer, run_id)

        def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
            metrics.at_step(trainer.callback_metrics, trainer.global_step)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            metrics.at_epoch(trainer.callback_metrics, trainer.current_epoch)

    return TrainingMetrics()


class _TrainingMetrics:
    """What a fit logs as it goes: at the end of each ``log_every_n_epoch``-th epoch the
    metrics the module logged (the epoch as the step) and, with ``log_every_n_step``, at
    the end of every such training step the metrics logged by step (the global step as
    the step).

    Lightning hands callbacks one dict holding both kinds, so a name counts as an epoch's
    once it is there at an epoch's end before it is seen at a step; at a step, the
    forked ``loss`` of ``self.log("loss", on_step=True, on_epoch=True)`` is left out in
    favour of its ``loss_step`` (``loss`` is then the epoch's ``loss_epoch``), and the
    names logged by step are not logged again at the epoch's end. Step metrics are
    written in the background (a training step does not wait for the store);
    :meth:`finish` waits for them."""

    def __init__(self, run_id: str, options: LightningOptions) -> None:
        self.run_id = run_id
        self.options = options
        self.by_step: set[str] = set()
        self.by_epoch: set[str] = set()
        self.steps = StepMetrics(run_id)
        self.last_step = 0

    def at_step(self, values: dict[str, Any], step: int) -> None:
        every = self.options.log_every_n_step
        if every is None:
            return
        names = [
            name for name in values
            if name not in self.by_epoch and f"{name}_step" not in values
        ]  # fmt: skip
        self.by_step.update(names)
        # Batches accumulating gradients share a step (0 before the first): logged once.
        if step > self.last_step and step % every == 0:
            self.last_step = step
            self.steps.send(_numbers({name: values[name] for name in names}, step))

    def at_epoch(self, values: dict[str, Any], epoch: int) -> None:
        names = [name for name in values if name not in self.by_step]
        self.by_epoch.update(names)
        if (epoch + 1) % self.options.log_every_n_epoch == 0:
            log_metrics(self.run_id, _numbers({name: values[name] for name in names}, epoch))

    def finish(self) -> None:
        """Waits for the step metrics still being written (a failure is a warning)."""
        self.steps.finish()


def _numbers(values: dict[str, Any], step: int) -> list[Metric]:
    """The scalar ones of ``values`` (tensors or numbers) as metrics at ``step``."""
    now = now_ms()
    return [Metric(key, value, now, step) for key, value in scalars(values).items()]


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


def _log_after(trainer: Any, model: Any, run_id: str, first: _FirstInput) -> None:
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
        best = getattr(getattr(trainer, "checkpoint_callback", None), "best_model_path", "")
        if best:  # the trainer's own best checkpoint, which early stopping restores
            quietly(client().log_artifact, run_id, best, "restored_model_checkpoint")
    quietly(_log_summary, _package(trainer), model, run_id)
    shown = example_options("pytorch", first.rows, lambda rows: first.predicted(model, rows))
    log_model_of_fit("pytorch", model, run_id, **shown)


def _log_summary(package: str, model: Any, run_id: str) -> None:
    summaries = importlib.import_module(f"{package}.utilities.model_summary")
    text = str(summaries.ModelSummary(model, max_depth=-1))
    client().log_text(run_id, text + "\n", "model_summary.txt")
