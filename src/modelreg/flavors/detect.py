"""Which flavor saves a given object, decided from its type without importing frameworks."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors.onnx import is_onnx_model
from modelreg.flavors.python_model import is_model_code

# flavor name -> module implementing save/load (imported only when used)
FLAVOR_MODULES = {
    "sklearn": "modelreg.flavors.sklearn",
    "pytorch": "modelreg.flavors.pytorch",
    "onnx": "modelreg.flavors.onnx",
    "python": "modelreg.flavors.python_class",
    "xgboost": "modelreg.flavors.xgboost",
    "lightgbm": "modelreg.flavors.lightgbm",
    "catboost": "modelreg.flavors.catboost",
    "keras": "modelreg.flavors.keras",
    "transformers": "modelreg.flavors.transformers",
}
FLAVOR_NAMES = tuple(FLAVOR_MODULES)

# Packages whose objects have a flavor of their own, checked before torch and
# scikit-learn: a Keras 3 model on the torch backend is a torch.nn.Module, a
# Transformers model too, and XGBoost's and LightGBM's estimators derive from
# scikit-learn's base classes.
_PACKAGE_FLAVORS = ("keras", "transformers", "xgboost", "lightgbm", "catboost")


def flavor_module(name: Any) -> ModuleType:
    """The module implementing flavor ``name``; InvalidArgument for unknown names."""
    if name not in FLAVOR_MODULES:
        raise InvalidArgument(f"flavor must be one of {list(FLAVOR_NAMES)}, got {name!r:.40}")
    return importlib.import_module(FLAVOR_MODULES[name])


def detect_flavor(model: Any) -> str:
    """The flavor for ``model``, decided in this order: onnx; keras, transformers,
    xgboost, lightgbm, catboost (by the package the object's classes come from);
    pytorch, sklearn, python.

    Only the module names along the type's MRO are looked at, so a framework
    is imported only for objects whose class comes from it (and is then
    already imported anyway).
    """
    if is_onnx_model(model):
        return "onnx"
    if is_model_code(model):
        return "python"
    roots = {cls.__module__.split(".", 1)[0] for cls in type(model).__mro__}
    for package in _PACKAGE_FLAVORS:
        if package in roots:
            return package
    torch = sys.modules.get("torch") if "torch" in roots else None
    if torch is not None and isinstance(model, torch.nn.Module):
        return "pytorch"
    if "sklearn" in roots:
        return "sklearn"
    if callable(getattr(model, "predict", None)):
        return "python"
    raise InvalidArgument(
        f"model: cannot tell how to save a {type(model).__qualname__}; modelreg saves "
        "scikit-learn estimators, torch.nn.Module, ONNX models (ModelProto or a .onnx path), "
        "XGBoost, LightGBM and CatBoost models, Keras 3 models, Transformers pipelines "
        "and objects with a predict method"
    )
