"""Python flavor: any object with a ``predict`` method whose class can be imported.

The class is stored by import path (``module:QualName``); its code is not
copied unless ``code_paths`` ships it. The object's state is stored as JSON
when that round-trips exactly, tried in this order:

1. ``obj.to_dict()`` when the class also has a ``from_dict`` classmethod;
   loading calls ``cls.from_dict(state)``;
2. ``obj.__getstate__()`` when the class defines it, or else ``vars(obj)``,
   when the result is plain JSON (str keys; no tuples, sets or arrays);
   loading makes ``cls.__new__(cls)`` and calls ``__setstate__(state)`` or
   updates ``__dict__``, exactly as unpickling would, minus the code.

Otherwise the object is pickled (``model.pkl``, with a ModelregWarning) and
loads only with ``trust_pickle=True``: unpickling can run arbitrary code.

A :class:`~modelreg.flavors.python_model.PythonModel` (MLflow's custom-model
interface) is saved the same way, with the artifacts it was given copied
beside it; loading runs its ``load_context`` and predicts with its context.

Loading a JSON-state model imports the class's module, which must be
installed where the model loads (or shipped in ``code/``, which itself needs
trust); the named object must be a class with ``predict``. Importing a
module runs its code, and the manifest names the module, so a module not
imported yet is imported only when the caller allows it: ``trust_code=True``
or ``trust_code=["mypkg"]`` (see ``modelreg.flavors._common.trusting_code``).
"""

from __future__ import annotations

import json
import pickle
import shutil
import warnings
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument, ModelregWarning, PermissionDenied
from modelreg.flavors._common import (
    SavedFlavor,
    SaveRequest,
    check_relpath,
    code_trusted,
    import_class,
    import_path,
    is_strict_json,
    untrusted,
)
from modelreg.flavors.python_model import (
    PythonModel,
    attach_artifacts,
    is_model_code,
    model_from_code,
    prepared,
)

NAME = "python"
SUPPORTS_MODEL_CONFIG = True  # a PythonModel reads its config (load_model(model_config=))
CODE_MODEL_DIR = "model_code"
STATE_FILE = "state.json"
PICKLE_FILE = "model.pkl"


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    if is_model_code(model):
        return _save_code(Path(model), directory, request)
    cls = type(model)
    if not callable(getattr(model, "predict", None)):
        raise InvalidArgument(f"model: {cls.__qualname__} has no predict method")
    spec: dict[str, Any] = {"name": NAME, "class": import_path(cls)}
    packages = [cls.__module__.split(".", 1)[0]]
    extra = attach_artifacts(model, request, directory, spec)
    state_format, state = _json_state(model)
    if state_format is not None:
        spec.update(state=state_format, file=STATE_FILE)
        # Key order is kept: it is the object's own, and dict order can matter to it.
        text = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
        (directory / STATE_FILE).write_text(text, encoding="utf-8")
        return SavedFlavor(spec, [STATE_FILE, *extra], packages)
    warnings.warn(
        f"{cls.__qualname__}'s state is not plain JSON, so it is saved as a pickle, which "
        "loads only with trust_pickle=True; give the class to_dict()/from_dict() to avoid that",
        ModelregWarning,
        stacklevel=4,
    )
    spec.update(state="pickle", file=PICKLE_FILE)
    (directory / PICKLE_FILE).write_bytes(pickle.dumps(model, protocol=5))
    return SavedFlavor(spec, [PICKLE_FILE, *extra], packages)


def _save_code(script: Path, directory: Path, request: SaveRequest) -> SavedFlavor:
    """A models-from-code script, run once here to check the model it sets."""
    model = model_from_code(script)
    target = directory / CODE_MODEL_DIR / script.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(script, target)
    spec: dict[str, Any] = {"name": NAME, "model_code": f"{CODE_MODEL_DIR}/{script.name}"}
    files = [spec["model_code"], *attach_artifacts(model, request, directory, spec)]
    return SavedFlavor(spec, files, [])


def _json_state(model: Any) -> tuple[str | None, Any]:
    cls = type(model)
    if callable(getattr(cls, "from_dict", None)) and callable(getattr(model, "to_dict", None)):
        state = model.to_dict()
        try:
            json.dumps(state, allow_nan=False)
        except (TypeError, ValueError):
            return None, None
        return "to_dict", state
    if _overrides(cls, "__reduce__", "__reduce_ex__") or hasattr(cls, "__slots__"):
        return None, None  # pickle would not go through __dict__, so neither may we
    if _overrides(cls, "__getstate__"):
        state = model.__getstate__()
    else:
        state = getattr(model, "__dict__", None)
    if isinstance(state, dict) and is_strict_json(state):
        return "state", state
    return None, None


def _overrides(cls: type, *names: str) -> bool:
    return any(getattr(cls, name, None) is not getattr(object, name, None) for name in names)


def load(
    directory: Path,
    spec: dict[str, Any],
    *,
    trust_pickle: bool,
    model_config: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    if "model_code" in spec:
        script = check_relpath(spec["model_code"], "model_code")
        if not code_trusted():
            raise PermissionDenied(
                f"model at {directory} is Python code ({script}) that loading runs; pass "
                "trust_code=True only if you trust whoever wrote the model"
            )
        model = model_from_code(directory / script)
    else:
        model = _load_object(directory, spec, trust_pickle)
    if "python_model" in spec:
        return prepared(model, directory, spec["python_model"], model_config)
    if model_config is not None:
        raise InvalidArgument(
            f"model_config: a {type(model).__qualname__} reads none; a PythonModel does"
        )
    return model, model.predict


def _load_object(directory: Path, spec: dict[str, Any], trust_pickle: bool) -> Any:
    state_format = spec.get("state")
    path = directory / spec["file"]
    if state_format == "pickle":
        if not trust_pickle:
            raise untrusted(directory, f"is a pickle ({spec['file']})")
        with path.open("rb") as f:
            model = pickle.load(f)
    else:
        cls: Any = import_class(spec["class"])
        if not callable(getattr(cls, "predict", None)):
            raise InvalidArgument(f"model class {spec['class']} has no predict method")
        state = json.loads(path.read_text(encoding="utf-8"))
        if state_format == "to_dict":
            model = cls.from_dict(state)
        elif state_format == "state":
            if not isinstance(state, dict):
                raise InvalidArgument(f"model at {directory}: {spec['file']} must hold an object")
            model = cls.__new__(cls)
            if hasattr(model, "__setstate__"):
                model.__setstate__(state)
            else:
                model.__dict__.update(state)
        else:
            raise InvalidArgument(
                f"model at {directory}: unknown python state format {state_format!r}"
            )
    return model


def example_output(model: Any, example: Any) -> Any:
    if isinstance(model, PythonModel) or is_model_code(model):
        return None  # it predicts only once load_context has read its artifacts
    return model.predict(example)
