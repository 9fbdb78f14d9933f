"""The helpers MLflow code calls on its entity classes (``ViewType``, ``RunStatus``,
``LifecycleStage``, ``FileInfo`` from ``mlflow.entities``) read the same from
``modelreg.entities``, on values modelreg returns."""

from __future__ import annotations

import pytest

from modelreg.entities import FileInfo, LifecycleStage, RunStatus, ViewType
from modelreg.errors import InvalidArgument


@pytest.fixture
def experiment_id(client) -> str:
    return client.create_experiment("views")


def test_a_search_by_view_type_finds_the_runs_of_that_stage(client, experiment_id):
    kept = client.create_run(experiment_id).info.run_id
    deleted = client.create_run(experiment_id).info.run_id
    client.delete_run(deleted)

    def found(view: str) -> set[str]:
        return {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=view)}

    assert found(ViewType.ACTIVE_ONLY) == {kept}
    assert found(ViewType.DELETED_ONLY) == {deleted}
    assert found(ViewType.ALL) == {kept, deleted}


def test_a_runs_lifecycle_stage_is_one_of_lifecycle_stages(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE

    client.delete_run(run_id)

    assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED


def test_a_finished_run_is_terminated_and_a_running_one_is_not(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    assert not RunStatus.is_terminated(client.get_run(run_id).info.status)

    client.set_terminated(run_id, RunStatus.to_string(RunStatus.FAILED))

    status = client.get_run(run_id).info.status
    assert RunStatus.is_terminated(RunStatus.from_string(status))
    assert status == RunStatus.FAILED


def test_an_artifact_listing_is_of_file_infos(client, experiment_id, tmp_path):
    run_id = client.create_run(experiment_id).info.run_id
    (tmp_path / "notes.txt").write_text("hi")

    client.log_artifact(run_id, tmp_path / "notes.txt", "docs")

    assert client.list_artifacts(run_id) == [FileInfo("docs", True, None)]
    assert client.list_artifacts(run_id, "docs") == [FileInfo("docs/notes.txt", False, 2)]


@pytest.mark.parametrize(
    ("given", "name"),
    [
        (None, "ACTIVE_ONLY"),
        ("deleted_only", "DELETED_ONLY"),
        (1, "ACTIVE_ONLY"),
        (2, "DELETED_ONLY"),
        (3, "ALL"),
    ],
)
def test_a_view_type_is_read_from_mlflows_forms(given, name):
    assert ViewType.from_string(given) == ViewType.to_string(given) == name


@pytest.mark.parametrize("bad", ["SOME", 4, True, 1.0, "", "A" * 100_000])
def test_an_unknown_view_type_is_refused_naming_the_field(bad):
    with pytest.raises(InvalidArgument, match="view_type"):
        ViewType.from_string(bad)


@pytest.mark.parametrize("bad", ["finished", "DONE", "", None])
def test_an_unknown_run_status_is_refused_naming_the_allowed_ones(bad):
    with pytest.raises(InvalidArgument, match="run status .* is not one of RUNNING"):
        RunStatus.is_terminated(bad)


def test_every_run_status_is_listed_and_the_terminal_ones_are_terminated():
    assert RunStatus.all_status() == ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
    assert [s for s in RunStatus.all_status() if RunStatus.is_terminated(s)] == [
        "FINISHED",
        "FAILED",
        "KILLED",
    ]


def test_a_view_type_maps_to_lifecycle_stages():
    assert LifecycleStage.view_type_to_stages(ViewType.ALL) == ("active", "deleted")
    assert LifecycleStage.view_type_to_stages() == ("active",)
