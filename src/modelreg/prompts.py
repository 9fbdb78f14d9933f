"""MLflow's prompts, as its clients keep them in the model registry.

A prompt is a registered model tagged ``mlflow.prompt.is_prompt = 'true'``; each
of its versions carries the same tag, its template in the tag
``mlflow.prompt.text``, and one of MLflow's placeholder sources instead of files.
modelreg stores them as they are, so MLflow's prompt API
(``mlflow.genai.register_prompt``, ``load_prompt``, aliases, search) works
against ``modelreg server`` and an import from MLflow keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping

PROMPT_TAG = "mlflow.prompt.is_prompt"
# The sources MLflow's senders give a prompt's versions (a client, its UI).
PROMPT_SOURCES = frozenset({"dummy-source", "prompt-template"})


def tagged_as_prompt(tags: Mapping[str, str]) -> bool:
    """Whether ``tags`` mark a prompt: the tag's value is ``true`` in any case."""
    return tags.get(PROMPT_TAG, "false").lower() == "true"
