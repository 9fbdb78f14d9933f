"""What autolog logs of how a scikit-learn estimator does on its training data, as
MLflow's autolog does: the estimator's score and the usual metrics of its predictions
(``training_accuracy_score``, ``training_f1_score`` … for a classifier,
``training_mean_squared_error``, ``training_r2_score`` … for a regressor), weighted by
the ``sample_weight`` the fit was given; a classifier with ``predict_proba`` adds
``training_log_loss`` and ``training_roc_auc``. Precision, recall and F1 are averaged
over the classes weighted by support, or taken for ``pos_label`` alone when autolog was
given one. With matplotlib installed (``modelreg[plots]``), a classifier's confusion matrix
(``training_confusion_matrix.png``) and, for two classes, its ROC and precision-recall
curves (``training_roc_curve.png``, ``training_precision_recall_curve.png``) are logged
too. A metric the data leaves undefined (ROC AUC with one class) is left out.
"""

from __future__ import annotations

import functools
import inspect
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "training_"


@dataclass(frozen=True)
class Training:
    """What a fit was given: the features, labels and sample weights (each None when
    not given)."""

    x: Any
    y: Any
    sample_weight: Any = None

    @property
    def labelled(self) -> bool:
        return self.x is not None and self.y is not None


def training_of(
    fit: Any, estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Training:
    """The data of the call ``fit(estimator, *args, **kwargs)``: ``X``, ``y`` and a
    ``sample_weight`` when ``fit`` takes one."""
    x = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    try:
        bound = inspect.signature(fit).bind_partial(estimator, *args, **kwargs)
    except (TypeError, ValueError):  # a signature inspect cannot read or bind
        return Training(x, y)
    return Training(x, y, bound.arguments.get("sample_weight"))


def training_metrics(estimator: Any, data: Training, pos_label: Any = None) -> dict[str, float]:
    """The estimator's score and the usual metrics of its predictions on ``data`` (none
    without labels, or for an estimator that does not predict)."""
    from sklearn import metrics
    from sklearn.base import is_classifier, is_regressor

    if not data.labelled or not hasattr(estimator, "predict"):
        return {}
    weights = {"sample_weight": data.sample_weight}
    x, y = data.x, data.y
    predicted = estimator.predict(x)
    found = {"score": _score(estimator, data)}
    if is_classifier(estimator):
        average = {"average": "weighted" if pos_label is None else "binary", "zero_division": 0}
        if pos_label is not None:
            average["pos_label"] = pos_label
        found["accuracy_score"] = metrics.accuracy_score(y, predicted, **weights)
        found["precision_score"] = metrics.precision_score(y, predicted, **average, **weights)
        found["recall_score"] = metrics.recall_score(y, predicted, **average, **weights)
        found["f1_score"] = metrics.f1_score(y, predicted, **average, **weights)
        found.update(_probability_metrics(estimator, data))
    elif is_regressor(estimator):
        mse = metrics.mean_squared_error(y, predicted, **weights)
        found["mean_squared_error"] = mse
        found["root_mean_squared_error"] = mse**0.5
        found["mean_absolute_error"] = metrics.mean_absolute_error(y, predicted, **weights)
        found["r2_score"] = metrics.r2_score(y, predicted, **weights)
    return {PREFIX + name: float(value) for name, value in found.items()}


def _score(estimator: Any, data: Training) -> float:
    if data.sample_weight is not None and "sample_weight" in _parameters(estimator.score):
        return float(estimator.score(data.x, data.y, sample_weight=data.sample_weight))
    return float(estimator.score(data.x, data.y))


def _parameters(function: Any) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()


def _probability_metrics(estimator: Any, data: Training) -> dict[str, float]:
    """``log_loss`` and ``roc_auc`` of a classifier that gives probabilities."""
    from sklearn import metrics

    if not hasattr(estimator, "predict_proba"):
        return {}
    probabilities = estimator.predict_proba(data.x)
    found = {}
    weights = {"sample_weight": data.sample_weight}
    labels = getattr(estimator, "classes_", None)
    scores = probabilities[:, 1] if probabilities.shape[1] == 2 else probabilities
    for name, compute in (
        ("log_loss", lambda: metrics.log_loss(data.y, probabilities, labels=labels, **weights)),
        ("roc_auc", lambda: metrics.roc_auc_score(
            data.y, scores, average="weighted", multi_class="ovo", labels=labels, **weights
        )),
    ):  # fmt: skip
        try:
            found[name] = compute()
        except ValueError:  # undefined for these labels (one class only): left out
            continue
    return found


def log_training_plots(client: Any, run_id: str, estimator: Any, data: Training) -> None:
    """Logs a classifier's plots on its training data into ``run_id`` (nothing without
    matplotlib, or for another kind of estimator)."""
    from sklearn.base import is_classifier

    if not (data.labelled and is_classifier(estimator) and hasattr(estimator, "predict")):
        return
    try:
        import matplotlib  # noqa: F401 - an optional dependency: plots only with it
    except ImportError:
        return
    from sklearn import metrics

    predicted = estimator.predict(data.x)
    weights = {"sample_weight": data.sample_weight}
    matrix = metrics.ConfusionMatrixDisplay.from_predictions
    plots = {"confusion_matrix": functools.partial(matrix, data.y, predicted, **weights)}
    if len(getattr(estimator, "classes_", ())) == 2 and hasattr(estimator, "predict_proba"):
        scores = estimator.predict_proba(data.x)[:, 1]
        for name, display in (
            ("roc_curve", metrics.RocCurveDisplay),
            ("precision_recall_curve", metrics.PrecisionRecallDisplay),
        ):
            plots[name] = functools.partial(
                display.from_predictions, data.y, scores, pos_label=estimator.classes_[1],
                name=type(estimator).__name__, **weights,
            )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="modelreg-plots-") as folder:
        for name, draw in plots.items():
            _draw(draw, Path(folder) / f"{PREFIX}{name}.png")
        client.log_artifacts(run_id, folder)


def _draw(draw: Callable[..., Any], path: Path) -> None:
    """Draws one plot on a figure of its own (matplotlib's object API: no pyplot, so no
    GUI backend and no global figure list) and saves it as ``path``, cropped to what is
    drawn (long class names included), at half the time of a constrained layout."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 5))
    draw(ax=figure.subplots())
    figure.savefig(path, dpi=100, bbox_inches="tight")
