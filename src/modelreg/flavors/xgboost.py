"""XGBoost flavor: a ``Booster`` or a scikit-learn estimator (``XGBClassifier`` …) in UBJSON.

Saving calls XGBoost's own ``save_model`` into ``model.ubj`` (Universal
Binary JSON, XGBoost's native format: trees, parameters and, for the
scikit-learn estimators, their attributes such as ``classes_``). The bytes
depend on the model alone, so saving one model twice gives one digest.
Loading builds the recorded class (only ``xgboost.Booster`` or one of
XGBoost's scikit-learn estimator classes; no import path from the file is
followed elsewhere) and calls ``load_model``; nothing is unpickled.

``predict`` is the estimator's ``predict`` (class labels for a classifier),
or for a bare Booster ``inplace_predict`` on the input array or DataFrame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import SavedFlavor, SaveRequest

NAME = "xgboost"
FILE = "model.ubj"
PACKAGES = ["xgboost", "numpy"]
BOOSTER = "Booster"
# The classes a file may ask for: XGBoost's own, nothing importable from elsewhere.
ESTIMATORS = ("XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    import xgboost

    if isinstance(model, xgboost.Booster):
        kind = BOOSTER
    elif type(model).__name__ in ESTIMATORS and isinstance(model, xgboost.XGBModel):
        kind = type(model).__name__
    else:
        raise InvalidArgument(
            f"model: {type(model).__qualname__} is not an xgboost.Booster or one of "
            f"XGBoost's estimators {list(ESTIMATORS)}"
        )
    try:
        model.save_model(str(directory / FILE))
    except xgboost.core.XGBoostError as exc:  # e.g. an estimator that was never fitted
        raise InvalidArgument(f"model: XGBoost cannot save it: {exc}") from exc
    return SavedFlavor({"name": NAME, "file": FILE, "class": kind}, [FILE], PACKAGES)


def load(directory: Path, spec: dict[str, Any], *, trust_pickle: bool) -> tuple[Any, Any]:
    import xgboost

    kind = spec.get("class")
    if kind == BOOSTER:
        booster = xgboost.Booster(model_file=str(directory / spec["file"]))
        return booster, lambda data: booster.inplace_predict(data)
    if kind not in ESTIMATORS:
        raise InvalidArgument(
            f"model at {directory}: xgboost class {kind!r:.60} is not {BOOSTER} or one of "
            f"{list(ESTIMATORS)}"
        )
    model = getattr(xgboost, kind)()
    model.load_model(str(directory / spec["file"]))
    return model, model.predict


def example_output(model: Any, example: Any) -> Any:
    import xgboost

    if isinstance(model, xgboost.Booster):
        return model.inplace_predict(example)
    return model.predict(example)
