"""MLflow's module-level experiment and tag functions: the same calls as the Client's."""

import pytest

import modelreg
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound


def test_an_experiment_is_created_found_by_id_and_name_and_deleted(client):
    experiment_id = modelreg.create_experiment("fraud", tags={"team": "risk"})

    assert modelreg.get_experiment(experiment_id).name == "fraud"
    assert modelreg.get_experiment_by_name("fraud").tags == {"team": "risk"}
    assert modelreg.get_experiment_by_name("nothing") is None
    with pytest.raises(AlreadyExists):
        modelreg.create_experiment("fraud")

    modelreg.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"


def test_search_experiments_reads_every_page_or_stops_at_max_results(client, monkeypatch):
    from modelreg import fluent_experiments

    monkeypatch.setattr(fluent_experiments, "_PAGE", 2)
    for i in range(5):
        modelreg.create_experiment(f"sweep-{i}")

    found = modelreg.search_experiments(filter_string="name LIKE 'sweep-%'", order_by=["name"])
    first = modelreg.search_experiments(max_results=3, order_by=["name DESC"])

    assert [e.name for e in found] == [f"sweep-{i}" for i in range(5)]
    assert [e.name for e in first] == ["sweep-4", "sweep-3", "sweep-2"]


def test_experiment_tags_go_to_the_experiment_set_active(client):
    experiment = modelreg.set_experiment("tagged")

    modelreg.set_experiment_tag("team", "risk")
    modelreg.set_experiment_tags({"owner": "ana", "team": "fraud"})

    assert client.get_experiment(experiment.experiment_id).tags == {
        "team": "fraud",
        "owner": "ana",
    }


def test_delete_tag_removes_a_tag_of_the_active_run(client):
    modelreg.set_experiment("runs")
    with modelreg.start_run(tags={"draft": "yes"}) as run:
        modelreg.delete_tag("draft")
        with pytest.raises(NotFound, match="draft"):
            modelreg.delete_tag("draft")

    assert "draft" not in client.get_run(run.info.run_id).data.tags


def test_get_artifact_uri_names_the_active_runs_artifacts(client):
    modelreg.set_experiment("runs")
    with modelreg.start_run() as run:
        root = modelreg.get_artifact_uri()
        model = modelreg.get_artifact_uri("model/MLmodel")
        with pytest.raises(InvalidArgument, match="artifact_path"):
            modelreg.get_artifact_uri("../other")

    assert root == client.get_run(run.info.run_id).info.artifact_uri
    assert model == f"{root}/model/MLmodel"
