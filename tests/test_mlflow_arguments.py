"""MLflow's arguments, by MLflow's names and positions, on the calls modelreg shares with
it: code moved over with ``mlflow`` replaced by ``modelreg`` runs as it did. (Which
arguments each call takes is checked against MLflow's own signatures in
``test_mlflow_api_parity.py``.)"""

from __future__ import annotations

import numpy as np
import pytest

import modelreg
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def finished_run(client):
    run = client.create_run(client.get_experiment_by_name("Default").experiment_id)
    return run.info.run_id


def test_fluent_logging_takes_run_id_and_starts_no_run(client, finished_run, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")

    modelreg.log_params({"alpha": 1}, run_id=finished_run)
    modelreg.log_artifact(str(tmp_path / "notes.txt"), run_id=finished_run)
    modelreg.log_artifacts(str(tmp_path), "folder", run_id=finished_run)
    modelreg.log_text("text", "a.txt", run_id=finished_run)
    modelreg.log_dict({"k": 1}, "d.json", run_id=finished_run)
    modelreg.log_table({"c": [1, 2]}, "t.json", run_id=finished_run)

    assert modelreg.active_run() is None
    assert client.get_run(finished_run).data.params == {"alpha": "1"}
    paths = {f.path for f in client.list_artifacts(finished_run)}
    assert paths == {"notes.txt", "folder", "a.txt", "d.json", "t.json"}


def test_start_run_with_parent_run_id_makes_a_child_of_that_run(client, finished_run):
    with modelreg.start_run(parent_run_id=finished_run) as child:
        pass

    tags = client.get_run(child.info.run_id).data.tags
    assert tags["modelreg.parentRunId"] == finished_run


def test_parent_run_id_must_be_the_active_run_a_live_run_or_one_that_exists(client, finished_run):
    with modelreg.start_run() as active:
        with pytest.raises(InvalidArgument, match="is not the active run"):
            modelreg.start_run(nested=True, parent_run_id=finished_run)
        with modelreg.start_run(nested=True, parent_run_id=active.info.run_id) as child:
            assert modelreg.active_run().info.run_id == child.info.run_id
    client.delete_run(finished_run)

    with pytest.raises(InvalidArgument, match="names a deleted run"):
        modelreg.start_run(parent_run_id=finished_run)
    with pytest.raises(NotFound):
        modelreg.start_run(parent_run_id="0" * 32)
    assert modelreg.active_run() is None


def test_search_runs_can_search_every_experiment(client):
    for name in ("first", "second"):
        modelreg.set_experiment(name)
        with modelreg.start_run():
            modelreg.log_param("experiment", name)

    found = modelreg.search_runs(search_all_experiments=True, output_format="list")

    assert sorted(r.data.params["experiment"] for r in found) == ["first", "second"]
    assert len(modelreg.search_runs(output_format="list")) == 1  # the active experiment


def test_register_model_takes_await_registration_for_third(client, finished_run, tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"w")
    client.log_artifacts(finished_run, str(tmp_path), "model")

    version = modelreg.register_model(f"runs:/{finished_run}/model", "m", 0)

    assert version.version == 1


def test_create_model_version_takes_mlflows_arguments_in_mlflows_order(client, finished_run):
    client.log_text(finished_run, "w", "model/weights.txt")
    client.create_registered_model("m")

    version = client.create_model_version(
        "m", f"runs:/{finished_run}/model", finished_run, {"team": "fraud"}, None, "first", 0
    )

    assert (version.tags, version.description) == ({"team": "fraud"}, "first")


def test_create_model_version_checks_a_model_id_against_its_source(client, finished_run):
    experiment = client.get_run(finished_run).info.experiment_id
    client.log_text(finished_run, "w", "model/weights.txt")
    model_id = client.create_logged_model(experiment, "m", source_run_id=finished_run).model_id
    client.record_logged_model_files(model_id, "model")
    client.create_registered_model("m")

    version = client.create_model_version("m", f"models:/{model_id}", model_id=model_id)
    copy = client.create_model_version("m", "models:/m/1", model_id=model_id)

    assert version.model_id == copy.model_id == model_id
    with pytest.raises(InvalidArgument, match="model_id request parameter must identify"):
        client.create_model_version("m", f"runs:/{finished_run}/model", model_id=model_id)
    with pytest.raises(InvalidArgument, match="model_id request parameter must identify"):
        client.create_model_version("m", f"models:/{model_id}", model_id="m-" + "0" * 32)
    assert [v.version for v in client.search_model_versions("name = 'm'")] == [2, 1]


def test_a_version_tag_can_name_the_version_by_its_stage(client, finished_run):
    client.log_text(finished_run, "w", "model/weights.txt")
    client.create_registered_model("m")
    for _ in range(2):
        client.create_model_version("m", f"runs:/{finished_run}/model")
    client.transition_model_version_stage("m", 1, "Production")

    client.set_model_version_tag("m", key="checked", value="yes", stage="Production")

    assert client.get_model_version("m", 1).tags == {"checked": "yes"}
    client.delete_model_version_tag("m", key="checked", stage="Production")
    assert client.get_model_version("m", 1).tags == {}
    with pytest.raises(InvalidArgument, match="give version or stage, not both"):
        client.set_model_version_tag("m", 1, "k", "v", stage="Production")
    with pytest.raises(NotFound, match="no version in stage 'Staging'"):
        client.set_model_version_tag("m", key="k", value="v", stage="Staging")


def test_infer_signature_takes_mlflows_argument_names():
    signature = modelreg.infer_signature(
        model_input=np.zeros((2, 3)), model_output=np.zeros(2), params={"k": 1}
    )

    assert signature.outputs is not None and signature.params is not None


def test_the_system_metrics_interval_is_set_by_mlflows_argument_name():
    modelreg.set_system_metrics_sampling_interval(interval=2)
    modelreg.set_system_metrics_sampling_interval(interval=None)


def test_load_prompt_with_allow_missing_gives_none_for_what_is_not_there(client):
    modelreg.register_prompt("greeting", "Hello {{name}}")

    assert modelreg.load_prompt("prompts:/absent/1", allow_missing=True) is None
    assert modelreg.load_prompt("greeting", 7, allow_missing=True) is None
    assert client.load_prompt("prompts:/greeting@nope", allow_missing=True) is None
    assert modelreg.load_prompt("greeting", allow_missing=True).template == "Hello {{name}}"
    with pytest.raises(NotFound):
        modelreg.load_prompt("prompts:/absent/1")


def test_make_metric_keeps_its_metadata():
    metric = modelreg.make_metric(
        eval_fn=lambda predictions: 1.0, greater_is_better=True, name="one",
        metric_metadata={"owner": "eval-team"},
    )  # fmt: skip

    assert metric.metric_metadata == {"owner": "eval-team"}


def test_log_inputs_records_each_dataset_with_its_context(client):
    train, test = np.zeros((3, 2)), np.ones((2, 2))
    with modelreg.start_run() as run:
        modelreg.log_inputs(
            [train, test], tags_list=[{"mlflow.data.context": "train"}, None],
            contexts=[None, "evaluation"],
        )  # fmt: skip
        with pytest.raises(InvalidArgument, match="lists of one length"):
            modelreg.log_inputs([train, test], contexts=["train"])

    inputs = client.get_run_inputs(run.info.run_id)
    assert sorted((i.context, i.dataset.digest) for i in inputs) == sorted(
        [("train", modelreg.datasets.from_numpy(train).digest),
         ("evaluation", modelreg.datasets.from_numpy(test).digest)]
    )  # fmt: skip


def test_a_logged_model_takes_one_file_and_lists_its_files(client, tmp_path):
    experiment = client.get_experiment_by_name("Default").experiment_id
    model_id = client.create_logged_model(experiment, name="agent").model_id
    (tmp_path / "prompt.txt").write_text("Be brief.")

    client.log_model_artifact(model_id, tmp_path / "prompt.txt", artifact_path="prompts")

    assert [(f.path, f.is_dir) for f in client.list_logged_model_artifacts(model_id)] == [
        ("prompts", True)
    ]
    (listed,) = client.list_logged_model_artifacts(model_id, "prompts")
    assert (listed.path, listed.file_size) == ("prompts/prompt.txt", 9)
    with pytest.raises(InvalidArgument, match="is not a file"):
        client.log_model_artifact(model_id, tmp_path)


def test_evaluate_and_its_evaluators_are_in_modelreg_models_as_in_mlflow_models():
    assert modelreg.models.evaluate is modelreg.evaluate
    assert modelreg.models.list_evaluators() == ["default"]
