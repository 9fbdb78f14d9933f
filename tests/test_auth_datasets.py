"""A dataset's description belongs to the run that logged it, and is as visible as that run.

#14 point 7: datasets were shared rows keyed by (name, digest), and the first
description logged won. A user read a hidden run's dataset source by logging
the same name and digest in her own run, and planted her own source in the
lineage and model card of an admin's later run. Each run now keeps the
description it logged.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from auth_fixtures import unique
from fresh_databases import migrate_to
from modelreg.datasets import Dataset
from test_migrations import empty_database  # noqa: F401

# ruff: noqa: F811  (the fixture imported above is a parameter below)

DIGEST = "ab" * 32


def _dataset(source: str) -> Dataset:
    return Dataset("train", DIGEST, source, {"type": "files"}, 10)


@pytest.fixture
def hidden_run(auth_server) -> str:
    """A run in an experiment only the admin may read, that logged s3://secret/…."""
    lib = auth_server.admin_lib
    run_id = lib.create_run(lib.create_experiment(unique("hidden"))).info.run_id
    lib.log_inputs(run_id, [_dataset("s3://secret/train.parquet")])
    return run_id


@pytest.fixture
def own_run(auth_server) -> str:
    """A run of the editor's own experiment."""
    editor = auth_server.client("editor")
    return editor.create_run(editor.create_experiment(unique("mine"))).info.run_id


def test_logging_the_same_dataset_shows_a_user_only_her_own_description(
    auth_server, hidden_run, own_run
):
    editor = auth_server.client("editor")

    editor.log_inputs(own_run, [_dataset("s3://mine/train.parquet")])

    [logged] = editor.get_run_inputs(own_run)
    assert logged.dataset.source == "s3://mine/train.parquet"
    assert "secret" not in repr(editor.get_run_inputs(own_run))


def test_a_user_cannot_plant_her_description_in_a_later_run_of_someone_else(auth_server, own_run):
    auth_server.client("editor").log_inputs(own_run, [_dataset("https://evil.example/x")])
    lib = auth_server.admin_lib
    run_id = lib.create_run(lib.create_experiment(unique("admin"))).info.run_id
    model = unique("carded")
    lib.create_registered_model(model)
    lib.create_model_version(model, f"runs:/{run_id}/model")

    lib.log_inputs(run_id, [_dataset("s3://admin/train.parquet")])

    [logged] = lib.get_run_inputs(run_id)
    assert logged.dataset.source == "s3://admin/train.parquet"
    card = lib.get_model_card(model, 1)
    assert "s3://admin/train.parquet" in card.training_data
    assert "evil" not in card.training_data
    sources = [n.attributes.get("source") for n in lib.lineage(model, 1).nodes]
    assert "s3://admin/train.parquet" in sources and "https://evil.example/x" not in sources


def test_the_migration_gives_each_run_the_description_it_was_shown(empty_database):
    from modelreg import Client
    from modelreg.store.database import Database

    migrate_to(empty_database, "0007")
    db = Database(empty_database)
    with db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO datasets (dataset_id, name, digest, source, data_schema, num_rows, "
                "creation_time) VALUES (1, 'train', :d, 's3://first', :s, 10, 1)"
            ),
            {"d": DIGEST, "s": json.dumps({"type": "files"})},
        )
        for run_id in ("r1", "r2"):
            conn.execute(
                text(
                    "INSERT INTO runs (run_id, experiment_id, run_name, user_id, status, "
                    "start_time, lifecycle_stage, artifact_uri) VALUES "
                    "(:r, 0, :r, 'ann', 'FINISHED', 1, 'active', 'mlflow-artifacts:/0/x')"
                ),
                {"r": run_id},
            )
            conn.execute(
                text(
                    "INSERT INTO run_inputs (run_id, dataset_id, context, timestamp) "
                    "VALUES (:r, 1, 'training', 1)"
                ),
                {"r": run_id},
            )
    db.upgrade()
    with db.read() as conn:
        shared = conn.execute(text("SELECT source, data_schema, num_rows FROM datasets")).one()
    db.dispose()

    client = Client(empty_database)
    for run_id in ("r1", "r2"):
        [logged] = client.get_run_inputs(run_id)
        assert logged.dataset == _dataset("s3://first")
    assert tuple(shared) == (None, None, None)
