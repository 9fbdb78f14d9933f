"""MLflow's custom-model interface: a ``PythonModel`` that reads files it was saved with.

A subclass's ``load_context(context)`` runs once when the model is loaded, with
``context.artifacts`` mapping each name given at save time
(``artifacts={"vocab": "data/vocab.txt"}``) to the local path of its copy in
the model's folder; ``predict(context, model_input)`` (or MLflow 3's ``predict(model_input)``) then
answers each call.
The instance itself is saved as any python-flavor object is (by import path,
its state as JSON; see :mod:`modelreg.flavors.python_class`), so what it builds
in ``load_context`` is never pickled.

>>> class Lookup(PythonModel):
...     def load_context(self, context):
...         self.words = Path(context.artifacts["vocab"]).read_text().split()
...     def predict(self, context, model_input):
...         return [self.words[i] for i in model_input]
>>> modelreg.pyfunc.log_model(name="lookup", python_model=Lookup(),
...                           artifacts={"vocab": "data/vocab.txt"}, code_paths=["lookup.py"])

Models from code, as MLflow 3 recommends them: ``python_model="lookup.py"``, a
script that defines the model and calls ``modelreg.models.set_model(Lookup())``.
The script is saved with the model and run again to load it, so loading needs
``trust_code=True``: it is code.
"""

from __future__ import annotations

import inspect
import os
import runpy
import shutil
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import SaveRequest, check_relpath

__all__ = [
    "ARTIFACTS_DIR",
    "PythonModel",
    "PythonModelContext",
    "attach_artifacts",
    "copy_artifacts",
    "is_model_code",
    "model_from_code",
    "prepared",
    "set_model",
    "unreadable_artifacts",
]

ARTIFACTS_DIR = "artifacts"


@dataclass(frozen=True)
class PythonModelContext:
    """What a :class:`PythonModel` is given: ``artifacts`` (name → local path of the file
    or folder saved under that name) and ``model_config`` (the config it was saved with,
    as changed by ``load_model(model_config=…)``)."""

    artifacts: dict[str, str]
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """A custom model, as MLflow's ``mlflow.pyfunc.PythonModel``: override
    :meth:`predict`, and :meth:`load_context` to read the saved artifacts."""

    def load_context(self, context: PythonModelContext) -> None:
        """Called once as the model loads, before any ``predict``; does nothing by default."""

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        """The prediction for ``model_input``."""
        raise NotImplementedError(f"{type(self).__qualname__} must define predict")


def attach_artifacts(
    model: Any, request: SaveRequest, directory: Path, spec: dict[str, Any]
) -> list[str]:
    """For a :class:`PythonModel`, copies its artifacts into the model ``directory`` and
    names them, and its ``model_config``, in the flavor's ``spec``; returns the files
    copied. Raises ``InvalidArgument`` when a model of another kind is given either."""
    if not isinstance(model, PythonModel):
        if request.artifacts or request.model_config:
            raise unreadable_artifacts(model)
        return []
    placed, files = copy_artifacts(request.artifacts or {}, directory)
    spec["python_model"] = {"artifacts": placed}
    if request.model_config:
        spec["python_model"]["model_config"] = request.model_config
    return files


def unreadable_artifacts(model: Any) -> InvalidArgument:
    """The error for artifacts or a model_config given to a model that cannot read them."""
    return InvalidArgument(
        f"artifacts and model_config: a {type(model).__qualname__} cannot read them; a "
        "PythonModel (modelreg.pyfunc.PythonModel) finds them in load_context's context"
    )


def copy_artifacts(
    artifacts: Mapping[str, Any], directory: Path
) -> tuple[dict[str, str], list[str]]:
    """Copies each artifact (a local file or folder) into ``artifacts/<name>`` of the model
    ``directory``; returns name → path in the model, and every file copied.

    Raises ``InvalidArgument`` for a name that is not one plain path segment or a path
    that does not exist."""
    if not isinstance(artifacts, Mapping):
        raise InvalidArgument("artifacts must map names to local files or folders")
    placed: dict[str, str] = {}
    files: list[str] = []
    for name, source in artifacts.items():
        if not isinstance(name, str) or "/" in name or _unsafe(name):
            raise InvalidArgument(f"artifacts: name {name!r:.60} must be one plain path segment")
        if not isinstance(source, str | os.PathLike) or not Path(source).exists():
            raise InvalidArgument(f"artifacts[{name!r}]: {source!r:.200} is not a local path")
        origin, target = Path(source), directory / ARTIFACTS_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target)
            files += [p.relative_to(directory).as_posix() for p in target.rglob("*") if p.is_file()]
        else:
            shutil.copyfile(origin, target)
            files.append(target.relative_to(directory).as_posix())
        placed[name] = f"{ARTIFACTS_DIR}/{name}"
    return placed, sorted(files)


def _unsafe(name: str) -> bool:
    try:
        check_relpath(name, "artifacts name")
    except InvalidArgument:
        return True
    return any(ord(c) < 32 for c in name)


# The models set_model was given while a models-from-code script runs (None: none runs).
_set_models: ContextVar[list[Any] | None] = ContextVar("modelreg_set_model", default=None)


def set_model(model: Any) -> None:
    """Names the model a models-from-code script defines, as MLflow's
    ``mlflow.models.set_model``: ``log_model(python_model="my_model.py")`` and loading run
    the script and take what it passed here. Run on its own, the script sets nothing."""
    found = _set_models.get()
    if found is not None:
        found.append(model)


def is_model_code(model: Any) -> bool:
    """Whether ``model`` is the path of a models-from-code script (a ``.py`` file)."""
    return isinstance(model, str | os.PathLike) and os.fspath(model).endswith(".py")


def model_from_code(path: Path) -> Any:
    """Runs the script at ``path`` and returns the model it gave :func:`set_model`.

    Raises ``InvalidArgument`` when the file is missing, never calls ``set_model``, or
    sets an object without ``predict``."""
    if not path.is_file():
        raise InvalidArgument(f"python_model: {str(path)!r:.200} is not a file")
    found: list[Any] = []
    token = _set_models.set(found)
    try:
        runpy.run_path(str(path), run_name="__modelreg_model__")
    finally:
        _set_models.reset(token)
    if not found:
        raise InvalidArgument(
            f"python_model: {path.name} never calls modelreg.models.set_model(model)"
        )
    if not callable(getattr(found[-1], "predict", None)):
        raise InvalidArgument(
            f"python_model: {path.name} sets a {type(found[-1]).__qualname__}, which has no "
            "predict method"
        )
    return found[-1]


def prepared(
    model: Any, directory: Path, spec: Mapping[str, Any], model_config: Mapping[str, Any] | None
) -> tuple[Any, Callable[[Any], Any]]:
    """``model`` with its ``load_context`` run on the artifacts in ``directory`` that the
    flavor's ``spec`` names and its config (values changed by ``model_config``), and the
    function that predicts with it. Raises ``InvalidArgument`` for a ``model_config`` key
    the saved config does not have."""
    artifacts = spec.get("artifacts") or {}
    placed = {
        name: str(directory / check_relpath(rel, "artifacts")) for name, rel in artifacts.items()
    }
    context = PythonModelContext(placed, _config(spec.get("model_config") or {}, model_config))
    model.load_context(context)
    if not _takes_context(model.predict):
        return model, model.predict
    if "params" in inspect.signature(model.predict).parameters:
        return model, lambda model_input, params=None: model.predict(
            context, model_input, params=params
        )
    return model, lambda model_input: model.predict(context, model_input)


def _config(saved: dict[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The saved config with ``changes`` (MLflow's rule: only keys it has; an unknown one
    is refused here, where MLflow warns and drops it)."""
    unknown = sorted(set(changes or {}) - set(saved))
    if unknown:
        keys = ", ".join(repr(k) for k in saved) or "none"
        raise InvalidArgument(
            f"model_config: {unknown[0]!r:.100} is not a key of the model's config (its keys: "
            f"{keys:.300}); give it when the model is logged"
        )
    return {**saved, **(changes or {})}


def _takes_context(predict: Callable[..., Any]) -> bool:
    """Whether ``predict`` is ``predict(context, model_input, …)`` rather than MLflow 3's
    ``predict(model_input, …)``: its first parameter is named ``context``, or it needs
    two arguments."""
    positional = [
        p
        for p in inspect.signature(predict).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in positional if p.default is p.empty]
    return bool(positional) and positional[0].name == "context" or len(required) >= 2
