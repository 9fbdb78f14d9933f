"""A model evaluated after its training under autolog, written once for MLflow and
modelreg (``workflow(mlflow)`` or ``workflow(modelreg)``): the post-training metrics
each logs, for ``tests/test_autolog_post_training.py`` to compare."""

import numpy as np


def workflow(lib):
    """Fits a classifier and a regressor under ``lib``'s scikit-learn autolog, evaluates
    them as a script would, and returns per estimator the run's metrics (but the training
    ones), its ``metric_info.json`` and the contexts of its inputs."""
    import sklearn.metrics
    from sklearn.linear_model import LinearRegression, LogisticRegression

    lib.sklearn.autolog()
    try:
        from sklearn.metrics import accuracy_score, f1_score, mean_squared_error

        rng = np.random.default_rng(3)
        X = rng.random((120, 3))
        y = (X[:, 0] + 0.4 * rng.random(120) > 0.7).astype(int)
        X_train, X_test, X_val = X[:80], X[80:100], X[100:]
        y_train, y_test, y_val = y[:80], y[80:100], y[100:]
        model = LogisticRegression(C=0.7).fit(X_train, y_train)

        y_pred = model.predict(X_test)
        accuracy_score(y_test, y_pred)
        accuracy_score(y_test, y_pred, normalize=False)
        f1_score(y_test, y_pred, average="macro")
        proba = model.predict_proba(X_test)
        sklearn.metrics.log_loss(y_test, proba)
        sklearn.metrics.confusion_matrix(y_test, y_pred)  # not a number: not logged
        model.score(X_test, y_test)
        model.score(X_test[:10], y_test[:10])  # no variable: unknown_dataset
        val_pred = model.predict(X_val)
        f1_score(y_val, val_pred)

        target = X_train @ [1.0, 2.0, 3.0]
        regressor = LinearRegression().fit(X_train, target)
        mean_squared_error(X_test @ [1.0, 2.0, 3.0], regressor.predict(X_test))
    finally:
        lib.sklearn.autolog(disable=True)
    found = {}
    for run in lib.search_runs(search_all_experiments=True, output_format="list"):
        uri = f"runs:/{run.info.run_id}/metric_info.json"
        found[run.data.tags["estimator_name"]] = {
            "metrics": {k: v for k, v in run.data.metrics.items() if not k.startswith("training_")},
            "metric_info": lib.artifacts.load_dict(uri),
            "inputs": sorted(
                tag.value
                for dataset in run.inputs.dataset_inputs
                for tag in dataset.tags
                if tag.key == "mlflow.data.context"
            ),
        }
    return found
