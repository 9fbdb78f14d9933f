"""LightGBM flavor: a ``Booster`` or a scikit-learn estimator (``LGBMClassifier`` …) as text.

Saving writes LightGBM's text model format (``Booster.model_to_string``) to
``model.txt``; loading reads it with ``lightgbm.Booster(model_str=…)``.
Nothing is pickled either way.

A text model holds the booster only, not the scikit-learn wrapper around
it, so the manifest records which estimator it was and, for a classifier,
its ``classes_`` (as JSON). ``predict`` then answers as the estimator
would: class labels for ``LGBMClassifier`` (the most probable class), raw
scores for a regressor or ranker, and the booster's ``predict`` for a bare
Booster. ``.native`` is the ``lightgbm.Booster``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import SavedFlavor, SaveRequest, is_strict_json

NAME = "lightgbm"
FILE = "model.txt"
PACKAGES = ["lightgbm", "numpy"]
KINDS = ("booster", "classifier", "regressor", "ranker")


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    import lightgbm

    spec: dict[str, Any] = {"name": NAME, "file": FILE}
    if isinstance(model, lightgbm.Booster):
        booster, spec["kind"] = model, "booster"
    elif isinstance(model, lightgbm.LGBMModel):
        if not getattr(model, "fitted_", False):
            raise InvalidArgument(f"model: this {type(model).__name__} is not fitted yet")
        booster = model.booster_
        if isinstance(model, lightgbm.LGBMClassifier):
            classes = model.classes_.tolist()
            if not is_strict_json(classes):
                raise InvalidArgument(
                    f"model: the classifier's classes {classes!r:.80} are not plain JSON values"
                )
            spec.update(kind="classifier", classes=classes)
        else:
            spec["kind"] = "ranker" if isinstance(model, lightgbm.LGBMRanker) else "regressor"
    else:
        raise InvalidArgument(
            f"model: {type(model).__qualname__} is not a lightgbm.Booster or LGBMModel"
        )
    (directory / FILE).write_text(booster.model_to_string(), encoding="utf-8")
    return SavedFlavor(spec, [FILE], PACKAGES)


def load(directory: Path, spec: dict[str, Any], *, trust_pickle: bool) -> tuple[Any, Any]:
    import lightgbm

    kind = spec.get("kind")
    if kind not in KINDS:
        raise InvalidArgument(f"model at {directory}: lightgbm kind {kind!r:.40} not in {KINDS}")
    text = (directory / spec["file"]).read_text(encoding="utf-8")
    booster = lightgbm.Booster(model_str=text)
    if kind != "classifier":
        return booster, booster.predict
    classes = spec.get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        raise InvalidArgument(f"model at {directory}: a classifier needs its list of classes")
    return booster, lambda data: predict_labels(booster, classes, data)


def predict_labels(booster: Any, classes: list[Any], data: Any) -> Any:
    """Class labels as ``LGBMClassifier.predict`` gives them: the most probable class."""
    import numpy as np

    proba = booster.predict(data)
    labels = np.asarray(classes)
    if proba.ndim == 1:  # binary: the probability of the second class
        return labels[(proba > 0.5).astype(int)]
    return labels[np.argmax(proba, axis=1)]


def example_output(model: Any, example: Any) -> Any:
    return model.predict(example)
