"""Checkpoints of a PyTorch Lightning fit kept as artifacts of its run
(``modelreg.pytorch.autolog(checkpoint=True)``, on by default as in MLflow), and
:func:`load_checkpoint`, which builds a module from one.

A checkpoint is what ``Trainer.save_checkpoint`` writes, next to a JSON file of the
metrics it was taken at (with ``epoch`` and ``global_step``), in MLflow's layout, so
either tool reads the other's: with ``checkpoint_save_best_only`` (the default) one
checkpoint, ``checkpoints/latest_checkpoint.pth``, replaced each time the monitored
metric improves; otherwise one per epoch (``checkpoints/epoch_3/checkpoint.pth``) or
per ``checkpoint_save_freq`` steps (``checkpoints/global_step_200/…``). Weights-only
checkpoints are named ``….weights.pth``. The run's ``mlflow.latest_checkpoint_artifact``
tag names the latest; it is set once that checkpoint's files are stored.
"""

from __future__ import annotations

import importlib
import json
import math
import pickle
import tempfile
from pathlib import Path
from typing import Any

from modelreg.autolog_runs import LightningOptions, client, quietly, scalars, warn
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.run_tags import LATEST_CHECKPOINT_TAG

CHECKPOINT_DIR = "checkpoints"


def callback(package: str, run_id: str, options: LightningOptions) -> Any:
    """A callback of Lightning ``package`` that logs the fit's checkpoints into ``run_id``
    as ``options`` say."""
    base: Any = importlib.import_module(package)
    keeper = _Keeper(run_id, options)
    every = options.checkpoint_save_freq

    class Checkpoints(base.Callback):
        def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
            step = trainer.global_step
            # Batches accumulating gradients share a step (0 before the first): saved once.
            if isinstance(every, int) and step > keeper.saved_step and step % every == 0:
                keeper.saved_step = step
                quietly(keeper.save, trainer)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if every == "epoch":
                quietly(keeper.save, trainer)

    return Checkpoints()


class _Keeper:
    """Saves a fit's checkpoints into its run, the best ones only when asked."""

    def __init__(self, run_id: str, options: LightningOptions) -> None:
        self.run_id = run_id
        self.options = options
        self.best: float | None = None
        self.warned = False
        self.saved_step = 0

    def save(self, trainer: Any) -> None:
        metrics = scalars(trainer.callback_metrics)
        if self.options.checkpoint_save_best_only and not self._improves(metrics):
            return
        folder, name, metrics_name = self._place(trainer.current_epoch, trainer.global_step)
        taken_at = {**metrics, "epoch": trainer.current_epoch, "global_step": trainer.global_step}
        with tempfile.TemporaryDirectory(prefix="modelreg-checkpoint-") as scratch:
            weights_only = self.options.checkpoint_save_weights_only
            trainer.save_checkpoint(Path(scratch) / name, weights_only=weights_only)
            (Path(scratch) / metrics_name).write_text(json.dumps(taken_at, indent=2))
            client().log_artifacts(self.run_id, scratch, folder)
        client().set_tag(self.run_id, LATEST_CHECKPOINT_TAG, f"{folder}/{name}")

    def _improves(self, metrics: dict[str, float]) -> bool:
        monitor = str(self.options.checkpoint_monitor)
        value = metrics.get(monitor)
        if value is None or math.isnan(value):
            self._warn_once(monitor, metrics)
            return False
        if self.best is not None:
            minimum = self.options.checkpoint_mode == "min"
            if not (value < self.best if minimum else value > self.best):
                return False
        self.best = value
        return True

    def _warn_once(self, monitor: str, metrics: dict[str, float]) -> None:
        if self.warned:
            return
        self.warned = True
        known = ", ".join(sorted(metrics)) or "none"
        warn(
            f"autolog: no checkpoint is logged while the module does not log "
            f"{monitor!r:.80} (it logs: {known:.300}); pass checkpoint_monitor= a metric "
            f"it logs, checkpoint_save_best_only=False or checkpoint=False"
        )

    def _place(self, epoch: int, step: int) -> tuple[str, str, str]:
        """The folder, checkpoint file and metrics file of a checkpoint."""
        suffix = ".weights.pth" if self.options.checkpoint_save_weights_only else ".pth"
        if self.options.checkpoint_save_best_only:
            return CHECKPOINT_DIR, f"latest_checkpoint{suffix}", "latest_checkpoint_metrics.json"
        sub = (
            f"epoch_{epoch}"
            if self.options.checkpoint_save_freq == "epoch"
            else f"global_step_{step}"
        )
        return f"{CHECKPOINT_DIR}/{sub}", f"checkpoint{suffix}", "checkpoint_metrics.json"


def checkpoint_artifact(
    run_id: str, epoch: int | None = None, global_step: int | None = None
) -> str:
    """The artifact path of the run's latest checkpoint, or of the one taken at ``epoch``
    or ``global_step``. Raises ``NotFound`` when the run logged none, ``InvalidArgument``
    when both are given."""
    if epoch is not None and global_step is not None:
        raise InvalidArgument("epoch, global_step: give one of them, not both")
    latest = client().get_run(run_id).data.tags.get(LATEST_CHECKPOINT_TAG)
    if latest is None:
        raise NotFound(f"run '{run_id}' has no logged checkpoint")
    name = latest.rsplit("/", 1)[-1].removeprefix("latest_")
    if epoch is not None:
        return f"{CHECKPOINT_DIR}/epoch_{epoch}/{name}"
    if global_step is not None:
        return f"{CHECKPOINT_DIR}/global_step_{global_step}/{name}"
    return latest


def load_checkpoint(
    model_class: Any,
    run_id: str,
    epoch: int | None = None,
    global_step: int | None = None,
    kwargs: dict[str, Any] | None = None,
    trust_pickle: bool = False,
) -> Any:
    """``model_class`` (a ``LightningModule``) built from a checkpoint of ``run_id``; see
    :func:`modelreg.pytorch.load_checkpoint`."""
    path = checkpoint_artifact(run_id, epoch, global_step)
    with tempfile.TemporaryDirectory(prefix="modelreg-checkpoint-") as scratch:
        file = client().download_artifacts(run_id, path, scratch)
        try:
            return model_class.load_from_checkpoint(
                file, weights_only=not trust_pickle, **(kwargs or {})
            )
        except pickle.UnpicklingError as exc:  # its error class only: nothing is unpickled
            raise PermissionDenied(
                f"checkpoint '{path}' of run '{run_id}' holds objects other than tensors and "
                f"plain containers ({exc}); pass trust_pickle=True only if you trust it"
            ) from None
