"""MLflow's ``mlflow.pyfunc`` by its names: custom models and loading any model.

- ``load_model(uri)`` is :func:`modelreg.load_model`, whose model of any
  framework has ``predict`` (and ``.native``, the framework's object;
  ``unwrap_python_model()`` gives a ``PythonModel`` back).
- ``PythonModel`` and ``PythonModelContext``: a custom model whose
  ``load_context(context)`` reads the ``artifacts`` it was saved with and whose
  ``predict(context, model_input)`` answers (see
  :mod:`modelreg.flavors.python_model`).
- ``get_model_dependencies(uri)``: the path of the model's ``requirements.txt``.
- ``log_model(name=…, python_model=…, artifacts={…})`` and
  ``save_model(path, python_model=…, artifacts={…})``: :func:`modelreg.log_model`
  and :func:`modelreg.save_model` of a ``PythonModel``. An artifact is a local
  file or folder, or a ``runs:/`` or ``models:/`` URI (downloaded first). The
  model's class is saved by import path, never pickled: define it in a module
  (``code_paths=["my_model.py"]`` ships that module with the model), or log the
  model from code: ``python_model="my_model.py"``, a script ending in
  ``modelreg.models.set_model(MyModel())``, run again (with ``trust_code=True``) to load.

MLflow's older ``loader_module``/``data_path`` form has no counterpart.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelreg import models
from modelreg.errors import InvalidArgument
from modelreg.flavors.python_model import PythonModel, PythonModelContext
from modelreg.frameworks import default_requirements_for
from modelreg.model_folders import model_folder
from modelreg.models import load_model

__all__ = [
    "PythonModel",
    "PythonModelContext",
    "get_default_pip_requirements",
    "get_model_dependencies",
    "load_model",
    "log_model",
    "save_model",
]

ArtifactMap = Mapping[str, str | os.PathLike[str]]
get_default_pip_requirements = default_requirements_for("python", __name__)


def log_model(
    artifact_path: str | None = None,
    *,
    python_model: Any,
    artifacts: ArtifactMap | None = None,
    **options: Any,
) -> models.LoggedModel:
    """Logs ``python_model`` (a :class:`PythonModel`, any object with ``predict``, or the
    path of a models-from-code script that calls ``modelreg.models.set_model``; loading
    one needs ``trust_code=True``) with its ``artifacts`` into the run's artifacts; ``options`` are
    :func:`modelreg.log_model`'s (``name``, ``registered_model_name``, ``code_paths``,
    ``signature``, ``input_example`` …).

    Raises ``InvalidArgument`` for an artifact that is neither a local path nor a
    ``runs:/``/``models:/`` URI, or given to an object that is not a ``PythonModel``,
    and what :func:`modelreg.log_model` raises.
    """
    with tempfile.TemporaryDirectory(prefix="modelreg-artifacts-") as tmp:
        local = _local_artifacts(artifacts, Path(tmp))
        return models.log_model(python_model, artifact_path, artifacts=local, **options)


def save_model(
    path: str | os.PathLike[str],
    *,
    python_model: Any,
    artifacts: ArtifactMap | None = None,
    **options: Any,
) -> Any:
    """Saves ``python_model`` with its ``artifacts`` into a new folder at ``path``, with no
    store or run (:func:`modelreg.save_model`); ``load_model(path)`` loads it back."""
    with tempfile.TemporaryDirectory(prefix="modelreg-artifacts-") as tmp:
        local = _local_artifacts(artifacts, Path(tmp))
        return models.save_model(python_model, path, artifacts=local, **options)


def get_model_dependencies(model_uri: str | os.PathLike[str], format: str = "pip") -> str:
    """The local path of the model's ``requirements.txt`` (the pinned packages it was saved
    with), as MLflow's: ``pip install -r "$(python -c '…get_model_dependencies(uri)')"``.

    Raises ``InvalidArgument`` for a format other than ``pip`` (modelreg records no conda
    environment), and what :func:`modelreg.load_model` raises for the URI.
    """
    from modelreg.flavors.model_dir import REQUIREMENTS_NAME

    if format != "pip":
        raise InvalidArgument(
            f"format must be 'pip', got {format!r:.40}: modelreg records pip requirements only"
        )
    return str(model_folder(model_uri) / REQUIREMENTS_NAME)


def _local_artifacts(artifacts: ArtifactMap | None, folder: Path) -> ArtifactMap | None:
    """``artifacts`` with each ``runs:/`` or ``models:/`` URI downloaded into ``folder``."""
    if not isinstance(artifacts, Mapping):
        return artifacts  # None, or refused with the reason by the flavor
    from modelreg.fluent_artifacts import download_artifacts

    local: dict[str, str | os.PathLike[str]] = {}
    for name, source in artifacts.items():
        if isinstance(source, str) and source.startswith(("runs:/", "models:/")):
            target = folder / str(len(local))
            target.mkdir()
            source = download_artifacts(artifact_uri=source, dst_path=str(target))
        local[name] = source
    return local
