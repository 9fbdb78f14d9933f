"""Registry methods of ``Client``: registered models, versions, stages, aliases, rollback.

The names and arguments follow MLflow's ``MlflowClient`` where it has them.
Every ``version`` argument accepts an int or a numeric string ("3"). Stage
names are ``None``, ``Staging``, ``Production`` and ``Archived`` in any case;
results always carry the canonical spelling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg.api_contract import Backend
from modelreg.entities import STAGES, AuditEvent, ModelVersion, PagedList, RegisteredModel
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import check_model_id_of_source


class RegistryMethods:
    _backend: Backend

    # -- registered models ---------------------------------------------------

    def create_registered_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        """Creates a registered model.

        Raises ``AlreadyExists`` when the name is taken, ``InvalidArgument``
        when it is empty, longer than 256 characters, contains '/' or control
        characters, or a tag is malformed.
        """
        return self._backend.registry.create_registered_model(name, description, tags)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases (alias → version) and latest version per stage.

        Raises ``NotFound``.
        """
        return self._backend.registry.get_registered_model(name)

    def get_or_create_registered_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        """The model named ``name``, created (with ``description`` and ``tags``) if missing.

        Safe under concurrency: two callers racing to create it both get the one model.
        """
        return self._backend.registry.get_or_create_registered_model(name, description, tags)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Renames a model; its versions, aliases and history follow it.

        Raises ``NotFound`` for an unknown model, ``AlreadyExists`` when
        ``new_name`` is taken, ``InvalidArgument`` for an invalid name.
        """
        return self._backend.registry.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        """Sets the model's description.

        Raises ``NotFound``, or ``InvalidArgument`` when ``description`` is not given.
        """
        return self._backend.registry.update_registered_model(name, description)

    def delete_registered_model(self, name: str, force: bool = False) -> None:
        """Deletes a model with all its versions (its audit trail stays readable).

        Raises ``NotFound``, or ``Conflict`` while a version is in Production
        unless ``force=True``.
        """
        self._backend.registry.delete_registered_model(name, force)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Sets (or overwrites) a tag on the model. Raises ``NotFound``, ``InvalidArgument``."""
        self._backend.registry.set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Removes a tag. Raises ``NotFound`` for an unknown model or tag."""
        self._backend.registry.delete_registered_model_tag(name, key)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Models matching ``filter_string``, e.g. ``name LIKE 'fraud%' AND tags.team = 'risk'``.

        Fields: ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``, ``IN``),
        ``creation_timestamp``, ``last_updated_timestamp`` and ``tags.<key>``.
        ``order_by`` takes clauses like ``"name DESC"``; the result's ``token``
        fetches the next page. Raises ``InvalidArgument`` for a malformed
        filter, order or page token.
        """
        return self._backend.registry.search_registered_models(
            filter_string, max_results, order_by, page_token
        )

    # -- model versions --------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
        *,
        semver: str | None = None,
        bump: str = "auto",
        signature: dict[str, Any] | None = None,
        parent: tuple[str, int] | str | None = None,
    ) -> ModelVersion:
        """Registers a new version of model ``name`` and returns it (stage ``None``).
        The arguments up to ``model_id`` are MLflow's, in its order.

        ``source`` is ``runs:/<run_id>/<path>``, ``models:/…`` or an artifact
        URI inside a run's artifact folder; the version keeps its own copy
        of the files' manifest, so deleting the run never loses it.
        ``semver`` sets the semantic version explicitly; otherwise ``bump``
        (``major``, ``minor``, ``patch``) raises the highest existing one, and
        ``auto`` picks major for an incompatible ``signature``, patch for
        identical files, minor otherwise. The first version is 1.0.0.
        ``parent`` records the version this one was fine-tuned from, as
        ``("base_model", 3)`` or a ``models:/`` URI; it shows in ``lineage``.
        The logged model a version is made from (``ModelVersion.model_id``) comes
        from its source; ``model_id``, when given, must be that one (MLflow's rule).
        ``run_link`` (a link to the run elsewhere) and ``await_creation_for`` are
        taken for MLflow's code and not used: a version is created at once, and its
        run is ``run_id``.

        Raises ``NotFound`` for an unknown model, run, source or parent version,
        ``AlreadyExists`` when ``semver`` is taken, ``InvalidArgument`` for a
        foreign source (``file:``, ``http:``, local paths …), a bad semver or a
        ``model_id`` the source does not name.
        """
        check_model_id_of_source(self._backend.registry, source, model_id)
        return self._backend.registry.create_model_version(
            name, source, run_id, description, tags, semver, bump, signature, parent
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """One version. Raises ``NotFound`` naming the model or the version."""
        return self._backend.registry.get_model_version(name, version)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Registers the version ``src_model_uri`` names as a new version of ``dst_name``,
        creating that model first if it does not exist; returns the new version.

        The way to move a version between models (``fraud-staging`` to
        ``fraud-prod``): the copy holds the same files, run, description and
        tags, its source is ``models:/<name>/<version>`` of the original, and
        its semantic version is bumped in ``dst_name`` as for any new version.
        ``src_model_uri`` is any ``models:/`` form (see :meth:`resolve_model_uri`).

        Raises ``InvalidArgument`` for a URI that is not ``models:/`` or names a
        prompt version, ``NotFound`` naming the model or version not found.

        >>> client.copy_model_version("models:/fraud-staging@champion", "fraud-prod").source
        'models:/fraud-staging/4'
        """
        from modelreg.prompts import tagged_as_prompt

        source = self.resolve_model_uri(src_model_uri)
        if tagged_as_prompt(source.tags):
            raise InvalidArgument(
                f"'{src_model_uri:.200}' names a prompt version, which has no files to copy"
            )
        self.get_or_create_registered_model(dst_name)
        return self.create_model_version(
            dst_name,
            f"models:/{source.name}/{source.version}",
            description=source.description,
            tags=source.tags,
        )

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the files of a version are downloaded from: its own ``models:/name/version``
        URI, which :meth:`download_artifacts` and ``modelreg.load_model`` take (modelreg
        keeps a version's files by digest, not in a folder of its own).

        Raises ``NotFound`` naming the model or the version.
        """
        found = self.get_model_version(name, version)
        return f"models:/{found.name}/{found.version}"

    def get_model_version_stages(self, name: str, version: int | str) -> list[str]:
        """The stages a version can be moved to: ``None``, ``Staging``, ``Production`` and
        ``Archived``. Raises ``NotFound`` naming the model or the version."""
        self.get_model_version(name, version)
        return list(STAGES)

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        """Sets the version's description. Raises ``NotFound``, ``InvalidArgument``."""
        return self._backend.registry.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Deletes a version and drops its aliases; its number is never reused.

        Raises ``NotFound``.
        """
        self._backend.registry.delete_model_version(name, version)

    def set_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        """Sets (or overwrites) a tag on a version: ``version``, or (MLflow's older form)
        the newest version in ``stage``. Raises ``NotFound``, ``InvalidArgument`` (also
        for both or neither of ``version`` and ``stage``)."""
        number = self._version_or_stage(name, version, stage)
        self._backend.registry.set_model_version_tag(name, number, _key(key), value)

    def delete_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        """Removes a tag from a version (or the newest version in ``stage``). Raises
        ``NotFound`` for an unknown version or tag, ``InvalidArgument`` as
        :meth:`set_model_version_tag`."""
        number = self._version_or_stage(name, version, stage)
        self._backend.registry.delete_model_version_tag(name, number, _key(key))

    def _version_or_stage(
        self, name: str, version: int | str | None, stage: str | None
    ) -> int | str:
        if (version is None) == (stage is None):
            raise InvalidArgument("give version or stage, not both")
        if version is not None:
            return version
        found = self.get_latest_versions(name, [str(stage)])
        if not found:
            raise NotFound(f"registered model '{name}' has no version in stage '{stage}'")
        return found[0].version

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The highest version in each of ``stages`` (default: every stage that has one).

        Raises ``NotFound`` for an unknown model, ``InvalidArgument`` for an unknown stage.
        """
        return self._backend.registry.get_latest_versions(name, stages)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Versions matching ``filter_string``, e.g. ``name = 'm' AND stage = 'Production'``.

        Fields: ``name``, ``version``, ``semver``, ``run_id``, ``current_stage``
        (or ``stage``), ``source``, ``creation_timestamp``,
        ``last_updated_timestamp`` and ``tags.<key>``. Default order: model
        name, then newest version first. Raises ``InvalidArgument`` for a
        malformed filter, order or page token.
        """
        return self._backend.registry.search_model_versions(
            filter_string, max_results, order_by, page_token
        )

    # -- stages, aliases, rollback -----------------------------------------------

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        reason: str | None = None,
        force: bool = False,
    ) -> ModelVersion:
        """Moves a version to ``stage``; ``reason`` is kept in the audit trail.

        With ``archive_existing_versions`` the other versions in that stage
        are archived in the same transaction. The model's promotion policy is
        checked first: ``PolicyViolation`` lists every failed rule in
        ``details["failed_rules"]``; ``force=True`` (with a ``reason``)
        overrides it and the audit event records the overridden rules.
        Raises ``NotFound``, or ``InvalidArgument`` for an unknown stage.
        """
        return self._backend.registry.transition_model_version_stage(
            name, version, stage, archive_existing_versions, reason, force
        )

    def rollback(
        self, name: str, stage: str = "Production", reason: str | None = None
    ) -> ModelVersion:
        """Puts back the version that held ``stage`` before the current one, from the audit trail.

        The current holder goes back, in the same transaction, to the stage it
        had before it entered ``stage`` (``Archived`` if the trail does not
        say); calling it again walks further back. Returns the version now in ``stage``.
        Raises ``Conflict`` when there is nothing to roll back to,
        ``InvalidArgument`` for a stage other than Staging or Production.
        """
        return self._backend.registry.rollback(name, stage, reason)

    def set_registered_model_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        force: bool = False,
        reason: str | None = None,
    ) -> None:
        """Points ``alias`` (e.g. ``champion``) at a version, moving it if it pointed elsewhere.

        A promotion policy for ``@alias`` is checked first (``PolicyViolation``
        unless ``force=True`` with a ``reason``). Raises ``NotFound`` for an
        unknown model or version, ``InvalidArgument`` for a malformed or
        reserved alias (``latest``, numbers, ``v<number>``).
        """
        self._backend.registry.set_registered_model_alias(name, alias, version, force, reason)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Removes an alias. Raises ``NotFound`` for an unknown model or alias."""
        self._backend.registry.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points to. Raises ``NotFound`` naming the model or alias."""
        return self._backend.registry.get_model_version_by_alias(name, alias)

    # -- history and URIs -----------------------------------------------------------

    def get_history(
        self,
        name: str,
        version: int | str | None = None,
        actions: Sequence[str] | str | None = None,
        actor: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
        newest_first: bool = False,
    ) -> PagedList[AuditEvent]:
        """A page of the audit events of a model (or of one of its versions).

        Oldest first, or newest first with ``newest_first=True``. ``actions``
        (e.g. ``["transition_stage", "rollback"]``) and ``actor`` narrow it.
        Pages hold ``max_results`` events (default 1,000, at most 50,000);
        pass the page's ``token`` as ``page_token`` for the next one (``None``
        on the last page). Still readable after the model was deleted.
        Raises ``NotFound`` when no model of that name ever existed,
        ``InvalidArgument`` for a bad version, filter or token.

        Example::

            newest = client.get_history("fraud", newest_first=True, max_results=20)
            while newest.token:  # older events, page by page
                newest = client.get_history(
                    "fraud", newest_first=True, max_results=20, page_token=newest.token
                )
        """
        return self._backend.registry.get_history(
            name, version, actions, actor, max_results, page_token, newest_first
        )

    def resolve_model_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/`` URI names.

        Forms: ``models:/name/3``, ``models:/name/Staging`` (the highest version
        in the stage), ``models:/name@alias``, ``models:/name/latest``,
        ``models:/name/v1.2.0`` and semver ranges (``^1.2``, ``~1.2.3``,
        ``>=2,<3``, ``1.x``: the highest match). Raises ``InvalidArgument``
        for a malformed URI and ``NotFound`` naming the model and what is missing.
        """
        return self._backend.registry.resolve_model_uri(uri)


def _key(key: str | None) -> str:
    if key is None:
        raise InvalidArgument("key is required")
    return key
