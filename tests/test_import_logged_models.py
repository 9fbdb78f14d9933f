"""Writing an MLflow 3 logged model as it was (``import-mlflow``'s logged models phase).

Through the public ``Client``'s backend on every backend; the whole import against a real
MLflow server is in ``test_import_mlflow.py``.
"""

from __future__ import annotations

import uuid

import pytest

from modelreg.entities import LoggedModelInput, LoggedModelOutput
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import RunModelLink

CREATED, UPDATED = 1_600_000_000_000, 1_600_000_005_000


def _fresh_id() -> str:
    return f"m-{uuid.uuid4().hex}"


@pytest.fixture
def run(client):
    experiment_id = client.create_experiment("imported")
    return client.create_run(experiment_id)


def _import(client, run, model_id: str, **changes):
    blob = client._backend.artifacts.blobs.put_bytes(b"weights")
    fields = {
        "model_id": model_id,
        "experiment_id": run.info.experiment_id,
        "name": "model",
        "status": "READY",
        "creation_time": CREATED,
        "last_updated_time": UPDATED,
        "files": {"data/model.bin": {"digest": blob.digest, "size": blob.size}},
        "source_run_id": run.info.run_id,
        "model_type": "classifier",
        "tags": {"team": "vision"},
        "params": {"C": "1.0"},
        "metrics": [
            {"key": "acc", "value": 0.9, "timestamp": CREATED, "step": 3, "run_id": run.info.run_id}
        ],
        **changes,
    }
    return client._backend.imports.import_logged_model(**fields)


def test_an_imported_logged_model_keeps_its_id_fields_times_metrics_and_files(client, run):
    model_id = _fresh_id()

    assert _import(client, run, model_id) is False

    found = client.get_logged_model(model_id)
    assert (found.name, found.status, found.model_type) == ("model", "READY", "classifier")
    assert (found.creation_timestamp, found.last_updated_timestamp) == (CREATED, UPDATED)
    assert found.source_run_id == run.info.run_id
    assert found.experiment_id == run.info.experiment_id
    assert (found.tags, found.params) == ({"team": "vision"}, {"C": "1.0"})
    assert [(m.metric.key, m.metric.value, m.metric.step) for m in found.metrics] == [
        ("acc", 0.9, 3)
    ]
    assert list(client._backend.logged_models.manifest(model_id)) == ["data/model.bin"]
    assert [m.model_id for m in client.get_run_logged_models(run.info.run_id)] == [model_id]


def test_importing_a_logged_model_again_changes_nothing(client, run):
    model_id = _fresh_id()
    _import(client, run, model_id)
    before = client.get_logged_model(model_id)

    assert _import(client, run, model_id, name="renamed", tags={"other": "x"}) is True

    assert client.get_logged_model(model_id) == before


def test_a_logged_model_whose_run_is_gone_keeps_the_run_id_without_a_link(client, run):
    model_id, gone = _fresh_id(), uuid.uuid4().hex

    _import(client, run, model_id, source_run_id=gone, metrics=[])

    assert client.get_logged_model(model_id).source_run_id == gone
    assert client.get_run_logged_models(run.info.run_id) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"model_id": "m-not-hex"}, "model_id"),
        ({"model_id": "../" + "a" * 32}, "model_id"),
        ({"status": "LOGGED_MODEL_READY"}, "status"),
        ({"name": ""}, "name"),
        ({"creation_time": -1}, "creation_time"),
        ({"metrics": [{"key": "acc"}]}, "value"),
        ({"files": {"../escape": {"digest": "0" * 64, "size": 1}}}, "never uploaded"),
        ({"tags": {"": "x"}}, "tag key"),
    ],
)
def test_a_bad_logged_model_is_refused_naming_the_field_and_nothing_is_written(
    client, run, changes, field
):
    model_id = changes.get("model_id", _fresh_id())

    with pytest.raises(InvalidArgument, match=field):
        _import(client, run, **{"model_id": model_id, **changes})

    if model_id.startswith("m-") and len(model_id) == 34:
        with pytest.raises(NotFound):
            client.get_logged_model(model_id)


def test_a_file_path_that_climbs_out_is_refused(client, run):
    blob = client._backend.artifacts.blobs.put_bytes(b"x")

    with pytest.raises(InvalidArgument, match="path"):
        _import(client, run, _fresh_id(), files={"../x": {"digest": blob.digest, "size": 1}})


def test_a_logged_model_into_an_unknown_experiment_is_not_found(client, run):
    with pytest.raises(NotFound):
        _import(client, run, _fresh_id(), experiment_id="987654")


def test_an_imported_runs_links_to_the_models_it_used_and_made_keep_their_steps(client, run):
    used, made, missing = _fresh_id(), _fresh_id(), _fresh_id()
    _import(client, run, used, source_run_id=None, metrics=[])
    _import(client, run, made, metrics=[])
    links = [
        RunModelLink(used, "input"),
        RunModelLink(made, "output", 7),
        RunModelLink(missing, "input"),
    ]

    client._backend.imports.import_run_model_links(run.info.run_id, links)
    client._backend.imports.import_run_model_links(run.info.run_id, links)

    found = client.get_run(run.info.run_id)
    assert found.inputs.model_inputs == [LoggedModelInput(used)]
    assert found.outputs.model_outputs == [LoggedModelOutput(made, 7)]


def test_links_of_an_unknown_run_are_not_found(client, run):
    with pytest.raises(NotFound, match="run"):
        client._backend.imports.import_run_model_links(uuid.uuid4().hex, [])


def test_a_link_in_another_direction_is_refused_and_none_is_written(client, run):
    model_id = _fresh_id()
    _import(client, run, model_id, source_run_id=None, metrics=[])
    links = [RunModelLink(model_id, "input"), RunModelLink(model_id, "sideways")]

    with pytest.raises(InvalidArgument, match="direction 'sideways'"):
        client._backend.imports.import_run_model_links(run.info.run_id, links)

    assert client.get_run(run.info.run_id).inputs.model_inputs == []
