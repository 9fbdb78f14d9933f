"""The workload against modelreg, embedded on SQLite or through a server (this interpreter)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workload import Side, main

import modelreg
from modelreg import Client
from modelreg.entities import Metric, Param, RunTag


def open_side(workdir: str, tracking_uri: str | None) -> Side:
    # Embedded: artifacts default to a folder next to the database, inside workdir.
    uri = tracking_uri or f"sqlite:///{os.path.join(workdir, 'registry.db')}"
    client = Client(uri)

    @contextmanager
    def run(experiment_id: str) -> Iterator[str]:
        run_id = client.create_run(experiment_id).info.run_id
        yield run_id
        client.set_terminated(run_id)

    def log_model(model: Any, run_id: str, input_example: Any) -> str:
        info = modelreg.log_model(
            model, "model", input_example=input_example, run_id=run_id, client=client
        )
        return info.model_uri

    def load_model(uri: str) -> Any:
        return modelreg.load_model(uri, client=client)

    def autolog(experiment_id: str) -> None:
        modelreg.set_tracking_uri(uri)
        modelreg.set_experiment(experiment_id=experiment_id)
        modelreg.autolog()

    return Side(
        client, Metric, Param, RunTag, client.create_experiment, run, log_model, load_model,
        autolog,
    )  # fmt: skip


if __name__ == "__main__":
    main(open_side)
