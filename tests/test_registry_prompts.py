"""MLflow's prompts: registered models whose versions hold a template in a tag, no files."""

import pytest

from modelreg.errors import InvalidArgument
from modelreg.prompts import PROMPT_TAG, readable_template

TEMPLATE = "Answer {{question}} politely. " + "Mind the details. " * 2000  # 36 KB


@pytest.fixture
def prompt(client):
    """Prompt 'qa', as MLflow's client creates one."""
    client.create_registered_model("qa", tags={PROMPT_TAG: "true"})
    return client


def _prompt_version(client, source="dummy-source", **tags):
    return client.create_model_version(
        "qa", source, tags={PROMPT_TAG: "true", "mlflow.prompt.text": TEMPLATE, **tags}
    )


@pytest.mark.parametrize("source", ["dummy-source", "prompt-template"])
def test_a_prompt_version_keeps_its_placeholder_source_and_whole_template(prompt, source):
    version = _prompt_version(prompt, source)

    stored = prompt.get_model_version("qa", version.version)
    assert stored.source == source
    assert stored.run_id is None
    assert stored.content_digest is None  # no files
    assert stored.tags["mlflow.prompt.text"] == TEMPLATE


def test_the_prompt_tag_is_read_in_any_case(prompt):
    version = prompt.create_model_version("qa", "dummy-source", tags={PROMPT_TAG: "TRUE"})

    assert version.source == "dummy-source"


def test_a_placeholder_source_without_the_prompt_tag_is_refused(prompt):
    with pytest.raises(InvalidArgument, match=f"source 'dummy-source'.*{PROMPT_TAG}"):
        prompt.create_model_version("qa", "dummy-source")
    with pytest.raises(InvalidArgument, match="source 'prompt-template'"):
        prompt.create_model_version("qa", "prompt-template", tags={PROMPT_TAG: "false"})


def test_a_prompt_version_with_files_is_refused(prompt):
    run_id = prompt.create_run("0").info.run_id

    with pytest.raises(InvalidArgument, match=f"source 'runs:/{run_id}/model'.*prompt"):
        _prompt_version(prompt, f"runs:/{run_id}/model")

    assert prompt.search_model_versions("name = 'qa'") == []


def test_a_prompt_version_is_no_source_for_a_model_version(prompt):
    _prompt_version(prompt)
    prompt.create_registered_model("model")

    with pytest.raises(InvalidArgument, match="'models:/qa/1' is a prompt version"):
        prompt.create_model_version("model", "models:/qa/1")


def test_prompt_versions_take_aliases_and_the_latest_one_is_found(prompt):
    _prompt_version(prompt)
    _prompt_version(prompt)
    prompt.set_registered_model_alias("qa", "production", 1)

    assert prompt.get_model_version_by_alias("qa", "production").version == 1
    assert prompt.get_model_version_by_alias("qa", "latest").version == 2


def test_prompts_are_found_by_their_tag_and_left_out_by_its_negation(prompt):
    prompt.create_registered_model("model")

    found = prompt.search_registered_models(f"tags.`{PROMPT_TAG}` = 'true'")
    models = prompt.search_registered_models(f"tags.`{PROMPT_TAG}` != 'true'")

    assert [m.name for m in found] == ["qa"]
    assert [m.name for m in models] == ["model"]


@pytest.mark.parametrize(
    ("tags", "shown"),
    [
        ({PROMPT_TAG: "true", "mlflow.prompt.text": "Hi {{x}}"}, "Hi {{x}}"),
        (
            {
                PROMPT_TAG: "true",
                "mlflow.prompt.text": '[{"role": "user", "content": "Hi"}]',
                "_mlflow_prompt_type": "chat",
            },
            "user: Hi",
        ),
        (
            {PROMPT_TAG: "true", "mlflow.prompt.text": "[not json", "_mlflow_prompt_type": "chat"},
            "[not json",
        ),
        (
            {PROMPT_TAG: "true", "mlflow.prompt.text": "[1, 2]", "_mlflow_prompt_type": "chat"},
            "[1, 2]",
        ),
        ({"mlflow.prompt.text": "Hi"}, None),
    ],
    ids=["text", "chat", "malformed chat", "chat of no messages", "no prompt"],
)
def test_a_template_reads_as_text_or_as_chat_messages(tags, shown):
    assert readable_template(tags) == shown
