"""modelreg's own names where MLflow is not involved; MLflow's names at the MLflow API.

Run artifact locations are ``modelreg-artifacts:/…`` and the tags modelreg
sets are ``modelreg.*``; the MLflow-compatible API shows an MLflow client
``mlflow-artifacts:/…`` and ``mlflow.*`` and takes its ``mlflow.*`` tags back.
Migration 0009 renames what older stores hold.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

import modelreg
from conftest import reset_postgres
from modelreg.store.database import Database

MLFLOW = "/api/2.0/mlflow"


def test_an_embedded_run_and_its_experiment_carry_modelreg_names(client):
    modelreg.set_experiment("names")
    with modelreg.start_run(description="a baseline") as parent:
        with modelreg.start_run(nested=True) as child:
            pass

    experiment = client.get_experiment_by_name("names")
    parent_run, child_run = client.get_run(parent.info.run_id), client.get_run(child.info.run_id)
    assert experiment.artifact_location == f"modelreg-artifacts:/{experiment.experiment_id}"
    assert child_run.info.artifact_uri.startswith(f"{experiment.artifact_location}/")
    assert parent_run.data.tags["modelreg.note.content"] == "a baseline"
    assert child_run.data.tags["modelreg.parentRunId"] == parent.info.run_id
    names = [*parent_run.data.tags, *child_run.data.tags]
    assert [name for name in names if name.startswith("mlflow.")] == []


@pytest.fixture
def mlflow_api(pg_url: str, live_server: str) -> Iterator[httpx.Client]:
    reset_postgres(pg_url)
    with httpx.Client(base_url=live_server + MLFLOW, timeout=30) as http:
        yield http


def test_the_mlflow_api_gives_mlflow_names_and_takes_them_back(mlflow_api, live_server):
    tags = [{"key": "mlflow.source.git.commit", "value": "c0ffee"}]
    created = mlflow_api.post("/runs/create", json={"experiment_id": "0", "tags": tags}).json()
    run_id = created["run"]["info"]["run_id"]

    stored = modelreg.Client(live_server).get_run(run_id)
    shown = mlflow_api.get("/runs/get", params={"run_id": run_id}).json()["run"]
    experiment = mlflow_api.get("/experiments/get", params={"experiment_id": "0"}).json()

    assert stored.data.tags["modelreg.source.git.commit"] == "c0ffee"
    assert stored.info.artifact_uri.startswith("modelreg-artifacts:/0/")
    assert {"key": "mlflow.source.git.commit", "value": "c0ffee"} in shown["data"]["tags"]
    assert shown["info"]["artifact_uri"] == f"mlflow-artifacts:/0/{run_id}/artifacts"
    assert experiment["experiment"]["artifact_location"] == "mlflow-artifacts:/0"


# -- migration 0009 ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def database_at_0007(request: pytest.FixtureRequest, sqlite_uri: str) -> Iterator[str]:
    """A database migrated to 0007, holding a run and a version under MLflow's names."""
    from alembic import command

    from fresh_databases import new_postgres_database
    from modelreg.store.migrate import alembic_config

    def arrange(url: str) -> str:
        db = Database(url)
        with db.write() as conn:
            command.upgrade(alembic_config(conn), "0007")
            for statement in _AT_0007:
                conn.execute(text(statement))
        db.dispose()
        return url

    if request.param == "sqlite":
        yield arrange(sqlite_uri)
        return
    request.getfixturevalue("pg_url")
    with new_postgres_database("modelreg_0009") as url:
        yield arrange(url)


_AT_0007 = [
    "INSERT INTO runs (run_id, experiment_id, run_name, user_id, status, start_time, "
    "lifecycle_stage, artifact_uri) VALUES ('r1', 0, 'old', 'ann', 'FINISHED', 1, 'active', "
    "'mlflow-artifacts:/0/r1/artifacts')",
    "INSERT INTO run_tags (run_id, key, value) VALUES ('r1', 'mlflow.source.git.commit', 'c0')",
    "INSERT INTO run_tags (run_id, key, value) VALUES ('r1', 'mlflow.runName', 'old')",
    "INSERT INTO registered_models (model_id, name, creation_time, last_updated_time, "
    "last_version) VALUES (1, 'm', 1, 1, 1)",
    "INSERT INTO model_versions (model_id, version, semver, current_stage, source, user_id, "
    "status, creation_time, last_updated_time) VALUES (1, 1, '1.0.0', 'None', "
    "'mlflow-artifacts:/0/r1/artifacts/model', 'ann', 'READY', 1, 1)",
]


def _names(url: str) -> tuple:
    db = Database(url)
    with db.read() as conn:
        found = (
            conn.execute(text("SELECT artifact_location FROM experiments")).scalar_one(),
            conn.execute(text("SELECT artifact_uri FROM runs")).scalar_one(),
            sorted(conn.execute(text("SELECT key FROM run_tags")).scalars()),
            conn.execute(text("SELECT source FROM model_versions")).scalar_one(),
        )
    db.dispose()
    return found


def test_migration_0009_renames_what_older_stores_hold_and_downgrades(database_at_0007):
    before = _names(database_at_0007)

    Database(database_at_0007).upgrade()
    after = _names(database_at_0007)
    _downgrade_to(database_at_0007, "0007")

    assert after == (
        "modelreg-artifacts:/0",
        "modelreg-artifacts:/0/r1/artifacts",
        ["mlflow.runName", "modelreg.source.git.commit"],
        "modelreg-artifacts:/0/r1/artifacts/model",
    )
    assert _names(database_at_0007) == before


def _downgrade_to(url: str, revision: str) -> None:
    from alembic import command

    from modelreg.store.migrate import alembic_config

    db = Database(url)
    with db.write() as conn:
        command.downgrade(alembic_config(conn), revision)
    db.dispose()
