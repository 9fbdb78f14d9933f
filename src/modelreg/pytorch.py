"""PyTorch models by MLflow's names (``mlflow.pytorch``).

``log_model``, ``save_model``, and ``load_model``, which gives the PyTorch object
itself; see :mod:`modelreg.frameworks`. ``autolog`` logs PyTorch Lightning's
``Trainer.fit`` (see :mod:`modelreg.autolog_lightning`), as MLflow's does.
``log_state_dict``, ``save_state_dict`` and ``load_state_dict`` keep a checkpoint's
``state_dict`` (a model's or an optimizer's) as MLflow's do, in ``state_dict.pth``;
loading reads it with ``torch.load(..., weights_only=True)``, which builds tensors and
plain containers only, so a file that holds other objects needs ``trust_pickle=True``.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.extras import needs_extras
from modelreg.frameworks import default_requirements_for, functions_for

log_model, save_model, load_model = functions_for("pytorch", __name__)
get_default_pip_requirements = default_requirements_for("pytorch", __name__)

STATE_DICT_FILE = "state_dict.pth"

__all__ = [
    "autolog",
    "get_default_pip_requirements",
    "load_checkpoint",
    "load_model",
    "load_state_dict",
    "log_model",
    "log_state_dict",
    "save_model",
    "save_state_dict",
]


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    log_every_n_epoch: int = 1,
    log_every_n_step: int | None = None,
    checkpoint: bool = True,
    checkpoint_monitor: str | None = "val_loss",
    checkpoint_mode: str = "min",
    checkpoint_save_best_only: bool = True,
    checkpoint_save_weights_only: bool = False,
    checkpoint_save_freq: str | int = "epoch",
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    exclusive: bool = False,
    silent: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    registered_model_name: str | None = None,
    disable_for_unsupported_versions: bool = False,
) -> None:
    """Logs every PyTorch Lightning ``Trainer.fit`` from now on (``disable=True`` stops
    it), as ``mlflow.pytorch.autolog``: :func:`modelreg.autolog` for Lightning alone,
    with its arguments (see :mod:`modelreg.autolog_lightning`).

    The metrics the module logs go to the run at the end of every
    ``log_every_n_epoch``-th epoch, and those it logs by step at every
    ``log_every_n_step``-th training step (None, the default: not by step). With
    ``checkpoint`` (the default) its checkpoints are artifacts of the run (see
    :mod:`modelreg.lightning_checkpoints`): when ``checkpoint_monitor`` improves
    (``checkpoint_mode`` ``"min"`` or ``"max"``), or every one with
    ``checkpoint_save_best_only=False``; at each epoch's end or every
    ``checkpoint_save_freq`` steps; the module's weights alone with
    ``checkpoint_save_weights_only``. :func:`load_checkpoint` reads them back. Raises
    ``InvalidArgument`` naming a wrong argument, ``MissingDependency`` without
    Lightning.

    >>> modelreg.pytorch.autolog(log_every_n_step=50, checkpoint_monitor="val_acc",
    ...                          checkpoint_mode="max")
    >>> trainer.fit(module, train_loader, val_loader)
    """
    from modelreg.autolog_runs import AutologOptions, LightningOptions
    from modelreg.autologging import autolog_framework, check_tags

    lightning = LightningOptions(
        log_every_n_epoch, log_every_n_step, checkpoint, checkpoint_monitor, checkpoint_mode,
        checkpoint_save_best_only, checkpoint_save_weights_only, checkpoint_save_freq,
    )  # fmt: skip
    options = AutologOptions(
        log_models, log_input_examples, log_model_signatures, log_datasets, exclusive, silent,
        check_tags(extra_tags), registered_model_name, lightning=lightning,
    )  # fmt: skip
    autolog_framework("pytorch", options, disable)


def load_checkpoint(
    model_class: Any,
    run_id: str | None = None,
    epoch: int | None = None,
    global_step: int | None = None,
    kwargs: Mapping[str, Any] | None = None,
    *,
    trust_pickle: bool = False,
) -> Any:
    """``model_class`` (a ``LightningModule`` subclass) built from a checkpoint that
    :func:`autolog` logged into ``run_id`` (the active run when None): the latest, or the
    one taken at ``epoch`` or ``global_step`` (with ``checkpoint_save_best_only=False``).
    ``kwargs`` go to ``model_class.load_from_checkpoint``. The file is read with
    ``weights_only=True``, which builds tensors and plain containers only, so a
    checkpoint whose hyperparameters hold other objects needs ``trust_pickle=True``
    (``PermissionDenied`` otherwise). Raises ``NotFound`` when the run logged no
    checkpoint (or none at that epoch or step), ``InvalidArgument`` when both are given,
    no run is named or active, or ``model_class`` is no ``LightningModule``.

    >>> module = modelreg.pytorch.load_checkpoint(MyModule, run_id, epoch=2)
    """
    from modelreg import fluent
    from modelreg.lightning_checkpoints import load_checkpoint as load

    if not callable(getattr(model_class, "load_from_checkpoint", None)):
        raise InvalidArgument(
            f"model_class: a LightningModule subclass builds a module from a checkpoint, "
            f"not {getattr(model_class, '__name__', type(model_class).__name__)!r:.60}"
        )
    if run_id is None:
        active = fluent.active_run()
        if active is None:
            raise InvalidArgument("run_id: name the run (no run is active)")
        run_id = active.info.run_id
    return load(model_class, run_id, epoch, global_step, dict(kwargs or {}), trust_pickle)


def save_state_dict(
    state_dict: Mapping[str, Any], path: str | os.PathLike[str], **kwargs: Any
) -> None:
    """Writes ``state_dict`` to ``path/state_dict.pth`` with ``torch.save`` (``kwargs`` go
    to it). Raises ``InvalidArgument`` for anything but a dict."""
    if not isinstance(state_dict, Mapping):
        raise InvalidArgument(f"state_dict must be a dict, got {type(state_dict).__name__}")
    with needs_extras():
        import torch
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict), folder / STATE_DICT_FILE, **kwargs)


def log_state_dict(state_dict: Mapping[str, Any], artifact_path: str, **kwargs: Any) -> None:
    """Saves ``state_dict`` (see :func:`save_state_dict`) into the active run's artifacts
    at ``artifact_path``; ``load_state_dict(f"runs:/{run_id}/{artifact_path}")`` reads it.

    >>> with modelreg.start_run():
    ...     modelreg.pytorch.log_state_dict(model.state_dict(), "checkpoint")
    """
    from modelreg.fluent_artifacts import log_artifacts

    with tempfile.TemporaryDirectory(prefix="modelreg-state-") as folder:
        save_state_dict(state_dict, folder, **kwargs)
        log_artifacts(folder, artifact_path)


def load_state_dict(state_dict_uri: str, *, trust_pickle: bool = False, **kwargs: Any) -> Any:
    """The state dict at ``state_dict_uri`` (a ``runs:/`` or ``models:/`` URI, an artifact
    URI, or a local folder) read with ``torch.load`` (``kwargs`` go to it, such as
    ``map_location``). Raises ``PermissionDenied`` for a file that holds more than
    tensors and plain containers unless ``trust_pickle=True``, ``NotFound`` when the URI
    names nothing."""
    with needs_extras():
        import torch
    folder = Path(state_dict_uri)
    if not folder.is_dir():
        from modelreg.fluent_artifacts import download_artifacts

        folder = Path(download_artifacts(artifact_uri=state_dict_uri))
    path = folder / STATE_DICT_FILE if folder.is_dir() else folder
    if not path.is_file():
        raise InvalidArgument(f"'{state_dict_uri:.200}' holds no {STATE_DICT_FILE}")
    try:
        return torch.load(path, weights_only=not trust_pickle, **kwargs)
    except pickle.UnpicklingError as exc:  # only its error class: nothing is unpickled here
        raise PermissionDenied(
            f"{STATE_DICT_FILE} at '{state_dict_uri:.200}' holds objects other than tensors "
            f"and plain containers ({exc}); pass trust_pickle=True only if you trust it"
        ) from None
