"""The everyday workflow, end to end, on the embedded default store (./.modelreg/).

Train three small scikit-learn models, track them, register each as a version
of one model, promote the best to Production, load it back by stage and by
version, predict, and compare the versions.

    pip install -e '.[sklearn]' && python examples/seed_workflow.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import modelreg

MODEL_NAME = "my_model"


def train_and_log(c: float, X_train, y_train, X_test, y_test) -> tuple[str, int]:
    """One tracked training run; returns the run id and the registered version."""
    with modelreg.start_run(run_name=f"logreg-C{c}") as run:
        modelreg.log_params({"C": c, "max_iter": 500, "scaler": "standard"})
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500))
        model.fit(X_train, y_train)
        predictions = model.predict(X_test)
        modelreg.log_metrics(
            {
                "accuracy": accuracy_score(y_test, predictions),
                "f1": f1_score(y_test, predictions),
            }
        )
        logged = modelreg.log_model(
            model, "model", input_example=X_test[:5], registered_model_name=MODEL_NAME
        )
    version = logged.registered_model_version
    print(
        f"run {run.info.run_id[:8]}  C={c:<6} registered as version {version.version} "
        f"(semver {version.semver})"
    )
    return run.info.run_id, version.version


def main() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X.astype(np.float64), y, test_size=0.3, random_state=0
    )
    modelreg.set_experiment("my_experiment")
    client = modelreg.Client()

    versions = [train_and_log(c, X_train, y_train, X_test, y_test)[1] for c in (0.01, 0.1, 1.0)]

    # Promote the most accurate version: Staging first, then Production.
    def accuracy(version: int) -> float:
        run_id = client.get_model_version(MODEL_NAME, version).run_id
        return client.get_run(run_id).data.metrics["accuracy"]

    best = max(versions, key=accuracy)
    client.transition_model_version_stage(MODEL_NAME, best, "Staging")
    client.set_model_version_tag(MODEL_NAME, best, "validation_status", "passed")
    client.transition_model_version_stage(
        MODEL_NAME, best, "Production", archive_existing_versions=True, reason="best accuracy"
    )
    client.set_registered_model_alias(MODEL_NAME, "champion", best)

    production = modelreg.load_model(f"models:/{MODEL_NAME}/Production")
    by_version = modelreg.load_model(f"models:/{MODEL_NAME}/{best}")
    same = np.array_equal(production.predict(X_test), by_version.predict(X_test))
    print(
        f"\nProduction is version {best}; loaded by stage and by version, "
        f"predictions identical: {same}"
    )
    print(f"first predictions: {production.predict(X_test[:10]).tolist()}")

    print(f"\n{'version':>7} {'semver':>8} {'stage':>11} {'accuracy':>9} {'f1':>7}")
    for number in versions:
        version = client.get_model_version(MODEL_NAME, number)
        metrics = client.get_run(version.run_id).data.metrics
        print(
            f"{number:>7} {version.semver:>8} {version.current_stage:>11} "
            f"{metrics['accuracy']:>9.4f} {metrics['f1']:>7.4f}"
        )
    print(f"\nStore: {modelreg.get_tracking_uri()}")


if __name__ == "__main__":
    main()
