"""MLflow 3's finer-grained prompt calls on ``Client``: create a prompt and its versions,
read them, tag them, delete them, and link the versions a run used."""

from __future__ import annotations

import pytest

import modelreg
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound


@pytest.fixture
def qa(client):
    client.create_prompt("qa", description="answers questions", tags={"team": "support"})
    client.create_prompt_version("qa", "Answer {{question}}.", description="first")
    client.create_prompt_version("qa", "Answer {{question}} briefly.", description="shorter")
    return client


def test_a_prompt_is_created_without_versions_and_then_given_them(client):
    created = client.create_prompt("qa", description="answers questions", tags={"team": "x"})
    first = client.create_prompt_version("qa", "Answer {{question}}.", "first", {"lang": "en"})

    assert (created.name, created.description, created.tags["team"]) == (
        "qa",
        "answers questions",
        "x",
    )
    assert (first.version, first.template, first.commit_message) == (
        1,
        "Answer {{question}}.",
        "first",
    )
    assert first.tags == {"lang": "en"}


def test_a_prompt_is_read_by_name_version_and_alias(qa):
    qa.set_prompt_alias("qa", "production", 1)

    assert qa.get_prompt("qa").description == "answers questions"
    assert qa.get_prompt_version("qa", 2).template == "Answer {{question}} briefly."
    assert qa.get_prompt_version("qa", "1").commit_message == "first"
    assert qa.get_prompt_version_by_alias("qa", "production").version == 1


def test_missing_prompts_and_versions_read_as_none_as_on_mlflow(qa):
    assert qa.get_prompt("nope") is None
    assert qa.get_prompt_version("qa", 9) is None
    with pytest.raises(NotFound):
        qa.get_prompt_version_by_alias("qa", "nowhere")


def test_the_versions_of_a_prompt_are_listed_newest_first_in_pages(qa):
    qa.create_prompt_version("qa", "Answer {{question}} in French.")

    first = qa.search_prompt_versions("qa", max_results=2)
    rest = qa.search_prompt_versions("qa", max_results=2, page_token=first.token)

    assert [p.version for p in first] == [3, 2]
    assert [p.version for p in rest] == [1] and rest.token is None


def test_tags_of_a_prompt_and_of_its_versions_are_set_and_removed(qa):
    qa.set_prompt_tag("qa", "owner", "ana")
    qa.set_prompt_version_tag("qa", 1, "reviewed", "yes")
    qa.delete_prompt_tag("qa", "team")

    assert qa.get_prompt("qa").tags.get("owner") == "ana" and "team" not in qa.get_prompt("qa").tags
    assert qa.get_prompt_version("qa", 1).tags == {"reviewed": "yes"}
    qa.delete_prompt_version_tag("qa", 1, "reviewed")
    assert qa.get_prompt_version("qa", 1).tags == {}


@pytest.mark.parametrize("key", ["mlflow.prompt.is_prompt", "mlflow.prompt.text"])
def test_the_tags_that_make_a_prompt_cannot_be_changed_by_hand(qa, key):
    with pytest.raises(InvalidArgument, match="kept by the prompt registry"):
        qa.set_prompt_tag("qa", key, "false")
    with pytest.raises(InvalidArgument, match="kept by the prompt registry"):
        qa.delete_prompt_version_tag("qa", 1, key)
    with pytest.raises(InvalidArgument, match="kept by the prompt registry"):
        qa.create_prompt("other", tags={key: "false"})

    assert qa.get_prompt_version("qa", 1).template == "Answer {{question}}."
    assert qa.get_prompt("other") is None


def test_a_version_and_then_the_prompt_are_deleted(qa):
    qa.delete_prompt_version("qa", 1)

    assert [p.version for p in qa.search_prompt_versions("qa")] == [2]
    qa.delete_prompt("qa")
    assert qa.get_prompt("qa") is None


def test_prompt_calls_refuse_a_registered_model_that_is_no_prompt(client):
    client.create_registered_model("fraud")

    with pytest.raises(InvalidArgument, match="'fraud' is a registered model, not a prompt"):
        client.get_prompt("fraud")
    with pytest.raises(InvalidArgument, match="not a prompt"):
        client.delete_prompt("fraud")
    with pytest.raises(AlreadyExists):
        client.create_prompt("fraud")

    assert client.get_registered_model("fraud").name == "fraud"


def test_creating_a_version_of_an_unknown_prompt_is_not_found(client):
    with pytest.raises(NotFound):
        client.create_prompt_version("nope", "Answer.")


def test_a_run_lists_the_prompt_versions_linked_to_it(qa):
    run_id = qa.create_run(qa.create_experiment("rag")).info.run_id

    qa.link_prompt_version_to_run(run_id, "prompts:/qa/1")
    qa.link_prompt_version_to_run(run_id, qa.get_prompt_version("qa", 2))
    qa.link_prompt_version_to_run(run_id, "prompts:/qa/1")  # once is enough

    assert [(p.name, p.version) for p in qa.list_logged_prompts(run_id)] == [("qa", 1), ("qa", 2)]


def test_loading_a_prompt_in_a_run_links_it_and_a_deleted_version_drops_out(qa):
    with modelreg.start_run() as run:
        modelreg.load_prompt("prompts:/qa/1")
        modelreg.load_prompt("qa", 2)
    qa.delete_prompt_version("qa", 1)

    assert [p.version for p in qa.list_logged_prompts(run.info.run_id)] == [2]
