"""``modelreg.evaluate``: a model's standard metrics on a dataset, logged to a run, as
MLflow's ``mlflow.evaluate`` does for classifiers and regressors.

>>> with modelreg.start_run():
...     result = modelreg.evaluate("models:/fraud/Staging", holdout, targets="label",
...                                model_type="classifier")
>>> result.metrics["f1_score"]
0.91

The metrics (see :mod:`modelreg.evaluation_metrics`, and ``score``, the model's
own ``score(X, y)`` when it has one, as scikit-learn's do) are logged at step 0 as
measured on the data, which becomes an input of the run (context
``evaluation``); they also measure the logged model the URI names (or
``model_id``, or the models the run logged), as ``log_metrics`` says. A
classifier's confusion matrix is logged as ``confusion_matrix.json`` and, past two
classes, each class's metrics against the rest as ``per_class_metrics.csv``. Needs
scikit-learn (``modelreg[sklearn]``) for the arithmetic.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.datasets import Dataset
from modelreg.errors import InvalidArgument
from modelreg.evaluation_artifacts import write_custom_artifacts
from modelreg.evaluation_custom import (
    EvaluationMetric,
    MetricValue,
    custom_metric_values,
    logged_names,
)
from modelreg.extras import needs_extras

if TYPE_CHECKING:
    from modelreg.evaluation_metrics import ClassifierScores

__all__ = ["EvaluationResult", "evaluate"]

MODEL_TYPES = ("classifier", "regressor")
# evaluator_config keys, as MLflow's default evaluator names them.
CONFIG_KEYS = ("pos_label", "average", "metric_prefix")
CONFUSION_MATRIX = "confusion_matrix.json"
PER_CLASS_METRICS = "per_class_metrics.csv"


@dataclass(frozen=True)
class EvaluationResult:
    """What :func:`evaluate` logged: the metrics by their logged names, the artifacts
    (name → ``runs:/`` URI), the run, and the dataset the metrics were measured on."""

    metrics: dict[str, float]
    artifacts: dict[str, str]
    run_id: str
    dataset: Dataset


def evaluate(
    model: Any = None,
    data: Any = None,
    *,
    model_type: str,
    targets: Any,
    predictions: str | None = None,
    evaluator_config: Mapping[str, Any] | None = None,
    dataset_name: str | None = None,
    model_id: str | None = None,
    run_id: str | None = None,
    extra_metrics: Sequence[EvaluationMetric] | None = None,
    feature_names: Sequence[str] | None = None,
    evaluators: str | Sequence[str] | None = None,
    inference_params: Mapping[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
    dataset_path: str | None = None,
    custom_artifacts: Sequence[Callable[..., Any]] | None = None,
) -> EvaluationResult:
    """Predicts ``data`` with ``model``, scores the predictions against ``targets`` and
    logs the metrics to the active run (or ``run_id``; with neither, to a run of its
    own, ended when done).

    ``model`` is a model URI or folder (as :func:`modelreg.load_model` takes), a loaded
    model, any object with ``predict``, or a function of the features; or ``None``
    with ``predictions`` naming the column of ``data`` that holds them. ``data`` is a
    pandas DataFrame, with ``targets`` (and ``predictions``) naming its columns and
    the other columns as the features, or an array of features with ``targets`` the
    labels or values. ``model_type`` is ``classifier`` or ``regressor``. A
    classifier's class probabilities come from its ``predict_proba`` when it has one.
    ``evaluator_config`` takes ``pos_label`` and ``average`` (see
    :func:`~modelreg.evaluation_metrics.classifier_metrics`) and ``metric_prefix``,
    put before every metric and artifact name (``"holdout_"``). ``extra_metrics``
    are custom metrics (:func:`~modelreg.evaluation_custom.make_metric`), computed after
    the standard ones and logged with them. As MLflow's: ``feature_names`` picks the
    feature columns of a DataFrame, or names an array's columns (for custom metrics);
    ``evaluators`` may name ``"default"`` only; ``inference_params`` and
    ``model_config`` go to a model modelreg loads (``predict(params=)``,
    ``load_model(model_config=)``); ``dataset_path`` is the data's source.
    ``custom_artifacts`` are functions whose files are logged with the run (see
    :mod:`modelreg.evaluation_artifacts`).

    Raises ``InvalidArgument`` naming the argument that is missing, unknown or does
    not fit (a column ``data`` does not have, targets and data of different lengths,
    several values predicted per example, a custom metric that cannot be computed),
    and what loading the model raises; nothing is logged then.
    """
    from modelreg import fluent

    config = _config(evaluator_config)
    if model_type not in MODEL_TYPES:
        raise InvalidArgument(f"model_type must be classifier or regressor, got {model_type!r:.40}")
    if (model is None) == (predictions is None):
        raise InvalidArgument("give a model, or predictions naming the column that holds them")
    _check_evaluators(evaluators)
    features, y_true, y_pred = _columns(data, targets, predictions)
    features, named = _named_features(features, feature_names)
    native = None
    if model is not None:
        if model_id is None and isinstance(model, str):
            from modelreg.logged_models import logged_model_of

            model_id = logged_model_of(model)
        predict, native = _predictor(model, inference_params, model_config)
        y_pred = _one_per_example(predict(features), len(y_true), "the model's predictions")
    elif inference_params is not None or model_config is not None:
        raise InvalidArgument("inference_params and model_config: there is no model to take them")
    with needs_extras():
        try:
            metrics, scores = _scores(model_type, y_true, y_pred, native, features, config)
        except ValueError as exc:  # scikit-learn's word on what it cannot score
            raise InvalidArgument(f"cannot score these {model_type} predictions: {exc}") from None
    prefix = config.get("metric_prefix", "")
    logged = {prefix + k: v for k, v in metrics.items()}
    values = {k: MetricValue(aggregate_results={k: v}) for k, v in metrics.items()}
    if extra_metrics:
        found = custom_metric_values(
            extra_metrics, predictions=y_pred, targets=y_true, features=named, builtin=metrics
        )
        logged |= logged_names(found, prefix)
        values |= found
    described = _dataset(data, features, y_true, dataset_name, dataset_path)
    with tempfile.TemporaryDirectory(prefix="modelreg-evaluate-") as folder:
        files = {}
        if custom_artifacts:
            files = write_custom_artifacts(
                custom_artifacts, predictions=y_pred, targets=y_true, metrics=values,
                folder=Path(folder),
            )  # fmt: skip
        own_run = run_id is None and fluent.active_run() is None
        run_id = run_id or fluent.get_or_start_run_id()
        try:
            fluent.log_metrics(logged, step=0, run_id=run_id, model_id=model_id, dataset=described)
            artifacts = _log_files(run_id, prefix, scores, list(files.values()))
        except BaseException:
            if own_run:
                fluent.end_run("FAILED")
            raise
    if own_run:
        fluent.end_run()
    return EvaluationResult(logged, artifacts, run_id, described)


def _log_files(
    run_id: str, prefix: str, scores: ClassifierScores | None, custom: list[Path]
) -> dict[str, str]:
    """Logs the classifier's tables and the custom artifacts' files; name → ``runs:/``."""
    from modelreg import fluent

    artifacts = _log_tables(run_id, prefix, scores) if scores is not None else {}
    for path in custom:
        fluent.current_client().log_artifact(run_id, str(path))
        artifacts[path.name] = f"runs:/{run_id}/{path.name}"
    return artifacts


def _log_tables(run_id: str, prefix: str, scores: ClassifierScores) -> dict[str, str]:
    """Logs the confusion matrix and, for more than two classes, each class's metrics
    against the rest (a CSV table); returns name → ``runs:/`` URI."""
    import csv
    import io

    from modelreg import fluent

    client = fluent.current_client()
    confusion = {"labels": scores.labels, "matrix": scores.confusion_matrix}
    client.log_dict(run_id, confusion, prefix + CONFUSION_MATRIX)
    names = [prefix + CONFUSION_MATRIX]
    rows = scores.per_class
    if rows:
        text = io.StringIO()
        columns = list(dict.fromkeys(key for row in rows for key in row))  # AUCs may be missing
        writer = csv.DictWriter(text, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        client.log_text(run_id, text.getvalue(), prefix + PER_CLASS_METRICS)
        names.append(prefix + PER_CLASS_METRICS)
    return {name: f"runs:/{run_id}/{name}" for name in names}


def _config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    config = dict(config or {})
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise InvalidArgument(
            f"evaluator_config: unknown key {unknown[0]!r:.60}; known: {', '.join(CONFIG_KEYS)}"
        )
    prefix = config.get("metric_prefix", "")
    if not isinstance(prefix, str):
        raise InvalidArgument("evaluator_config: metric_prefix must be a string")
    if "average" in config:
        from modelreg.evaluation_metrics import check_average

        check_average(config["average"])
    return config


def _columns(data: Any, targets: Any, predictions: str | None) -> tuple[Any, Any, Any]:
    """The features, the targets and the predictions column (or ``None``) of ``data``."""
    if data is None:
        raise InvalidArgument("data is required: a pandas DataFrame or an array of features")
    if type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "columns"):
        named = [c for c in (targets, predictions) if isinstance(c, str)]
        for column in named:
            if column not in data.columns:
                raise InvalidArgument(
                    f"data has no column {column!r:.100}; its columns: "
                    f"{', '.join(map(str, data.columns))[:300]}"
                )
        y_true = data[targets] if isinstance(targets, str) else targets
        y_pred = data[predictions] if predictions is not None else None
        y_pred = _one_per_example(y_pred, len(data), "predictions")
        features = data.drop(columns=named)
    else:
        if isinstance(targets, str) or predictions is not None:
            raise InvalidArgument(
                "targets and predictions name columns only of a pandas DataFrame; "
                "with an array of features, pass the targets themselves"
            )
        features, y_true, y_pred = data, targets, None
    y_true = _one_per_example(y_true, None, "targets")
    if len(y_true) == 0:
        raise InvalidArgument("data has no rows to evaluate")
    if len(features) != len(y_true):
        raise InvalidArgument(f"targets has {len(y_true)} values but data has {len(features)} rows")
    return features, y_true, y_pred


def _one_per_example(values: Any, count: int | None, what: str) -> Any:
    """``values`` as a 1-d array (a single column squeezed), of ``count`` items."""
    import numpy as np

    if values is None:
        return None
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise InvalidArgument(f"{what} must hold one value per example, got shape {array.shape}")
    if count is not None and len(array) != count:
        raise InvalidArgument(f"{what} hold {len(array)} values for {count} examples")
    if array.dtype.kind == "f":
        missing = np.flatnonzero(np.isnan(array)).tolist()
    elif array.dtype.kind == "O":
        missing = [i for i, v in enumerate(array) if _is_missing(v)]
    else:
        missing = []
    if missing:
        raise InvalidArgument(
            f"{what} hold {len(missing)} missing values (NaN or None), the first in row "
            f"{missing[0]}: drop or fill those rows first"
        )
    return array


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # only NaN differs from itself
    except TypeError:  # pandas' NA has no truth value
        return True
    except ValueError:  # an array: not a missing value, and not a label either
        return False


def _predictor(
    model: Any, params: Mapping[str, Any] | None, model_config: Mapping[str, Any] | None
) -> tuple[Callable[[Any], Any], Any]:
    """The predict function of ``model`` (with ``params``) and the framework object behind
    it; a model loaded here is loaded with ``model_config``."""
    from modelreg.flavors import LoadedModel

    if isinstance(model, str | os.PathLike):
        from modelreg.flavors import load_model_dir
        from modelreg.model_folders import model_folder

        with needs_extras():  # the model's framework
            model = load_model_dir(model_folder(model), model_config=model_config)
    elif model_config is not None:
        raise InvalidArgument("model_config: only a model loaded here (a URI or folder) takes it")
    if isinstance(model, LoadedModel):
        return lambda features: model.predict(features, params=params), model.native
    if params is not None:
        raise InvalidArgument(
            "inference_params: only a model modelreg loads (a URI, folder or loaded model) "
            "takes them"
        )
    if callable(getattr(model, "predict", None)):
        return model.predict, model
    if callable(model):
        return model, None
    raise InvalidArgument(
        f"model must be a model URI, a loaded model, an object with predict or a function, "
        f"got {type(model).__name__}"
    )


def _scores(
    model_type: str, y_true: Any, y_pred: Any, native: Any, features: Any, config: Mapping[str, Any]
) -> tuple[dict[str, float], ClassifierScores | None]:
    from modelreg.evaluation_metrics import classifier_metrics, regressor_metrics

    own_score = getattr(native, "score", None)
    # The model's own score (scikit-learn's: accuracy, R²), as MLflow logs it.
    extra = {"score": float(own_score(features, y_true))} if callable(own_score) else {}
    if model_type == "regressor":
        return {**regressor_metrics(y_true, y_pred), **extra}, None
    proba = getattr(native, "predict_proba", None)
    scores = classifier_metrics(
        y_true,
        y_pred,
        proba(features) if callable(proba) else None,
        classes=getattr(native, "classes_", None) if callable(proba) else None,
        pos_label=config.get("pos_label"),
        average=config.get("average", "weighted"),
    )
    return {**scores.metrics, **extra}, scores


def _dataset(
    data: Any, features: Any, y_true: Any, name: str | None, source: str | None
) -> Dataset:
    from modelreg.datasets import dataset

    described = data if hasattr(data, "columns") else {"features": features, "targets": y_true}
    return dataset(described, name=name, source=source)


def list_evaluators() -> list[str]:
    """The evaluators :func:`evaluate` has (MLflow's ``mlflow.models.list_evaluators``):
    ``["default"]``, the classifier and regressor metrics."""
    return ["default"]


def _check_evaluators(evaluators: str | Sequence[str] | None) -> None:
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators or [])
    if any(name != "default" for name in names):
        raise InvalidArgument(
            f"evaluators: modelreg evaluates with the default evaluator only, got {names!r:.100}"
        )


def _named_features(features: Any, names: Sequence[str] | None) -> tuple[Any, Any]:
    """The features the model gets, and by name for custom metrics: ``names`` picks a
    DataFrame's columns, or names an array's."""
    if names is None:
        return features, features
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise InvalidArgument("feature_names must be a list of column names")
    columns = getattr(features, "columns", None)
    if columns is not None:
        missing = [n for n in names if n not in columns]
        if missing:
            raise InvalidArgument(f"feature_names: data has no column {missing[0]!r:.100}")
        return features[list(names)], features[list(names)]
    import numpy as np

    array = np.asarray(features)
    if array.ndim != 2 or array.shape[1] != len(names):
        raise InvalidArgument(
            f"feature_names: {len(names)} names for features of shape {array.shape}"
        )
    return features, {name: array[:, i] for i, name in enumerate(names)}
