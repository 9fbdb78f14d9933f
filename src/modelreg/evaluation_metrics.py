"""The standard metrics of a classifier's or a regressor's predictions, under MLflow's names.

Pure functions of arrays (scikit-learn's metrics do the arithmetic), so
:func:`modelreg.evaluate` and anything else computes them the same way:

- classifier: ``example_count``, ``accuracy_score``, ``precision_score``,
  ``recall_score``, ``f1_score``; with two classes also ``true_negatives``,
  ``false_positives``, ``false_negatives``, ``true_positives``; with class
  probabilities also ``log_loss``, ``roc_auc`` and (two classes)
  ``precision_recall_auc``;
- regressor: ``example_count``, ``mean_absolute_error``,
  ``mean_squared_error``, ``root_mean_squared_error``, ``sum_on_target``,
  ``mean_on_target``, ``r2_score``, ``max_error``,
  ``mean_absolute_percentage_error``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from modelreg.errors import InvalidArgument

__all__ = [
    "AVERAGES",
    "ClassifierScores",
    "check_average",
    "classifier_metrics",
    "per_class_metrics",
    "regressor_metrics",
]

AVERAGES = ("weighted", "macro", "micro")


@dataclass(frozen=True)
class ClassifierScores:
    """A classifier's metrics, its confusion matrix (rows: true labels, columns:
    predicted, both in the order of ``labels``) and, past two classes, each class's
    metrics against the rest (:func:`per_class_metrics`, with its AUCs when there are
    probabilities)."""

    metrics: dict[str, float]
    labels: list[Any]
    confusion_matrix: list[list[int]]
    per_class: list[dict[str, Any]] = field(default_factory=list)


def classifier_metrics(
    y_true: Any,
    y_pred: Any,
    y_proba: Any = None,
    *,
    classes: Any = None,
    pos_label: Any = None,
    average: str = "weighted",
) -> ClassifierScores:
    """The metrics of predicted labels ``y_pred`` against ``y_true``; class probabilities
    ``y_proba`` (one column per class of ``classes``, by default the labels seen, sorted)
    add ``log_loss`` and the AUCs.

    With two classes, precision, recall and F1 are those of ``pos_label`` (``1``
    when it is a class, else the larger label); with more, their ``average``
    (``weighted``, ``macro`` or ``micro``) over the classes. Raises
    ``InvalidArgument`` for a bad ``average`` or probabilities of the wrong shape.
    """
    import numpy as np
    from sklearn import metrics as sk

    check_average(average)
    seen = _labels(y_true, y_pred, classes)
    if pos_label is not None and pos_label not in seen:
        seen = _sorted([*seen, pos_label])  # a class the data happens not to show
    binary = len(seen) <= 2
    if binary:
        pos_label = pos_label if pos_label is not None else 1 if 1 in seen else seen[-1]
    matrix = sk.confusion_matrix(y_true, y_pred, labels=seen)
    averaged = {"average": "binary", "pos_label": pos_label} if binary else {"average": average}
    out = {
        "example_count": len(y_true),
        "accuracy_score": sk.accuracy_score(y_true, y_pred),
        "precision_score": sk.precision_score(y_true, y_pred, zero_division=0, **averaged),
        "recall_score": sk.recall_score(y_true, y_pred, zero_division=0, **averaged),
        "f1_score": sk.f1_score(y_true, y_pred, zero_division=0, **averaged),
    }
    if len(seen) == 2:
        negative, positive = (0, 1) if seen[1] == pos_label else (1, 0)
        out.update(
            true_negatives=matrix[negative, negative],
            false_positives=matrix[negative, positive],
            false_negatives=matrix[positive, negative],
            true_positives=matrix[positive, positive],
        )
    rows = per_class_metrics(seen, matrix.tolist()) if len(seen) > 2 else []
    if y_proba is not None:
        columns = seen if classes is None else list(classes)
        out.update(_probability_metrics(y_true, y_proba, columns, pos_label, average))
        proba = np.asarray(y_proba, dtype=float)
        for row in rows:
            if row["positive_class"] in columns:
                truth = np.asarray(y_true) == row["positive_class"]
                row.update(_aucs(truth, proba[:, columns.index(row["positive_class"])]))
    scores = {k: float(v) for k, v in out.items()}
    return ClassifierScores(scores, seen, matrix.tolist(), rows)


def per_class_metrics(labels: list[Any], matrix: list[list[int]]) -> list[dict[str, Any]]:
    """One row per class of a confusion matrix, scoring that class against the rest
    (MLflow's ``per_class_metrics`` columns: ``positive_class``, the four counts,
    ``example_count``, ``accuracy_score``, ``recall_score``, ``precision_score``,
    ``f1_score``; a ratio with nothing to count is 0)."""
    total = sum(map(sum, matrix))
    rows = []
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        fn = sum(matrix[i]) - tp
        fp = sum(row[i] for row in matrix) - tp
        tn = total - tp - fn - fp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        rows.append(
            {
                "positive_class": label,
                "true_negatives": tn,
                "false_positives": fp,
                "false_negatives": fn,
                "true_positives": tp,
                "example_count": total,
                "accuracy_score": (tp + tn) / total if total else 0.0,
                "recall_score": recall,
                "precision_score": precision,
                "f1_score": 2 * precision * recall / (precision + recall) if tp else 0.0,
            }
        )
    return rows


def check_average(average: Any) -> None:
    """``InvalidArgument`` unless ``average`` is one :func:`classifier_metrics` takes."""
    if average not in AVERAGES:
        raise InvalidArgument(f"average must be weighted, macro or micro, got {average!r:.40}")


def _labels(y_true: Any, y_pred: Any, classes: Any) -> list[Any]:
    import numpy as np

    found = {*np.asarray(y_true).tolist(), *np.asarray(y_pred).tolist()}
    return _sorted([*found, *(() if classes is None else np.asarray(classes).tolist())])


def _sorted(labels: list[Any]) -> list[Any]:
    try:
        return sorted(set(labels))
    except TypeError:
        raise InvalidArgument(
            f"labels must be of one kind (all numbers or all strings), got {labels[:10]!r:.200}"
        ) from None


def _probability_metrics(
    y_true: Any, y_proba: Any, columns: list[Any], pos_label: Any, average: str
) -> dict[str, float]:
    """``log_loss``, ``roc_auc`` and, for two classes, ``precision_recall_auc``; the AUCs
    need every class among the true labels and are left out when one is missing."""
    import numpy as np
    from sklearn import metrics as sk

    proba = np.asarray(y_proba, dtype=float)
    if proba.ndim != 2 or proba.shape != (len(y_true), len(columns)):
        raise InvalidArgument(
            f"class probabilities must have one row per example and one column per class "
            f"of {columns!r:.200}, got shape {proba.shape}"
        )
    out = {"log_loss": sk.log_loss(y_true, proba, labels=columns)}
    present = set(np.asarray(y_true).tolist())
    if len(columns) == 2:
        out.update(_aucs(np.asarray(y_true) == pos_label, proba[:, columns.index(pos_label)]))
    elif len(columns) > 2 and present == set(columns) and average != "micro":
        out["roc_auc"] = sk.roc_auc_score(
            y_true, proba, labels=columns, multi_class="ovr", average=average
        )
    return out


def _aucs(truth: Any, scores: Any) -> dict[str, float]:
    """``roc_auc`` and ``precision_recall_auc`` (MLflow's name for the average precision,
    the step-wise area under the curve) of one class against the rest; none when the
    true labels hold only one side."""
    from sklearn import metrics as sk

    if truth.all() or not truth.any():
        return {}
    return {
        "roc_auc": sk.roc_auc_score(truth, scores),
        "precision_recall_auc": sk.average_precision_score(truth, scores),
    }


def regressor_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """The metrics of predicted values ``y_pred`` against ``y_true``;
    ``r2_score`` is left out for one example, ``mean_absolute_percentage_error`` when a
    true value is 0."""
    import numpy as np
    from sklearn import metrics as sk

    truth = np.asarray(y_true, dtype=float)
    predicted = np.asarray(y_pred, dtype=float)
    mse = sk.mean_squared_error(truth, predicted)
    out = {
        "example_count": len(truth),
        "mean_absolute_error": sk.mean_absolute_error(truth, predicted),
        "mean_squared_error": mse,
        "root_mean_squared_error": math.sqrt(mse),
        "sum_on_target": truth.sum(),
        "mean_on_target": truth.mean(),
        "max_error": sk.max_error(truth, predicted),
    }
    if len(truth) > 1:  # R² of one value is undefined
        out["r2_score"] = sk.r2_score(truth, predicted)
    if not (truth == 0).any():
        out["mean_absolute_percentage_error"] = sk.mean_absolute_percentage_error(truth, predicted)
    return {k: float(v) for k, v in out.items()}
