"""The ``Client`` methods for prompts (see :mod:`modelreg.prompts`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, overload

from modelreg.api_contract import Backend
from modelreg.entities import PagedList, RegisteredModel
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.prompts import (
    PROMPT_SOURCE,
    PROMPT_TAG,
    Prompt,
    Template,
    prompt_from_version,
    tagged_as_prompt,
    version_tags,
)

_SCHEME = "prompts:/"


class PromptMethods:
    _backend: Backend

    def register_prompt(
        self,
        name: str,
        template: Template,
        commit_message: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Prompt:
        """Registers the next version of prompt ``name`` (created on first use).

        ``template`` is text with ``{{ placeholders }}`` or a list of chat messages
        ``{"role": ..., "content": ...}``; ``commit_message`` says what changed. Raises
        ``InvalidArgument`` for a bad template, or when ``name`` is a registered model
        that is no prompt.

        >>> client.register_prompt("qa", "Answer {{question}}.", commit_message="first")
        """
        registry = self._backend.registry
        new_tags = version_tags(template, tags)
        try:
            _require_prompt(registry.get_registered_model(name))
        except NotFound:
            try:
                registry.create_registered_model(name, tags={PROMPT_TAG: "true"})
            except AlreadyExists:  # registered by another writer meanwhile
                _require_prompt(registry.get_registered_model(name))
        version = registry.create_model_version(
            name, PROMPT_SOURCE, description=commit_message, tags=new_tags
        )
        return prompt_from_version(version)

    @overload
    def load_prompt(
        self,
        name_or_uri: str,
        version: int | str | None = None,
        allow_missing: Literal[False] = False,
    ) -> Prompt: ...
    @overload
    def load_prompt(
        self, name_or_uri: str, version: int | str | None = None, *, allow_missing: bool
    ) -> Prompt | None: ...
    def load_prompt(
        self, name_or_uri: str, version: int | str | None = None, allow_missing: bool = False
    ) -> Prompt | None:
        """A version of a prompt: ``prompts:/qa/3``, ``prompts:/qa@production``,
        ``prompts:/qa@latest``, or a name with ``version`` (a number or an alias; the
        newest version when omitted).

        Raises ``NotFound`` for an unknown prompt, version or alias (``None`` instead
        with ``allow_missing=True``), ``InvalidArgument`` for a malformed URI or a
        version of a registered model that is no prompt.
        """
        name, reference = _reference(name_or_uri, version)
        registry = self._backend.registry
        try:
            if isinstance(reference, int):
                found = registry.get_model_version(name, reference)
            else:
                found = registry.get_model_version_by_alias(name, reference)
        except NotFound:
            if allow_missing:
                return None
            raise
        return prompt_from_version(found)

    def search_prompts(
        self,
        filter_string: str | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> PagedList[RegisteredModel]:
        """The prompts matching ``filter_string`` (a registry filter, e.g. ``name LIKE
        'qa%'``), paged: each prompt's registered model (name, description, tags,
        aliases, newest version). Registered models that are no prompts are left out.

        Raises ``InvalidArgument`` for a malformed filter, order or page token.
        """
        prompts_only = f"tags.`{PROMPT_TAG}` = 'true'"
        where = f"({filter_string}) AND {prompts_only}" if filter_string else prompts_only
        return self._backend.registry.search_registered_models(
            where, max_results, order_by, page_token
        )

    def set_prompt_alias(self, name: str, alias: str, version: int | str) -> None:
        """Points ``alias`` of prompt ``name`` at ``version`` (``prompts:/name@alias``).

        Raises ``NotFound`` for an unknown prompt or version, ``InvalidArgument`` when
        ``name`` is a registered model that is no prompt or the alias is malformed.
        """
        registry = self._backend.registry
        _require_prompt(registry.get_registered_model(name))
        registry.set_registered_model_alias(name, alias, version)

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        """Removes ``alias`` from prompt ``name``. Raises as :meth:`set_prompt_alias`."""
        registry = self._backend.registry
        _require_prompt(registry.get_registered_model(name))
        registry.delete_registered_model_alias(name, alias)


def _require_prompt(model: Any) -> None:
    if not tagged_as_prompt(model.tags):
        raise InvalidArgument(
            f"'{model.name}' is a registered model, not a prompt; choose another name"
        )


def _reference(name_or_uri: str, version: int | str | None) -> tuple[str, int | str]:
    """(name, version number or alias) that ``name_or_uri`` and ``version`` name."""
    if not isinstance(name_or_uri, str) or not name_or_uri:
        raise InvalidArgument(f"prompt must be a name or prompts:/ URI, got {name_or_uri!r:.60}")
    if not name_or_uri.startswith(_SCHEME):
        reference = "latest" if version is None else version
        return name_or_uri, _number_or_alias(reference)
    if version is not None:
        raise InvalidArgument("give the version in the prompts:/ URI or as version=, not both")
    rest = name_or_uri[len(_SCHEME) :]
    found: int | str
    if "@" in rest:
        name, _, found = rest.rpartition("@")
    elif "/" in rest:
        name, _, number = rest.rpartition("/")
        found = int(number) if number.isdigit() else ""
    else:
        name, found = rest, "latest"
    if not name or found == "":
        raise InvalidArgument(
            f"prompt URI '{name_or_uri:.100}' must be prompts:/<name>/<version>, "
            "prompts:/<name>@<alias> or prompts:/<name>"
        )
    return name, found


def _number_or_alias(reference: int | str) -> int | str:
    if isinstance(reference, int) and not isinstance(reference, bool):
        return reference
    if isinstance(reference, str) and reference.isdigit():
        return int(reference)
    if isinstance(reference, str):
        return reference
    raise InvalidArgument(f"version must be a number or an alias, got {reference!r:.40}")
