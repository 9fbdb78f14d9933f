"""Prompts: versioned templates for LLM applications, kept in the model registry.

A prompt is a registered model tagged ``mlflow.prompt.is_prompt = 'true'``; each
of its versions carries the same tag, its template in the tag
``mlflow.prompt.text``, and one of MLflow's placeholder sources instead of files.
That is MLflow's own layout, so prompts registered with ``Client.register_prompt``
load with ``mlflow.genai.load_prompt`` against ``modelreg server`` and the
other way round, and an import from MLflow keeps them.

>>> client.register_prompt("qa", "Answer {{question}} in one line.", commit_message="v1")
>>> client.load_prompt("prompts:/qa@latest").format(question="why?")
'Answer why? in one line.'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelreg.errors import InvalidArgument

PROMPT_TAG = "mlflow.prompt.is_prompt"
TEMPLATE_TAG = "mlflow.prompt.text"
# "text", or "chat" for a template that is a JSON list of {role, content} messages.
TYPE_TAG = "_mlflow_prompt_type"
# A run's list of the prompt versions it loaded, as JSON [{"name", "version"}] (MLflow's).
LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
# Tags MLflow's clients keep about a prompt version (its template, type, response
# format, model settings), not the user's own.
INTERNAL_TAG_PREFIXES = ("mlflow.prompt.", "_mlflow_prompt")
# The sources MLflow's senders give a prompt's versions (its stores, its client and UI).
PROMPT_SOURCE = "prompt-template"
PROMPT_SOURCES = frozenset({PROMPT_SOURCE, "dummy-source"})


def tagged_as_prompt(tags: Mapping[str, str]) -> bool:
    """Whether ``tags`` mark a prompt: the tag's value is ``true`` in any case."""
    return tags.get(PROMPT_TAG, "false").lower() == "true"


def readable_template(tags: Mapping[str, str]) -> str | None:
    """A prompt version's template as a person reads it (a chat's messages as
    ``role: content`` paragraphs); ``None`` for a version of no prompt."""
    return readable(_template_of(tags)) if tagged_as_prompt(tags) else None


def readable(template: Template) -> str:
    """A template as a person reads it: text as it is, chat messages as paragraphs."""
    if isinstance(template, str):
        return template
    return "\n\n".join(f"{m.get('role', '')}: {m.get('content', '')}" for m in template)


def _template_of(tags: Mapping[str, str]) -> Template:
    """The template a version's tags hold: chat messages when its type says so and the
    text is a JSON list of objects, else the text as it is."""
    text = tags.get(TEMPLATE_TAG, "")
    if tags.get(TYPE_TAG) != "chat":
        return text
    try:
        messages = json.loads(text)
    except ValueError:
        return text
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return text
    return messages


# ``{{ name }}`` or ``{{ a.b }}``: MLflow's placeholders. The name's characters and the
# spaces around it are disjoint classes, so a match never backtracks into itself.
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")

Template = str | list[dict[str, Any]]


@dataclass(frozen=True)
class Prompt:
    """One version of a prompt: its template (text, or chat messages ``{role, content}``),
    commit message, tags (without the ones that make it a prompt) and aliases."""

    name: str
    version: int
    template: Template
    commit_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "template": self.template,
            "commit_message": self.commit_message,
            "tags": dict(self.tags),
            "aliases": list(self.aliases),
            "variables": sorted(self.variables),
        }

    @property
    def variables(self) -> set[str]:
        """The names of the template's ``{{ placeholders }}``."""
        return set(_VARIABLE.findall(_text_of(self.template)))

    def format(self, **values: Any) -> Template:
        """The template with each ``{{ name }}`` replaced by ``values[name]``.

        Raises ``InvalidArgument`` naming the placeholders no value was given for.

        >>> prompt.format(question="why?")
        """
        missing = self.variables - set(values)
        if missing:
            raise InvalidArgument(
                f"prompt '{self.name}' version {self.version} needs a value for "
                f"{', '.join(sorted(missing))}"
            )

        def fill(text: str) -> str:
            return _VARIABLE.sub(lambda m: str(values[m.group(1)]), text)

        if isinstance(self.template, str):
            return fill(self.template)
        return [
            {**m, "content": fill(m["content"])} if isinstance(m.get("content"), str) else m
            for m in self.template
        ]


def _text_of(template: Template) -> str:
    if isinstance(template, str):
        return template
    return "\n".join(m["content"] for m in template if isinstance(m.get("content"), str))


def version_tags(template: Any, tags: Mapping[str, str] | None) -> dict[str, str]:
    """The tags of a new prompt version holding ``template``, as MLflow writes them.

    Raises ``InvalidArgument`` for a template that is neither text nor a list of
    ``{role, content}`` messages."""
    if isinstance(template, str):
        text, kind = template, "text"
    elif (
        isinstance(template, list)
        and template
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in template)
    ):
        text, kind = json.dumps(template), "chat"
    else:
        raise InvalidArgument(
            "template must be a string or a non-empty list of {'role': ..., 'content': ...} "
            f"messages, got {template!r:.60}"
        )
    return {**(tags or {}), PROMPT_TAG: "true", TEMPLATE_TAG: text, TYPE_TAG: kind}


def prompt_from_version(version: Any) -> Prompt:
    """The prompt version a model version of a prompt holds.

    Raises ``InvalidArgument`` when the version is no prompt's."""
    tags = dict(version.tags)
    if not tagged_as_prompt(tags):
        raise InvalidArgument(
            f"'{version.name}' version {version.version} is a model version, not a prompt's"
        )
    own = {k: v for k, v in tags.items() if not k.startswith(INTERNAL_TAG_PREFIXES)}
    return Prompt(
        name=version.name,
        version=int(version.version),
        template=_template_of(tags),
        commit_message=version.description,
        tags=own,
        aliases=tuple(version.aliases),
    )


def linked_prompts(current: str | None) -> list[tuple[str, int]]:
    """The (name, version) pairs a run's ``mlflow.linkedPrompts`` tag lists; entries it
    cannot read are left out."""
    try:
        linked = [] if current is None else json.loads(current)
    except ValueError:
        return []
    found = []
    for entry in linked if isinstance(linked, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        version = str(entry.get("version")) if isinstance(entry, dict) else ""
        if isinstance(name, str) and version.isdigit():
            found.append((name, int(version)))
    return found


def with_linked_prompt(current: str | None, prompt: Prompt) -> str | None:
    """The run tag listing ``prompt`` among the prompt versions the run used (``current``
    plus it, once), or ``None`` when ``current`` is not such a list (then it is left
    as it is)."""
    try:
        linked = [] if current is None else json.loads(current)
    except ValueError:
        return None
    if not isinstance(linked, list):
        return None
    entry = {"name": prompt.name, "version": str(prompt.version)}
    return json.dumps(linked if entry in linked else [*linked, entry])
