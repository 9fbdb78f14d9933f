"""The fluent API's prompt calls (``modelreg.register_prompt``, ``load_prompt`` …): the
prompt registry of the current store; see :mod:`modelreg.prompts`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, overload

from modelreg.entities import PagedList, RegisteredModel
from modelreg.fluent import active_run, current_client
from modelreg.prompts import Prompt, Template


def register_prompt(
    name: str,
    template: Template,
    commit_message: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> Prompt:
    """Registers the next version of prompt ``name``; see ``Client.register_prompt``."""
    return current_client().register_prompt(name, template, commit_message, tags)


def search_prompts(
    filter_string: str | None = None, max_results: int = 1000
) -> PagedList[RegisteredModel]:
    """The prompts matching ``filter_string``; see ``Client.search_prompts``."""
    return current_client().search_prompts(filter_string, max_results)


def set_prompt_alias(name: str, alias: str, version: int | str) -> None:
    """Points an alias of a prompt at a version; see ``Client.set_prompt_alias``."""
    current_client().set_prompt_alias(name, alias, version)


def delete_prompt_alias(name: str, alias: str) -> None:
    """Removes an alias of a prompt; see ``Client.delete_prompt_alias``."""
    current_client().delete_prompt_alias(name, alias)


@overload
def load_prompt(
    name_or_uri: str, version: int | str | None = None, allow_missing: Literal[False] = False
) -> Prompt: ...
@overload
def load_prompt(
    name_or_uri: str, version: int | str | None = None, *, allow_missing: bool
) -> Prompt | None: ...
def load_prompt(
    name_or_uri: str, version: int | str | None = None, allow_missing: bool = False
) -> Prompt | None:
    """A version of a prompt (``prompts:/qa/3``, ``prompts:/qa@production``), or ``None``
    for a missing one with ``allow_missing``; see ``Client.load_prompt``. Inside a run,
    the run records that it used that version (its tag ``mlflow.linkedPrompts``, as
    MLflow keeps it), for lineage."""
    client = current_client()
    prompt = client.load_prompt(name_or_uri, version, allow_missing)
    run = active_run()
    if prompt is not None and run is not None:
        client.link_prompt_version_to_run(run.info.run_id, prompt)
    return prompt
