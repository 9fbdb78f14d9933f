"""MLflow 3 logged models and loading models through the MLflow client."""

from __future__ import annotations

import json
import os
import tempfile

import mlflow
import numpy as np
from compat_support import logged_model_view, outcome, run_view, scenario, version_view
from mlflow import MlflowClient
from mlflow.entities import LoggedModelInput, LoggedModelStatus
from sklearn.linear_model import LogisticRegression

X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y = np.array([0, 1, 1, 0])
# Given, so the client skips inferring them (slow, and no business of the server's).
REQUIREMENTS = ["scikit-learn"]


def _fit() -> LogisticRegression:
    return LogisticRegression().fit(X, Y)


@scenario
def log_model_and_load_every_uri(uri: str) -> dict:
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    mlflow.set_experiment("load-exp")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 1)
        info = mlflow.sklearn.log_model(
            _fit(), name="model", registered_model_name="load-m", input_example=X[:2]
        )
    client.transition_model_version_stage("load-m", "1", "Production")
    client.set_registered_model_alias("load-m", "champion", "1")
    run_id = run.info.run_id
    uris = {
        "version": "models:/load-m/1",
        "stage": "models:/load-m/Production",
        "alias": "models:/load-m@champion",
        "latest": "models:/load-m/latest",
        "run": f"runs:/{run_id}/model",
        "logged": info.model_uri,
    }
    predictions = {
        key: outcome(lambda u=u: mlflow.pyfunc.load_model(u).predict(X).tolist())
        for key, u in uris.items()
    }
    version = client.get_model_version("load-m", "1")
    logged = client.get_logged_model(info.model_id)
    outputs = client.get_run(run_id).outputs
    local = mlflow.artifacts.download_artifacts(info.model_uri, dst_path=tempfile.mkdtemp())
    return {
        "predictions": predictions,
        "version": version_view(version),
        "version_source_is_model": version.source == info.model_uri,
        "version_model_id": version.model_id == info.model_id,
        "version_run": version.run_id == run_id,
        "logged": logged_model_view(logged),
        "outputs": [o.model_id == info.model_id for o in outputs.model_outputs],
        "files": sorted(os.listdir(local)),
        "run": run_view(client.get_run(run_id)),
    }


@scenario
def logged_models(uri: str) -> dict:
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    exp_id = client.create_experiment("logged-exp")
    mlflow.set_experiment(experiment_id=exp_id)
    with mlflow.start_run() as run:
        mlflow.log_metric("before", 0.1)
        first = mlflow.sklearn.log_model(_fit(), name="first", pip_requirements=REQUIREMENTS)
        mlflow.log_metric("after_first", 0.2)
        second = mlflow.sklearn.log_model(
            _fit(), name="second", params={"p": "1"}, pip_requirements=REQUIREMENTS
        )
        mlflow.log_metric("acc", 0.75, model_id=second.model_id)
        mlflow.log_metric("acc", 0.5, model_id=first.model_id)
        for model, value, dataset, digest in (
            (first, 0.9, "holdout", "d1"),
            (second, 0.4, "holdout", "d1"),
            (second, 0.95, "train", "d2"),
        ):
            client.log_metric(
                run.info.run_id,
                "f1",
                value,
                model_id=model.model_id,
                dataset_name=dataset,
                dataset_digest=digest,
            )
    client.set_logged_model_tags(first.model_id, {"a": "1", "b": "2"})
    client.delete_logged_model_tag(first.model_id, "b")
    external = mlflow.create_external_model(name="external", model_type="agent")
    out = {
        # What MLflow's client links by itself: the run's step-0 metrics when a model is
        # logged, later ones to the run's model at that step.
        "implicit": {
            m.name: sorted((x.key, x.value) for x in client.get_logged_model(m.model_id).metrics)
            for m in (first, second)
        },
        "first": logged_model_view(client.get_logged_model(first.model_id)),
        "second": logged_model_view(client.get_logged_model(second.model_id)),
        "external": logged_model_view(client.get_logged_model(external.model_id)),
        "search": [m.name for m in mlflow.search_logged_models(output_format="list")],
        "search_name": [
            m.name
            for m in mlflow.search_logged_models(
                filter_string="name = 'second'", output_format="list"
            )
        ],
        "search_ascending": [
            m.name
            for m in mlflow.search_logged_models(
                order_by=[{"field_name": "creation_time", "ascending": True}],
                output_format="list",
            )
        ],
        "search_metric": [
            m.name
            for m in mlflow.search_logged_models(
                filter_string="metrics.acc > 0.5", output_format="list"
            )
        ],
        "by_metric": [
            m.name
            for m in mlflow.search_logged_models(
                order_by=[{"field_name": "metrics.acc", "ascending": False}],
                output_format="list",
            )
        ],
        "missing": outcome(lambda: client.get_logged_model("m-" + "0" * 32), message=True),
    }

    def on_datasets(filter_string, *datasets):
        found = mlflow.search_logged_models(
            filter_string=filter_string, datasets=list(datasets), output_format="list"
        )
        return sorted(m.name for m in found)

    # Each names a digest: MLflow's server reads a dataset named without one as one without
    # a digest, which no metric logged by its client has (its documentation, and modelreg,
    # say any digest).
    holdout = {"dataset_name": "holdout", "dataset_digest": "d1"}
    train = {"dataset_name": "train", "dataset_digest": "d2"}
    out["on_datasets"] = {
        "metric": on_datasets("metrics.f1 > 0.5", holdout),
        "either": on_datasets("metrics.f1 > 0.5", holdout, train),
        "other_digest": on_datasets("metrics.f1 > 0", {**train, "dataset_digest": "x"}),
        "no_metric_filter": on_datasets(None, train),
    }
    failed = client.create_logged_model(exp_id, name="failing")
    client.finalize_logged_model(failed.model_id, LoggedModelStatus.FAILED)
    out["failed"] = str(client.get_logged_model(failed.model_id).status)
    client.delete_logged_model(first.model_id)
    out["after_delete"] = outcome(lambda: client.get_logged_model(first.model_id).name)
    out["search_after_delete"] = sorted(
        m.name for m in client.search_logged_models(experiment_ids=[exp_id])
    )
    out["pages"] = [
        len(client.search_logged_models(experiment_ids=[exp_id], max_results=1)),
        bool(client.search_logged_models(experiment_ids=[exp_id], max_results=1).token),
    ]
    with mlflow.start_run() as user:
        client.log_inputs(user.info.run_id, models=[LoggedModelInput(second.model_id)])
    inputs = client.get_run(user.info.run_id).inputs
    out["model_inputs"] = [i.model_id == second.model_id for i in inputs.model_inputs or []]
    out["run"] = run_view(client.get_run(run.info.run_id))
    return out


@scenario
def register_logged_model(uri: str) -> dict:
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    mlflow.set_experiment("register-exp")
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(_fit(), name="model", pip_requirements=REQUIREMENTS)
    version = mlflow.register_model(info.model_uri, "registered-later")
    again = mlflow.register_model(info.model_uri, "registered-later")
    loaded = mlflow.pyfunc.load_model("models:/registered-later/2")
    copied = client.copy_model_version("models:/registered-later/1", "copied-later")
    mismatched = outcome(
        lambda: (
            client.create_model_version(
                "copied-later", info.model_uri, model_id="m-" + "0" * 32
            ).version
        )
    )
    return {
        "model_ids": [v.model_id == info.model_id for v in (version, again, copied)],
        "listed": json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"]),
        "mismatched_model_id": mismatched,
        "versions": [version.version, again.version],
        "view": version_view(client.get_model_version("registered-later", "1")),
        "predict": loaded.predict(X).tolist(),
    }


@scenario
def seed_workflow(uri: str) -> dict:
    """The seed document's MLflow code, unchanged."""
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    mlflow.set_experiment("my_experiment")
    with mlflow.start_run() as run:
        mlflow.log_param("learning_rate", 1e-4)
        mlflow.log_param("batch_size", 32)
        mlflow.log_metric("accuracy", 0.91)
        mlflow.log_metric("f1", 0.88, step=2)
        mlflow.set_tag("team", "vision")
        mlflow.log_text("weights", "model/weights.txt")
        run_id = run.info.run_id
    fetched = client.get_run(run_id)
    result = client.create_model_version(
        name=(client.create_registered_model("my_model").name),
        source=f"runs:/{run_id}/model",
        run_id=run_id,
    )
    client.transition_model_version_stage("my_model", result.version, "Staging")
    client.set_model_version_tag("my_model", result.version, "validation_status", "passed")
    client.set_registered_model_alias("my_model", "champion", result.version)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri="models:/my_model/1", dst_path=tempfile.mkdtemp()
    )
    with open(os.path.join(local, "weights.txt")) as f:
        weights = f.read()
    return {
        "run": run_view(fetched),
        "history": [m.step for m in client.get_metric_history(run_id, "f1")],
        "found": len(client.search_runs([fetched.info.experiment_id], "metrics.accuracy > 0.9")),
        "artifacts": [f.path for f in client.list_artifacts(run_id, "model")],
        "version": version_view(client.get_model_version_by_alias("my_model", "champion")),
        "latest": [v.version for v in client.get_latest_versions("my_model", stages=["Staging"])],
        "weights": weights,
        "duplicate": outcome(lambda: client.create_registered_model("my_model")),
        "missing": outcome(lambda: client.get_model_version("my_model", "7")),
    }
