"""A version registered from a logged model names it (``ModelVersion.model_id``, as
MLflow 3's does), keeps its signature, and the logged model lists the versions made
from it; ``log_model(registered_model_name=)`` registers the logged model it made. On
every backend."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sqlalchemy import text

import modelreg

X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y = np.array([0, 1, 1, 0])


@pytest.fixture
def logged(client):
    with modelreg.start_run():
        return modelreg.log_model(LogisticRegression().fit(X, Y), name="model", input_example=X[:2])


def test_a_version_registered_from_a_logged_model_names_it(client, logged):
    version = modelreg.register_model(f"models:/{logged.model_id}", "clf")

    assert version.model_id == logged.model_id
    assert client.get_model_version("clf", 1).model_id == logged.model_id
    assert [v.model_id for v in client.search_model_versions("name = 'clf'")] == [logged.model_id]


def test_log_model_returns_the_logged_models_uri_as_mlflow_3_does(client, logged):
    version = modelreg.register_model(logged.model_uri, "clf")

    assert logged.model_uri == f"models:/{logged.model_id}"
    assert version.model_id == logged.model_id


def test_a_version_registered_from_a_run_names_no_logged_model(client, logged):
    version = modelreg.register_model(logged.run_uri, "clf")

    assert logged.run_uri == f"runs:/{logged.run_id}/model"
    assert version.model_id is None


def test_a_copy_of_a_version_names_the_same_logged_model(client, logged):
    modelreg.register_model(f"models:/{logged.model_id}", "clf-staging")

    copy = client.copy_model_version("models:/clf-staging/1", "clf-prod")

    assert copy.source == "models:/clf-staging/1"
    assert copy.model_id == client.get_model_version("clf-prod", 1).model_id == logged.model_id
    listed = client.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]
    assert json.loads(listed) == [{"name": "clf-staging", "version": 1}]  # as MLflow's server


def test_registering_a_logged_model_keeps_its_signature(client, logged):
    version = modelreg.register_model(f"models:/{logged.model_id}", "clf")

    assert logged.signature is not None
    assert version.signature == logged.signature.to_dict()


def test_the_logged_model_lists_the_versions_registered_from_it(client, logged):
    modelreg.register_model(f"models:/{logged.model_id}", "clf")
    modelreg.register_model(f"models:/{logged.model_id}", "clf")
    modelreg.register_model(f"models:/{logged.model_id}", "other")

    listed = client.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]

    assert json.loads(listed) == [
        {"name": "clf", "version": 1},
        {"name": "clf", "version": 2},
        {"name": "other", "version": 1},
    ]


def test_log_model_registers_the_logged_model_it_made(client):
    with modelreg.start_run() as run:
        info = modelreg.log_model(
            LogisticRegression().fit(X, Y), name="model", registered_model_name="clf"
        )

    version = client.get_model_version("clf", 1)
    assert version == info.registered_model_version
    assert (version.source, version.model_id, version.run_id) == (
        f"models:/{info.model_id}",
        info.model_id,
        run.info.run_id,
    )
    assert modelreg.load_model("models:/clf/1").predict(X).tolist() == Y.tolist()


def test_versions_registered_at_once_from_one_logged_model_are_all_listed(pg_url):
    """Two transactions list a version on one logged model at once (PostgreSQL, READ
    COMMITTED): the second waits for the first instead of rewriting the list it saw."""
    import threading

    from fresh_databases import new_postgres_database, someone_waits_for_a_lock
    from modelreg.store import logged_models as logged_store
    from modelreg.store.database import Database

    model_id = "m-" + "b" * 32
    with new_postgres_database("modelreg_listed") as url:
        db = Database(url)
        db.upgrade()
        with db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO logged_models (model_id, experiment_id, name, status, "
                    "lifecycle_stage, user_id, creation_time, last_updated_time, "
                    "artifact_location) "
                    "VALUES (:id, 0, 'clf', 'READY', 'active', 'ann', 1, 1, 'x')"
                ),
                {"id": model_id},
            )
        first_listed = threading.Event()
        waited: list[bool] = []

        def first() -> None:
            with db.write() as conn:
                logged_store.note_model_version(conn, model_id, "a", 1, 2)
                first_listed.set()
                # Commits only once the second transaction waits for this one.
                waited.append(someone_waits_for_a_lock(url))

        def second() -> None:
            first_listed.wait(10)
            with db.write() as conn:
                logged_store.note_model_version(conn, model_id, "b", 1, 3)

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        with db.read() as conn:
            (model,) = logged_store.load_models(conn, [model_id])
        db.dispose()

    assert waited == [True]
    assert json.loads(model.tags["mlflow.modelVersions"]) == [
        {"name": "a", "version": 1},
        {"name": "b", "version": 1},
    ]
