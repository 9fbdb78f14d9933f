"""The ``Client`` methods for prompts (see :mod:`modelreg.prompts`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, overload

from modelreg.api_contract import Backend
from modelreg.entities import PagedList, RegisteredModel, RunTag
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.prompts import (
    INTERNAL_TAG_PREFIXES,
    LINKED_PROMPTS_TAG,
    PROMPT_SOURCE,
    PROMPT_TAG,
    Prompt,
    Template,
    linked_prompts,
    prompt_from_version,
    tagged_as_prompt,
    version_tags,
    with_linked_prompt,
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

    # -- MLflow 3's finer-grained prompt calls ---------------------------------------------

    def create_prompt(
        self, name: str, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> RegisteredModel:
        """A new prompt without versions yet (:meth:`create_prompt_version` adds them), as
        MLflow's ``create_prompt``. Raises ``AlreadyExists`` for a taken name,
        ``InvalidArgument`` for a bad name or a tag of the prompt registry's own."""
        own = _own_tags(tags)
        self._backend.registry.create_registered_model(
            name, description, tags={**own, PROMPT_TAG: "true"}
        )
        return self._prompt_model(name)

    def create_prompt_version(
        self,
        name: str,
        template: Template,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Prompt:
        """The next version of the existing prompt ``name`` (``description`` is its commit
        message); :meth:`register_prompt` also creates the prompt. Raises ``NotFound``
        for an unknown prompt, and as :meth:`register_prompt`."""
        self._prompt_model(name)
        return self.register_prompt(name, template, description, _own_tags(tags))

    def get_prompt(self, name: str) -> RegisteredModel | None:
        """The prompt's registered model (description, tags, aliases, newest version), or
        ``None`` when there is no prompt of that name (as MLflow's ``get_prompt``).
        Raises ``InvalidArgument`` when ``name`` is a registered model that is no prompt."""
        try:
            return self._prompt_model(name)
        except NotFound:
            return None

    def get_prompt_version(self, name: str, version: int | str) -> Prompt | None:
        """Version ``version`` (a number) of the prompt, or ``None`` when it has none."""
        if isinstance(version, bool) or not str(version).isdigit():
            raise InvalidArgument(f"version must be a number, got {version!r:.40}")
        return self.load_prompt(name, int(version), allow_missing=True)

    def get_prompt_version_by_alias(self, name: str, alias: str) -> Prompt:
        """The version ``alias`` of the prompt points at. Raises ``NotFound``."""
        return self.load_prompt(f"{_SCHEME}{name}@{alias}")

    def search_prompt_versions(
        self, name: str, max_results: int | None = None, page_token: str | None = None
    ) -> PagedList[Prompt]:
        """The prompt's versions, newest first, paged (``max_results`` each, default 1000).
        Raises ``NotFound`` for an unknown prompt."""
        self._prompt_model(name)
        page = self._backend.registry.search_model_versions(
            f"name = '{name.replace(chr(39), chr(39) * 2)}'",
            max_results or 1000,
            ["version_number DESC"],
            page_token,
        )
        return PagedList([prompt_from_version(v) for v in page], page.token)

    def delete_prompt(self, name: str) -> None:
        """Deletes the prompt with its versions. Raises ``NotFound`` for an unknown prompt,
        ``InvalidArgument`` for a registered model that is no prompt."""
        self._prompt_model(name)
        self._backend.registry.delete_registered_model(name)

    def delete_prompt_version(self, name: str, version: int | str) -> None:
        """Deletes one version of the prompt. Raises ``NotFound``."""
        self._prompt_model(name)
        self._backend.registry.delete_model_version(name, version)

    def set_prompt_tag(self, name: str, key: str, value: str) -> None:
        """Sets a tag of the prompt. Raises ``NotFound``, or ``InvalidArgument`` for a key
        the prompt registry keeps for itself (``mlflow.prompt.…``)."""
        _own_tags({key: value})
        self._prompt_model(name)
        self._backend.registry.set_registered_model_tag(name, key, value)

    def delete_prompt_tag(self, name: str, key: str) -> None:
        """Removes a tag of the prompt. Raises as :meth:`set_prompt_tag`."""
        _own_tags({key: ""})
        self._prompt_model(name)
        self._backend.registry.delete_registered_model_tag(name, key)

    def set_prompt_version_tag(self, name: str, version: int | str, key: str, value: str) -> None:
        """Sets a tag of one version of the prompt. Raises as :meth:`set_prompt_tag`."""
        _own_tags({key: value})
        self._prompt_model(name)
        self._backend.registry.set_model_version_tag(name, version, key, value)

    def delete_prompt_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Removes a tag of one version of the prompt. Raises as :meth:`set_prompt_tag`."""
        _own_tags({key: ""})
        self._prompt_model(name)
        self._backend.registry.delete_model_version_tag(name, version, key)

    def link_prompt_version_to_run(self, run_id: str, prompt: Prompt | str) -> None:
        """Records that the run used ``prompt`` (a :class:`Prompt` or a ``prompts:/`` URI):
        its ``mlflow.linkedPrompts`` tag lists it, as MLflow keeps it (``load_prompt``
        inside a run does this). Raises ``NotFound`` for an unknown run or prompt
        version."""
        found = self.load_prompt(prompt) if isinstance(prompt, str) else prompt
        if not isinstance(found, Prompt):
            raise InvalidArgument("prompt must be a Prompt or a prompts:/ URI")
        tracking = self._backend.tracking
        current = tracking.get_run(run_id).data.tags.get(LINKED_PROMPTS_TAG)
        linked = with_linked_prompt(current, found)
        if linked is not None and linked != current:
            tracking.log_batch(run_id, tags=[RunTag(LINKED_PROMPTS_TAG, linked)])

    def list_logged_prompts(self, run_id: str) -> list[Prompt]:
        """The prompt versions the run used (see :meth:`link_prompt_version_to_run`), in
        the order it used them; versions deleted since are left out. Raises ``NotFound``
        for an unknown run."""
        current = self._backend.tracking.get_run(run_id).data.tags.get(LINKED_PROMPTS_TAG)
        found = []
        for name, version in linked_prompts(current):
            prompt = self.load_prompt(name, version, allow_missing=True)
            if prompt is not None:
                found.append(prompt)
        return found

    def _prompt_model(self, name: str) -> RegisteredModel:
        model = self._backend.registry.get_registered_model(name)
        _require_prompt(model)
        return model


def _own_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """``tags``, refused with ``InvalidArgument`` when one is the prompt registry's own."""
    for key in tags or {}:
        if isinstance(key, str) and key.startswith(INTERNAL_TAG_PREFIXES):
            raise InvalidArgument(f"tag '{key:.100}' is kept by the prompt registry itself")
    return dict(tags or {})


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
