"""MLflow's prompts: registered models whose versions hold a template in a tag, no files."""

import json

import pytest

from modelreg.errors import InvalidArgument, NotFound
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


def test_a_prompt_version_is_not_copied_into_a_model(prompt):
    _prompt_version(prompt)

    with pytest.raises(InvalidArgument, match="'models:/qa/1' names a prompt version"):
        prompt.copy_model_version("models:/qa/1", "model")
    with pytest.raises(NotFound):
        prompt.get_registered_model("model")


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


# -- modelreg's own prompt API ---------------------------------------------------------


def test_registering_a_prompt_twice_makes_versions_1_and_2(client):
    first = client.register_prompt("greet", "Hello {{name}}!", commit_message="first")
    second = client.register_prompt("greet", "Hi {{ name }}.", tags={"tone": "short"})

    assert (first.version, first.template, first.commit_message) == (1, "Hello {{name}}!", "first")
    assert (second.version, second.tags) == (2, {"tone": "short"})
    assert client.get_registered_model("greet").tags == {PROMPT_TAG: "true"}


def test_a_prompt_is_stored_as_mlflow_stores_one(client):
    client.register_prompt("greet", "Hello {{name}}!")

    version = client.get_model_version("greet", 1)
    assert version.source == "prompt-template"
    assert version.tags == {
        PROMPT_TAG: "true",
        "mlflow.prompt.text": "Hello {{name}}!",
        "_mlflow_prompt_type": "text",
    }


@pytest.mark.parametrize(
    ("reference", "version"),
    [
        (("prompts:/greet/1",), 1),
        (("prompts:/greet@production",), 1),
        (("prompts:/greet@latest",), 2),
        (("prompts:/greet",), 2),
        (("greet",), 2),
        (("greet", 1), 1),
        (("greet", "production"), 1),
    ],
)
def test_a_prompt_loads_by_uri_number_alias_or_latest(client, reference, version):
    client.register_prompt("greet", "Hello {{name}}!")
    client.register_prompt("greet", "Hi {{name}}.")
    client.set_registered_model_alias("greet", "production", 1)

    loaded = client.load_prompt(*reference)

    assert (loaded.name, loaded.version) == ("greet", version)
    assert loaded.aliases == (("production",) if version == 1 else ())


def test_a_text_prompt_formats_its_placeholders(client):
    prompt = client.register_prompt("qa", "Answer {{ question }} for {{user.name}}. {{question}}")

    assert prompt.variables == {"question", "user.name"}
    assert prompt.format(question="why?", **{"user.name": "Ann"}) == "Answer why? for Ann. why?"


def test_a_chat_prompt_round_trips_and_formats_each_message(client):
    messages = [
        {"role": "system", "content": "You are {{persona}}."},
        {"role": "user", "content": "{{question}}"},
    ]
    client.register_prompt("chat", messages)

    prompt = client.load_prompt("prompts:/chat/1")

    assert prompt.template == messages
    assert prompt.format(persona="a cat", question="hi") == [
        {"role": "system", "content": "You are a cat."},
        {"role": "user", "content": "hi"},
    ]


def test_formatting_without_a_value_names_the_missing_placeholders(client):
    prompt = client.register_prompt("qa", "{{a}} and {{b}} and {{c}}")

    with pytest.raises(InvalidArgument, match="needs a value for a, c$"):
        prompt.format(b=1)


@pytest.mark.parametrize("template", [None, 3, [], ["text"], [{"content": "no role"}]])
def test_a_template_that_is_neither_text_nor_messages_is_refused(client, template):
    with pytest.raises(InvalidArgument, match="template"):
        client.register_prompt("qa", template)

    assert client.search_registered_models("name = 'qa'") == []


def test_a_model_is_no_prompt_either_way(client):
    client.create_registered_model("model")
    run_id = client.create_run("0").info.run_id
    client.create_model_version("model", f"runs:/{run_id}/model")

    with pytest.raises(InvalidArgument, match="'model' is a registered model, not a prompt"):
        client.register_prompt("model", "Hi")
    with pytest.raises(InvalidArgument, match="'model' version 1 is a model version"):
        client.load_prompt("prompts:/model/1")


@pytest.mark.parametrize(
    "uri", ["prompts:/", "prompts:/qa/", "prompts:/qa@", "prompts:/qa/one", "prompts:/@x"]
)
def test_a_malformed_prompt_uri_is_refused_naming_it(client, uri):
    with pytest.raises(InvalidArgument, match="prompt URI"):
        client.load_prompt(uri)


def test_an_unknown_prompt_or_version_is_not_found(client):
    client.register_prompt("qa", "Hi")

    with pytest.raises(NotFound, match="'ghost'"):
        client.load_prompt("ghost")
    with pytest.raises(NotFound, match="no version 7"):
        client.load_prompt("prompts:/qa/7")
    with pytest.raises(NotFound, match="no alias 'gone'"):
        client.load_prompt("prompts:/qa@gone")


def test_a_run_records_each_prompt_version_it_loaded_once(tmp_path, monkeypatch):
    import modelreg

    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    modelreg.set_tracking_uri(f"sqlite:///{tmp_path}/registry.db")
    modelreg.register_prompt("qa", "Answer {{q}}")
    modelreg.register_prompt("qa", "Please answer {{q}}")
    modelreg.load_prompt("qa")  # outside any run: nothing to record

    with modelreg.start_run() as run:
        modelreg.load_prompt("prompts:/qa/1")
        modelreg.load_prompt("prompts:/qa@latest")
        modelreg.load_prompt("prompts:/qa/1")

    linked = modelreg.get_run(run.info.run_id).data.tags["mlflow.linkedPrompts"]
    assert json.loads(linked) == [{"name": "qa", "version": "1"}, {"name": "qa", "version": "2"}]


def test_a_linked_prompts_tag_that_is_no_list_is_left_as_it_is(tmp_path, monkeypatch):
    import modelreg

    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    modelreg.set_tracking_uri(f"sqlite:///{tmp_path}/registry.db")
    modelreg.register_prompt("qa", "Answer {{q}}")

    with modelreg.start_run() as run:
        modelreg.set_tag("mlflow.linkedPrompts", "hand-written")
        modelreg.load_prompt("qa")

    assert modelreg.get_run(run.info.run_id).data.tags["mlflow.linkedPrompts"] == "hand-written"


def test_the_fluent_functions_use_the_current_tracking_uri(tmp_path, monkeypatch):
    import modelreg

    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    modelreg.set_tracking_uri(f"sqlite:///{tmp_path}/registry.db")

    modelreg.register_prompt("qa", "Answer {{q}}")

    assert modelreg.load_prompt("prompts:/qa@latest").format(q="why") == "Answer why"


def test_search_prompts_finds_prompts_only_and_takes_a_filter(client):
    for name in ("greet", "greet-formal", "qa"):
        client.register_prompt(name, "Hello {{name}}!")
    client.create_registered_model("greeter-model")

    every = client.search_prompts()
    greetings = client.search_prompts("name LIKE 'greet%'", order_by=["name DESC"])
    first = client.search_prompts(max_results=2)
    rest = client.search_prompts(max_results=2, page_token=first.token)

    assert [p.name for p in every] == ["greet", "greet-formal", "qa"]
    assert [p.name for p in greetings] == ["greet-formal", "greet"]
    assert [p.name for p in [*first, *rest]] == ["greet", "greet-formal", "qa"]


def test_a_prompt_alias_is_set_loaded_and_deleted(client):
    client.register_prompt("greet", "Hello {{name}}!")
    client.register_prompt("greet", "Hi {{name}}.")

    client.set_prompt_alias("greet", "production", 1)
    loaded = client.load_prompt("prompts:/greet@production")
    client.delete_prompt_alias("greet", "production")

    assert loaded.version == 1
    with pytest.raises(NotFound):
        client.load_prompt("prompts:/greet@production")


def test_prompt_aliases_are_refused_on_a_model_that_is_no_prompt(client):
    client.create_registered_model("model")

    with pytest.raises(InvalidArgument, match="'model' is a registered model, not a prompt"):
        client.set_prompt_alias("model", "production", 1)
    with pytest.raises(InvalidArgument, match="not a prompt"):
        client.delete_prompt_alias("model", "production")


def test_the_fluent_api_searches_prompts_and_moves_their_aliases(tmp_path, monkeypatch):
    import modelreg

    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    modelreg.set_tracking_uri(f"sqlite:///{tmp_path}/registry.db")
    modelreg.register_prompt("qa", "Answer {{q}}")
    modelreg.register_prompt("qa", "Please answer {{q}}")

    modelreg.set_prompt_alias("qa", "production", 2)
    found = modelreg.search_prompts("name = 'qa'")
    aliased = modelreg.load_prompt("prompts:/qa@production").version
    modelreg.delete_prompt_alias("qa", "production")

    assert ([p.name for p in found], found[0].aliases, aliased) == (["qa"], {"production": 2}, 2)
    assert modelreg.search_prompts()[0].aliases == {}
