"""Automatic logging of Hugging Face ``Trainer.train``, the Transformers part of
``modelreg.autolog()``.

Each ``train`` logs to the active run (or to a run of its own): the training
arguments and the model's config as parameters (``learning_rate``,
``num_train_epochs``, ``per_device_train_batch_size`` … and ``model_type``,
``hidden_size`` …), and everything the Trainer logs as metrics (``loss``,
``grad_norm``, ``learning_rate``, ``eval_loss``, ``train_runtime`` …), the
global step as the step. The model itself is not logged: a bare model has no
task; log a pipeline of it with ``modelreg.log_model(pipeline(task, model=…))``.

As for Keras, ``autolog()`` does not import Transformers: ``train`` is wrapped
once ``transformers.trainer`` is imported.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from modelreg.autolog_runs import client, fit_in_run, log_metrics, param_text, quietly
from modelreg.entities import Metric, Param
from modelreg.import_hooks import MethodWrap
from modelreg.timeutil import now_ms

# Params a batch holds: a Trainer's arguments and a model's config are ~150 together.
_PARAMS_PER_BATCH = 100
_local = threading.local()


def enable() -> None:
    """Wraps ``Trainer.train`` now if ``transformers.trainer`` is imported, else once it is."""
    _TRAIN.on()


def disable() -> None:
    """Puts ``train`` back and forgets a pending wrap."""
    _TRAIN.off()


def _logging(train: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(train)
    def logged_train(trainer: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "inside", False):
            return train(trainer, *args, **kwargs)
        _local.inside = True
        try:
            return fit_in_run(
                "transformers",
                lambda run_id: _train(train, trainer, run_id, args, kwargs),
                _nothing,
            )
        finally:
            _local.inside = False

    return logged_train


_TRAIN = MethodWrap("transformers.trainer", "Trainer", "train", _logging)


def _nothing(run_id: str) -> None:
    """What is logged after training: the callback logged it all as it went."""


def _train(
    train: Callable[..., Any], trainer: Any, run_id: str | None, args: Any, kwargs: Any
) -> Any:
    if run_id is None:
        return train(trainer, *args, **kwargs)
    quietly(_log_params, trainer, run_id)
    callback = _step_logger(run_id)
    trainer.add_callback(callback)
    try:
        return train(trainer, *args, **kwargs)
    finally:
        trainer.remove_callback(callback)


def _log_params(trainer: Any, run_id: str) -> None:
    """The model's config and the training arguments (these win a clash: they trained it)."""
    config = getattr(getattr(trainer, "model", None), "config", None)
    found = config.to_dict() if config is not None else {}
    found.update(trainer.args.to_dict())
    params = [Param(key, param_text(value)) for key, value in found.items() if len(key) <= 250]
    fluent_client = client()
    for at in range(0, len(params), _PARAMS_PER_BATCH):
        fluent_client.log_batch(run_id, params=params[at : at + _PARAMS_PER_BATCH])


def _step_logger(run_id: str) -> Any:
    """A Trainer callback logging what the Trainer logs, its global step as the step."""
    from transformers import TrainerCallback

    class StepMetrics(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **_: Any) -> None:
            now = now_ms()
            metrics = []
            for key, value in (logs or {}).items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    metrics.append(Metric(key, float(value), now, state.global_step))
            log_metrics(run_id, metrics)

    return StepMetrics()
