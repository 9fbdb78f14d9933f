"""MLflow's module-level run helpers: parent runs, deleting runs, flushing queued values,
and whether a tracking URI was chosen."""

import io
from pathlib import Path

import pytest

import modelreg
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def fluent(client):
    modelreg.set_experiment("runs")
    return client


def test_get_parent_run_is_the_run_a_nested_run_started_in(fluent):
    with modelreg.start_run() as parent:
        with modelreg.start_run(nested=True) as child:
            pass

    assert modelreg.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert modelreg.get_parent_run(parent.info.run_id) is None
    with pytest.raises(NotFound):
        modelreg.get_parent_run("0" * 32)


def test_delete_run_deletes_the_run_restorably(fluent):
    with modelreg.start_run() as run:
        pass

    modelreg.delete_run(run.info.run_id)

    assert fluent.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    modelreg.restore_run(run.info.run_id)
    assert fluent.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_an_experiment_is_restored_and_its_tags_deleted(fluent):
    experiment_id = modelreg.create_experiment("restorable")
    modelreg.set_experiment(experiment_id=experiment_id)
    modelreg.set_experiment_tags({"team": "risk", "temp": "x"})

    modelreg.delete_experiment_tag("temp")
    modelreg.delete_experiment(experiment_id)
    modelreg.restore_experiment(experiment_id)

    experiment = modelreg.get_experiment(experiment_id)
    assert experiment.lifecycle_stage == "active"
    assert experiment.tags == {"team": "risk"}


def test_set_model_version_tag_tags_the_version(fluent):
    source = f"runs:/{fluent.create_run('0').info.run_id}/model"
    fluent.create_registered_model("tagged")
    fluent.create_model_version("tagged", source)

    modelreg.set_model_version_tag("tagged", "1", "validation_status", "passed")

    assert fluent.get_model_version("tagged", 1).tags == {"validation_status": "passed"}


def test_flush_async_logging_returns_once_queued_values_are_written(fluent):
    with modelreg.start_run() as run:
        for step in range(50):
            modelreg.log_metric("loss", 1 / (step + 1), step=step, synchronous=False)

        modelreg.flush_async_logging()

        assert len(fluent.get_metric_history(run.info.run_id, "loss")) == 50


def test_is_tracking_uri_set_says_whether_a_uri_was_chosen(tmp_path, monkeypatch):
    assert modelreg.is_tracking_uri_set() is False
    monkeypatch.setenv("MODELREG_TRACKING_URI", str(tmp_path / "env"))
    assert modelreg.is_tracking_uri_set() is True
    monkeypatch.delenv("MODELREG_TRACKING_URI")
    modelreg.set_tracking_uri(tmp_path / "set")
    assert modelreg.is_tracking_uri_set() is True
    modelreg.set_tracking_uri(None)
    assert modelreg.is_tracking_uri_set() is False


def test_the_registry_uri_is_the_tracking_uri(tmp_path):
    modelreg.set_tracking_uri(tmp_path / "store")

    modelreg.set_registry_uri(tmp_path / "store")
    modelreg.set_registry_uri(None)

    assert modelreg.get_registry_uri() == modelreg.get_tracking_uri()


def test_a_registry_uri_other_than_the_tracking_uri_is_refused_saying_what_to_do(tmp_path):
    modelreg.set_tracking_uri(tmp_path / "store")

    with pytest.raises(InvalidArgument, match="set_tracking_uri"):
        modelreg.set_registry_uri("databricks-uc")
    with pytest.raises(InvalidArgument, match="is not the tracking URI"):
        modelreg.set_registry_uri(f"sqlite:///{tmp_path}/other.db")


def test_log_stream_stores_into_the_active_run_or_the_named_one(fluent, tmp_path):
    other = fluent.create_run("0").info.run_id
    with modelreg.start_run() as run:
        modelreg.log_stream(io.BytesIO(b"active"), "a.bin")
        modelreg.log_stream(io.BytesIO(b"named"), "b.bin", run_id=other)

    active = fluent.download_artifacts(run.info.run_id, "a.bin", tmp_path / "a")
    named = fluent.download_artifacts(other, "b.bin", tmp_path / "b")
    assert (Path(active).read_bytes(), Path(named).read_bytes()) == (b"active", b"named")
    assert [f.path for f in fluent.list_artifacts(run.info.run_id)] == ["a.bin"]
