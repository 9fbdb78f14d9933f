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
"""

from __future__ import annotations

import inspect
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument

__all__ = ["ARTIFACTS_DIR", "PythonModel", "PythonModelContext", "copy_artifacts", "prepared"]

ARTIFACTS_DIR = "artifacts"


@dataclass(frozen=True)
class PythonModelContext:
    """What a :class:`PythonModel` is given: ``artifacts`` (name → local path of the file
    or folder saved under that name) and ``model_config`` (empty: kept for MLflow's code)."""

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
        if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name:
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


def prepared(
    model: Any, directory: Path, artifacts: Mapping[str, str]
) -> tuple[Any, Callable[[Any], Any]]:
    """``model`` with its ``load_context`` run on the artifacts in ``directory``, and the
    function that predicts with it."""
    context = PythonModelContext({name: str(directory / rel) for name, rel in artifacts.items()})
    model.load_context(context)
    if _takes_context(model.predict):
        return model, lambda model_input: model.predict(context, model_input)
    return model, model.predict


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
