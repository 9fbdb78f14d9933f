"""The workload against MLflow's SQLAlchemy store on SQLite (runs in benchmarks/.venv-mlflow)."""

from __future__ import annotations

import os
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from workload import Side, main


def open_side(workdir: str) -> Side:
    uri = f"sqlite:///{os.path.join(workdir, 'mlflow.db')}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    artifacts = Path(workdir, "artifacts").as_uri()

    def create_experiment(name: str) -> str:
        return client.create_experiment(name, artifact_location=artifacts)

    return Side(client, Metric, Param, RunTag, create_experiment)


if __name__ == "__main__":
    main(open_side)
