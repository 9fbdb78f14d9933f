"""MLflow's prompts, as its clients keep them in the model registry.

A prompt is a registered model tagged ``mlflow.prompt.is_prompt = 'true'``; each
of its versions carries the same tag, its template in the tag
``mlflow.prompt.text``, and one of MLflow's placeholder sources instead of files.
modelreg stores them as they are, so MLflow's prompt API
(``mlflow.genai.register_prompt``, ``load_prompt``, aliases, search) works
against ``modelreg server`` and an import from MLflow keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

PROMPT_TAG = "mlflow.prompt.is_prompt"
TEMPLATE_TAG = "mlflow.prompt.text"
# "text", or "chat" for a template that is a JSON list of {role, content} messages.
TYPE_TAG = "_mlflow_prompt_type"
# The sources MLflow's senders give a prompt's versions (a client, its UI).
PROMPT_SOURCES = frozenset({"dummy-source", "prompt-template"})


def tagged_as_prompt(tags: Mapping[str, str]) -> bool:
    """Whether ``tags`` mark a prompt: the tag's value is ``true`` in any case."""
    return tags.get(PROMPT_TAG, "false").lower() == "true"


def readable_template(tags: Mapping[str, str]) -> str | None:
    """A prompt version's template as a person reads it (a chat's messages as
    ``role: content`` paragraphs); ``None`` for a version of no prompt."""
    if not tagged_as_prompt(tags):
        return None
    text = tags.get(TEMPLATE_TAG, "")
    if tags.get(TYPE_TAG) != "chat":
        return text
    try:
        messages = json.loads(text)
    except ValueError:
        return text
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return text
    return "\n\n".join(f"{m.get('role', '')}: {m.get('content', '')}" for m in messages)
