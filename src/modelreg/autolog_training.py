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
too (not past 20 classes). Each prediction on the training data is made once, for the
metrics and plots both. A metric the data leaves undefined (ROC AUC with one class) is
left out.
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
# The most classes a classifier's plots are drawn for.
PLOTTED_CLASSES = 20


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


class Outcome:
    """A fitted estimator and what it makes of its training data: each prediction is made
    once, for the metrics and the plots both."""

    def __init__(self, estimator: Any, data: Training) -> None:
        self.estimator = estimator
        self.data = data

    @property
    def predicts(self) -> bool:
        return self.data.labelled and hasattr(self.estimator, "predict")

    @functools.cached_property
    def predicted(self) -> Any:
        return self.estimator.predict(self.data.x)

    @functools.cached_property
    def probabilities(self) -> Any:
        """The class probabilities, or None for an estimator without ``predict_proba``."""
        if not hasattr(self.estimator, "predict_proba"):
            return None
        return self.estimator.predict_proba(self.data.x)

    @property
    def weights(self) -> dict[str, Any]:
        return {"sample_weight": self.data.sample_weight}


def training_metrics(outcome: Outcome, pos_label: Any = None) -> dict[str, float]:
    """The estimator's score and the usual metrics of its predictions on its training data
    (none without labels, or for an estimator that does not predict)."""
    from sklearn import metrics
    from sklearn.base import is_classifier, is_regressor

    if not outcome.predicts:
        return {}
    estimator, y, weights = outcome.estimator, outcome.data.y, outcome.weights
    predicted = outcome.predicted
    found = {"score": _score(estimator, outcome.data)}
    if is_classifier(estimator):
        average = {"average": "weighted" if pos_label is None else "binary", "zero_division": 0}
        if pos_label is not None:
            average["pos_label"] = pos_label
        found["accuracy_score"] = metrics.accuracy_score(y, predicted, **weights)
        found["precision_score"] = metrics.precision_score(y, predicted, **average, **weights)
        found["recall_score"] = metrics.recall_score(y, predicted, **average, **weights)
        found["f1_score"] = metrics.f1_score(y, predicted, **average, **weights)
        found.update(_probability_metrics(outcome))
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


def _probability_metrics(outcome: Outcome) -> dict[str, float]:
    """``log_loss`` and ``roc_auc`` of a classifier that gives probabilities."""
    from sklearn import metrics

    probabilities = outcome.probabilities
    if probabilities is None:
        return {}
    found = {}
    y, weights = outcome.data.y, outcome.weights
    labels = getattr(outcome.estimator, "classes_", None)
    scores = probabilities[:, 1] if probabilities.shape[1] == 2 else probabilities
    for name, compute in (
        ("log_loss", lambda: metrics.log_loss(y, probabilities, labels=labels, **weights)),
        ("roc_auc", lambda: metrics.roc_auc_score(
            y, scores, average="weighted", multi_class="ovo", labels=labels, **weights
        )),
    ):  # fmt: skip
        try:
            found[name] = compute()
        except ValueError:  # undefined for these labels (one class only): left out
            continue
    return found


def log_training_plots(client: Any, run_id: str, outcome: Outcome) -> None:
    """Logs a classifier's plots on its training data into ``run_id``: nothing without
    matplotlib, for another kind of estimator, or past ``PLOTTED_CLASSES`` classes (a
    confusion matrix nobody could read, slow to draw)."""
    from sklearn.base import is_classifier

    estimator = outcome.estimator
    if not (outcome.predicts and is_classifier(estimator)):
        return
    classes = len(getattr(estimator, "classes_", ()))
    if classes > PLOTTED_CLASSES:
        return
    try:
        import matplotlib  # noqa: F401 - an optional dependency: plots only with it
    except ImportError:
        return
    from sklearn import metrics

    y, weights = outcome.data.y, outcome.weights
    matrix = metrics.ConfusionMatrixDisplay.from_predictions
    plots = {"confusion_matrix": functools.partial(matrix, y, outcome.predicted, **weights)}
    if classes == 2 and outcome.probabilities is not None:
        scores = outcome.probabilities[:, 1]
        for name, display in (
            ("roc_curve", metrics.RocCurveDisplay),
            ("precision_recall_curve", metrics.PrecisionRecallDisplay),
        ):
            plots[name] = functools.partial(
                display.from_predictions, y, scores, pos_label=estimator.classes_[1],
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
