"""MLflow's ``mlflow.evaluate`` on fixed cases, run with MLflow's interpreter.

Prints ``RESULTS {json}``: per case the test rows, targets, the fitted model's
predictions, class probabilities and classes, and the metrics MLflow computed
(with the custom metrics of ``evaluate_custom_metrics.py``), so that modelreg's
``evaluate`` can be given the same predictions and compared.
"""

import json
import sys
import tempfile
import warnings

import mlflow
import numpy as np
import pandas as pd
from mlflow.metrics import MetricValue
from sklearn.linear_model import LinearRegression, LogisticRegression

from evaluate_custom_metrics import custom_metrics


def cases():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(160, 3))
    noise = rng.normal(size=160)
    binary = (X[:, 0] + 0.8 * noise > 0).astype(int)
    yield "binary", LogisticRegression(), X, binary, "classifier", {}
    three = np.digitize(X[:, 0] + 0.5 * noise, [-0.6, 0.6])
    yield "multiclass", LogisticRegression(), X, three, "classifier", {}
    yield "multiclass_macro", LogisticRegression(), X, three, "classifier", {"average": "macro"}
    words = np.where(binary == 1, "fraud", "ok")
    yield "string_labels", LogisticRegression(), X, words, "classifier", {"pos_label": "fraud"}
    values = X @ np.array([1.0, 2.0, 0.5]) + 0.3 * noise + 4.0
    yield "regressor", LinearRegression(), X, values, "regressor", {}
    yield "prefixed", LinearRegression(), X, values, "regressor", {"metric_prefix": "holdout_"}


def _per_class(result):
    """MLflow's per-class metrics table (more than two classes), as records."""
    table = result.artifacts.get("per_class_metrics")
    if table is None:
        return None
    return json.loads(table.content.to_json(orient="records"))


def main() -> None:
    warnings.simplefilter("ignore")
    mlflow.set_tracking_uri(f"sqlite:///{tempfile.mkdtemp()}/mlflow.db")
    results = {}
    for name, model, X, y, model_type, config in cases():
        model.fit(X[:100], y[:100])
        test, truth = X[100:], y[100:]
        frame = pd.DataFrame(test, columns=["f0", "f1", "f2"])
        frame["target"] = truth
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(model, name="model")
            result = mlflow.evaluate(
                info.model_uri,
                frame,
                targets="target",
                model_type=model_type,
                evaluator_config={**config, "log_model_explainability": False},
                extra_metrics=custom_metrics(mlflow.models.make_metric, MetricValue),
            )
        results[name] = {
            "model_type": model_type,
            "config": config,
            "rows": test.tolist(),
            "targets": truth.tolist(),
            "predictions": model.predict(test).tolist(),
            "probabilities": model.predict_proba(test).tolist()
            if model_type == "classifier"
            else None,
            "classes": model.classes_.tolist() if model_type == "classifier" else None,
            "metrics": {k: float(v) for k, v in result.metrics.items()},
            "artifacts": sorted(result.artifacts),
            "per_class": _per_class(result),
        }
    sys.stdout.write("RESULTS " + json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
