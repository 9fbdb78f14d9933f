"""The workload against MLflow: its SQLAlchemy store on SQLite, or `mlflow server`.

Runs in benchmarks/.venv-mlflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from workload import Side, main


def open_side(workdir: str, tracking_uri: str | None) -> Side:
    uri = tracking_uri or f"sqlite:///{os.path.join(workdir, 'mlflow.db')}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    # log_model and load_model are fluent: they use the process-wide URIs.
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)

    def create_experiment(name: str) -> str:
        if tracking_uri:  # the server picks the location (its artifact proxy)
            return client.create_experiment(name)
        return client.create_experiment(name, artifact_location=Path(workdir, "artifacts").as_uri())

    @contextmanager
    def run(experiment_id: str) -> Iterator[str]:
        with mlflow.start_run(experiment_id=experiment_id) as active:
            yield active.info.run_id

    def log_model(model: Any, run_id: str, input_example: Any) -> str:
        # The active run started by run() is the one with run_id. `mlflow.sklearn` is
        # loaded lazily by `import mlflow`, as modelreg loads its flavors on first use.
        info = mlflow.sklearn.log_model(model, name="model", input_example=input_example)
        return info.model_uri

    def load_model(uri: str) -> Any:
        return mlflow.pyfunc.load_model(uri)

    def autolog(experiment_id: str) -> None:
        mlflow.set_experiment(experiment_id=experiment_id)
        mlflow.autolog()

    return Side(
        client, Metric, Param, RunTag, create_experiment, run, log_model, load_model, autolog
    )


if __name__ == "__main__":
    main(open_side)
