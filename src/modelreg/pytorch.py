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
from modelreg.frameworks import autolog_for, default_requirements_for, functions_for

log_model, save_model, load_model = functions_for("pytorch", __name__)
get_default_pip_requirements = default_requirements_for("pytorch", __name__)
autolog = autolog_for("pytorch", __name__)

STATE_DICT_FILE = "state_dict.pth"

__all__ = [
    "autolog",
    "get_default_pip_requirements",
    "load_model",
    "load_state_dict",
    "log_model",
    "log_state_dict",
    "save_model",
    "save_state_dict",
]


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
