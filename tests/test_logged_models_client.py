"""Logged models written through the public ``Client`` (MLflow's ``MlflowClient`` names):
created pending, finalized, tagged, given params, deleted, on every backend; bad input
refused naming the problem, with nothing created."""

from __future__ import annotations

import pytest

from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def experiment(client) -> str:
    return client.create_experiment("logged")


def test_a_created_model_is_pending_with_its_name_run_tags_params_and_type(client, experiment):
    run_id = client.create_run(experiment).info.run_id

    model = client.create_logged_model(
        experiment,
        name="ranker",
        source_run_id=run_id,
        tags={"team": "search"},
        params={"k": 10},
        model_type="agent",
    )

    again = client.get_logged_model(model.model_id)
    assert again == model
    assert (again.name, again.status, again.source_run_id) == ("ranker", "PENDING", run_id)
    assert (again.tags, again.params) == ({"team": "search"}, {"k": "10"})
    assert again.model_type == "agent"
    assert again.experiment_id == experiment and again.model_id.startswith("m-")


def test_a_model_without_a_name_gets_one(client, experiment):
    model = client.create_logged_model(experiment)

    assert model.name and model.source_run_id is None


@pytest.mark.parametrize("status", ["READY", "FAILED"])
def test_finalizing_sets_the_status(client, experiment, status):
    model = client.create_logged_model(experiment, name="m")

    finalized = client.finalize_logged_model(model.model_id, status)

    assert finalized.status == status == client.get_logged_model(model.model_id).status


def test_finalizing_with_another_status_is_refused_naming_it(client, experiment):
    model = client.create_logged_model(experiment, name="m")

    with pytest.raises(InvalidArgument, match="'DONE' is not one of"):
        client.finalize_logged_model(model.model_id, "DONE")

    assert client.get_logged_model(model.model_id).status == "PENDING"


def test_tags_are_set_replaced_and_deleted(client, experiment):
    model_id = client.create_logged_model(experiment, tags={"a": "1", "b": "2"}).model_id

    client.set_logged_model_tags(model_id, {"a": "changed", "c": 3})
    client.delete_logged_model_tag(model_id, "b")

    assert client.get_logged_model(model_id).tags == {"a": "changed", "c": "3"}


def test_params_are_added_to_the_model(client, experiment):
    model_id = client.create_logged_model(experiment, params={"k": "10"}).model_id

    client.log_model_params(model_id, {"temperature": 0.5})

    assert client.get_logged_model(model_id).params == {"k": "10", "temperature": "0.5"}


def test_a_deleted_model_is_not_found_nor_searched(client, experiment):
    kept = client.create_logged_model(experiment, name="kept").model_id
    gone = client.create_logged_model(experiment, name="gone").model_id

    client.delete_logged_model(gone)

    with pytest.raises(NotFound):
        client.get_logged_model(gone)
    assert [m.model_id for m in client.search_logged_models(experiment)] == [kept]


def test_writing_to_an_unknown_model_is_not_found(client):
    unknown = "m-" + "0" * 32
    for write in (
        lambda: client.finalize_logged_model(unknown, "READY"),
        lambda: client.set_logged_model_tags(unknown, {"a": "1"}),
        lambda: client.delete_logged_model_tag(unknown, "a"),
        lambda: client.log_model_params(unknown, {"a": "1"}),
        lambda: client.delete_logged_model(unknown),
    ):
        with pytest.raises(NotFound):
            write()


def test_a_model_in_an_unknown_experiment_or_of_an_unknown_run_is_not_found(client, experiment):
    with pytest.raises(NotFound):
        client.create_logged_model("987654")
    with pytest.raises(NotFound):
        client.create_logged_model(experiment, source_run_id="0" * 32)

    assert list(client.search_logged_models(experiment)) == []


def test_a_model_in_a_deleted_experiment_is_refused(client, experiment):
    client.delete_experiment(experiment)

    with pytest.raises(InvalidArgument, match="deleted"):
        client.create_logged_model(experiment)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"name": "a/../b"}, "name"),
        ({"tags": {"": "v"}}, "tag"),
        ({"params": {"k" * 300: "v"}}, "param"),
        ({"model_type": "t" * 1000}, "model_type"),
    ],
    ids=["traversal-in-name", "empty-tag-key", "huge-param-key", "huge-model-type"],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_created(
    client, experiment, kwargs, names
):
    with pytest.raises(InvalidArgument, match=names):
        client.create_logged_model(experiment, **kwargs)

    assert list(client.search_logged_models(experiment)) == []


def test_unicode_names_tags_and_params_are_kept(client, experiment):
    model = client.create_logged_model(
        experiment, name="modèle-日本", tags={"équipe": "検索"}, params={"α": "β"}
    )

    again = client.get_logged_model(model.model_id)
    assert (again.name, again.tags, again.params) == ("modèle-日本", {"équipe": "検索"}, {"α": "β"})


def test_a_folder_uploaded_to_a_model_becomes_its_files(client, experiment, tmp_path):
    folder = tmp_path / "agent"
    (folder / "prompts").mkdir(parents=True)
    (folder / "agent.py").write_text("ANSWER = 42\n")
    (folder / "prompts" / "system.txt").write_text("Be brief. ✓")
    model_id = client.create_logged_model(experiment, name="agent").model_id

    client.log_model_artifacts(model_id, folder)
    client.finalize_logged_model(model_id, "READY")

    version = client.create_model_version(
        client.create_registered_model("agent").name, f"models:/{model_id}"
    )
    out = client.download_model_version_artifacts(
        "agent", version.version, dst_path=tmp_path / "out"
    )
    assert (tmp_path / "out" / "agent.py").read_text() == "ANSWER = 42\n"
    assert (tmp_path / "out" / "prompts" / "system.txt").read_text() == "Be brief. ✓"
    assert out


def test_a_folder_goes_under_the_artifact_path_given(client, experiment, tmp_path):
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "agent.py").write_text("ANSWER = 42\n")
    model_id = client.create_logged_model(experiment, name="agent").model_id

    client.log_model_artifacts(model_id, folder, artifact_path="code")

    assert list(client._backend.logged_models.manifest(model_id)) == ["code/agent.py"]
    with pytest.raises(InvalidArgument, match="artifact_path"):
        client.log_model_artifacts(model_id, folder, artifact_path="../up")


def test_uploading_to_an_unknown_model_or_from_a_missing_folder_is_refused(
    client, experiment, tmp_path
):
    (tmp_path / "f.txt").write_text("x")
    model_id = client.create_logged_model(experiment).model_id

    with pytest.raises(NotFound):
        client.log_model_artifacts("m-" + "0" * 32, tmp_path)
    with pytest.raises(InvalidArgument):
        client.log_model_artifacts(model_id, tmp_path / "missing")
