"""CatBoost flavor: ``CatBoost``, ``CatBoostClassifier``, ``CatBoostRegressor`` or
``CatBoostRanker``, in CatBoost's native binary format.

Saving calls ``save_model(…, format="cbm")`` into ``model.cbm``; loading
builds the recorded class (one of the four above, nothing else) and calls
``load_model(…, format="cbm")``. The format holds the trees, the
categorical-feature encodings and the class labels; nothing is pickled.
``predict`` is the model's own (labels for a classifier).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import SavedFlavor, SaveRequest

NAME = "catboost"
FILE = "model.cbm"
PACKAGES = ["catboost", "numpy"]
CLASSES = ("CatBoost", "CatBoostClassifier", "CatBoostRegressor", "CatBoostRanker")


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    import catboost

    cls = next((c for c in type(model).__mro__ if c.__module__.startswith("catboost.")), None)
    if cls is None or cls.__name__ not in CLASSES or not isinstance(model, catboost.CatBoost):
        raise InvalidArgument(f"model: {type(model).__qualname__} is not one of {list(CLASSES)}")
    if not model.is_fitted():
        raise InvalidArgument(f"model: this {cls.__name__} is not fitted yet")
    model.save_model(str(directory / FILE), format="cbm")
    return SavedFlavor({"name": NAME, "file": FILE, "class": cls.__name__}, [FILE], PACKAGES)


def load(directory: Path, spec: dict[str, Any], *, trust_pickle: bool) -> tuple[Any, Any]:
    import catboost

    kind = spec.get("class")
    if kind not in CLASSES:
        raise InvalidArgument(
            f"model at {directory}: catboost class {kind!r:.60} is not one of {list(CLASSES)}"
        )
    model = getattr(catboost, kind)()
    model.load_model(str(directory / spec["file"]), format="cbm")
    return model, model.predict


def example_output(model: Any, example: Any) -> Any:
    return model.predict(example)
