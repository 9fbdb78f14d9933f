"""``modelreg prompts list|show``: prompt templates from the command line."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def qa(lib) -> None:
    """Prompt 'qa' with two versions, the first aliased 'production'; model 'm' beside it."""
    lib.register_prompt("qa", "Answer {{question}}.", commit_message="first")
    lib.register_prompt(
        "qa", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{q}}"}]
    )
    lib.set_registered_model_alias("qa", "production", 1)
    lib.create_registered_model("m")


def test_list_shows_prompts_and_no_models(invoke, qa):
    result = invoke("prompts", "list", "--json")

    assert [p["name"] for p in json.loads(result.stdout)] == ["qa"]


def test_show_prints_the_newest_template_with_chat_messages_readable(invoke, qa):
    result = invoke("prompts", "show", "qa")

    assert "system: Be brief.\n\nuser: {{q}}" in result.stdout
    assert "Placeholders" in result.stdout and "q" in result.stdout


def test_show_by_alias_gives_that_version_as_json(invoke, qa):
    result = invoke("prompts", "show", "prompts:/qa@production", "--json")

    shown = json.loads(result.stdout)
    assert (shown["version"], shown["template"], shown["commit_message"]) == (
        1,
        "Answer {{question}}.",
        "first",
    )
    assert (shown["aliases"], shown["variables"]) == (["production"], ["question"])


def test_show_of_a_model_fails_saying_it_is_no_prompt(invoke, qa):
    result = invoke("prompts", "show", "m", "--version", "1")

    assert result.exit_code != 0
    assert "'m'" in result.output
