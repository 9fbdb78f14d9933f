"""The registry's rules: registered models, versions and semver, history, ``models:/`` URIs.

Stage transitions and rollback (:mod:`modelreg.services.stages`) and alias
moves (:mod:`modelreg.services.aliases`) are mixed into :class:`RegistryService`,
so the registry offers them all; URIs resolve in :mod:`modelreg.services.model_sources`.

Input is validated before any SQL, so every entry point (Python, REST, CLI)
refuses bad input the same way. Each change is one write transaction that
also appends its audit events, so the trail and the state never disagree.
Versions and audit events are returned as the caller may see them: a
``models:/`` source or a fine-tuning parent naming a model they may not read
reads ``(hidden)`` there (see :mod:`modelreg.services.visibility`).

Integer versions come from the ``last_version`` counter of the model row,
incremented inside the creating transaction: concurrent creators queue on
that row (PostgreSQL row lock, SQLite write lock) and a failed creation rolls
its number back, so versions are 1, 2, 3 … without gaps or duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg import versioning
from modelreg.actor import current_actor
from modelreg.entities import AuditEvent, ModelVersion, PagedList, RegisteredModel
from modelreg.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from modelreg.services import principal
from modelreg.services.aliases import AliasMoves
from modelreg.services.audit import Publish, audit_event, record
from modelreg.services.history import model_history
from modelreg.services.lineage import check_parent
from modelreg.services.model_sources import (
    check_prompt_rule,
    list_on_logged_model,
    manifest_digest,
    parse_source,
    resolve_row,
    resolve_version,
    snapshot,
)
from modelreg.services.reference_access import require_readable_model, require_readable_run
from modelreg.services.stages import StageMoves
from modelreg.services.visibility import Visibility
from modelreg.signature import Signature, coerce_signature, signatures_compatible
from modelreg.store import governance as gstore
from modelreg.store import keyset
from modelreg.store import registry as store
from modelreg.store import registry_search as search
from modelreg.store.database import Database
from modelreg.store.filter_sql import check_max_results
from modelreg.timeutil import now_ms
from modelreg.uris import parse_model_uri

__all__ = ["RegistryService"]

DEFAULT_MODEL_RESULTS = 100
DEFAULT_VERSION_RESULTS = 10_000


# -- input checks -----------------------------------------------------------------


def _check_tags(tags: Any) -> dict[str, str]:
    return v.check_tags(tags, limit=v.MAX_REGISTRY_TAG_VALUE_LENGTH)


def _check_signature(signature: Any) -> dict[str, Any] | None:
    """A signature (``Signature`` or its dict form), validated and returned as a dict."""
    if signature is None:
        return None
    checked = coerce_signature(signature)
    return None if checked is None else checked.to_dict()


def _auto_bump(
    old_signature: dict[str, Any] | None,
    old_digest: str | None,
    signature: dict[str, Any] | None,
    content_digest: str | None,
) -> str:
    """The part ``bump="auto"`` raises, judged against the highest-semver version.

    major when the signatures are incompatible, patch when the files are
    byte-identical (same manifest digest), minor otherwise.
    """
    if old_signature is not None and signature is not None:
        old, new = Signature.from_dict(old_signature), Signature.from_dict(signature)
        if not signatures_compatible(old, new):
            return "major"
    if content_digest is not None and content_digest == old_digest:
        return "patch"
    return "minor"


class RegistryService(StageMoves, AliasMoves):
    """Registered models and their versions on one database.

    ``publish`` receives the audit events of each change in its write
    transaction (the webhook dispatcher, which writes their deliveries there
    and sends them once it committed); it must return at once and raise only
    the database's errors.
    """

    def __init__(
        self,
        db: Database,
        tracking: Any,
        artifacts: Any,
        publish: Publish | None = None,
    ) -> None:
        self.db = db
        self.tracking = tracking
        self.artifacts = artifacts
        self.publish = publish or (lambda conn, events: None)

    # -- registered models ---------------------------------------------------------

    def create_registered_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        """Creates a model. Raises AlreadyExists for a taken name, InvalidArgument for bad input."""
        name = v.check_name(name, "model name")
        description = v.check_description(description)
        checked_tags = _check_tags(tags)
        now = now_ms()
        with self.db.write() as conn:
            model_id = store.insert_model(conn, name, description, checked_tags, now)
            principal.grant_creator(conn, "model", model_id)
            after = {"name": name, "description": description, "tags": checked_tags}
            event = record(conn, model_id, name, "create_registered_model", after=after, now=now)
            self.publish(conn, [event])
        return RegisteredModel(name, description, now, now, checked_tags)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with tags, aliases and latest version per stage. Raises NotFound."""
        name = v.check_name(name, "model name")
        with self.db.read() as conn:
            found = store.fetch_models(conn, store.rm.c.name == name)
            if not found:
                raise NotFound(f"registered model '{name}' does not exist")
            return Visibility.of_caller(conn).registered_models(found)[0]

    def get_or_create_registered_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        """The model, created first if missing (safe when callers race to create it)."""
        try:
            return self.get_registered_model(name)
        except NotFound:
            pass
        try:
            return self.create_registered_model(name, description, tags)
        except AlreadyExists:  # created by someone else since we looked
            return self.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Renames a model; versions, aliases and history follow. Raises NotFound, AlreadyExists."""
        name = v.check_name(name, "model name")
        new_name = v.check_name(new_name, "new model name")
        if new_name != name:
            with self.db.write() as conn:
                model_id = store.model_id(conn, name, lock=True)
                store.update_model(conn, model_id, now_ms(), name=new_name)
                record(
                    conn,
                    model_id,
                    new_name,
                    "rename_registered_model",
                    before={"name": name},
                    after={"name": new_name},
                )
        return self.get_registered_model(new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Sets the description. Raises NotFound, or InvalidArgument when it is not given."""
        name = v.check_name(name, "model name")
        if description is None:
            raise InvalidArgument("description must be given: it is the only field to update")
        description = v.check_description(description)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            old = store.model_description(conn, model_id)
            store.update_model(conn, model_id, now_ms(), description=description)
            record(
                conn,
                model_id,
                name,
                "update_registered_model",
                before={"description": old},
                after={"description": description},
            )
        return self.get_registered_model(name)

    def delete_registered_model(self, name: str, force: bool = False) -> None:
        """Deletes a model and its versions (not its audit trail).

        Raises NotFound, or Conflict while a version is in Production unless ``force``."""
        name = v.check_name(name, "model name")
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            in_production = store.production_versions(conn, model_id)
            if in_production and not force:
                listed = ", ".join(str(n) for n in in_production)
                raise Conflict(
                    f"registered model '{name}' has versions in Production ({listed}); "
                    "archive them first or pass force=True",
                    details={"production_versions": in_production},
                )
            old = store.fetch_models(conn, store.rm.c.model_id == model_id)[0]
            before = {
                "name": name,
                "description": old.description,
                "tags": old.tags,
                "aliases": old.aliases,
                "version_count": store.count_versions(conn, model_id),
                "production_versions": in_production,
            }
            store.delete_model(conn, model_id)
            principal.forget_resource(conn, "model", model_id)
            record(conn, model_id, name, "delete_registered_model", before=before)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Sets or overwrites a model tag. Raises NotFound, InvalidArgument."""
        name = v.check_name(name, "model name")
        key = v.check_key(key, "tag key")
        value = v.check_tag_value(key, value, v.MAX_REGISTRY_TAG_VALUE_LENGTH)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            old = store.model_tag(conn, model_id, key)
            store.upsert_model_tags(conn, model_id, {key: value})
            event = record(
                conn,
                model_id,
                name,
                "set_registered_model_tag",
                before=None if old is None else {"key": key, "value": old},
                after={"key": key, "value": value},
            )
            self.publish(conn, [event])

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Removes a model tag. Raises NotFound for an unknown model or tag."""
        name = v.check_name(name, "model name")
        key = v.check_key(key, "tag key")
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            old = store.model_tag(conn, model_id, key)
            if old is None:
                raise NotFound(f"registered model '{name}' has no tag '{key}'")
            store.delete_model_tag(conn, model_id, key)
            before = {"key": key, "value": old}
            event = record(conn, model_id, name, "delete_registered_model_tag", before=before)
            self.publish(conn, [event])

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = DEFAULT_MODEL_RESULTS,
        order_by: Sequence[str] | str | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Models matching a filter (name =, !=, LIKE, ILIKE, IN; tags.<key>), paged.

        Raises InvalidArgument for a malformed filter, order_by or page token."""
        limit = check_max_results(max_results, DEFAULT_MODEL_RESULTS)
        asked = ["models", *keyset.searched(filter_string, order_by)]
        last = keyset.decode_token(page_token, asked)
        where = search.model_filter(filter_string, store.ALL_MODELS)
        where = principal.readable_only(where, store.rm.c.model_id, "model")
        keys = search.model_order(order_by)
        keyset.check_fits(last, keys, page_token)
        with self.db.read() as conn:
            found, next_key = store.page_models(conn, where, keys, limit, last)
            shown = Visibility.of_caller(conn).registered_models(found)
        return PagedList(shown, None if next_key is None else keyset.encode_token(next_key, asked))

    # -- model versions -------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        semver: str | None = None,
        bump: str = "auto",
        signature: dict[str, Any] | None = None,
        parent: tuple[str, int] | str | None = None,
    ) -> ModelVersion:
        """Registers the next version of a model; see ``Client.create_model_version``.

        Raises NotFound (model, run, source or parent version), AlreadyExists
        (semver taken), InvalidArgument (foreign source, bad semver, bump,
        signature or parent)."""
        name = v.check_name(name, "model name")
        description = v.check_description(description)
        checked_tags = _check_tags(tags)
        bump = versioning.check_bump(bump)
        explicit = None if semver is None else str(versioning.parse(semver))
        signature = _check_signature(signature)
        if run_id is not None and (not isinstance(run_id, str) or not run_id):
            raise InvalidArgument(f"run_id must be a non-empty string, got {run_id!r:.40}")
        parsed = parse_source(source, run_id)
        check_prompt_rule(parsed, checked_tags)
        parent_ref = None if parent is None else check_parent(parent)
        user = current_actor()
        now = now_ms()
        with self.db.write() as conn:
            # First, so the model row is locked before anything is read.
            model_id, version, top_version, top_semver = store.allocate_version(conn, name, now)
            if parsed.model is not None:
                require_readable_model(conn, parsed.model.name)
            if parent_ref is not None:
                require_readable_model(conn, parent_ref[0])
            require_readable_run(conn, run_id)
            taken = snapshot(conn, parsed, run_id, signature)
            require_readable_run(conn, taken.run_id)
            content_digest = manifest_digest(taken.manifest)
            chosen = self._choose_semver(
                conn, model_id, name, explicit, bump, taken.signature, content_digest,
                (top_version, top_semver),
            )  # fmt: skip
            entity = ModelVersion(
                name=name,
                version=version,
                semver=chosen,
                current_stage="None",
                source=parsed.uri,
                run_id=taken.run_id,
                description=description,
                user_id=user,
                creation_timestamp=now,
                last_updated_timestamp=now,
                tags=checked_tags,
                signature=taken.signature,
                content_digest=content_digest,
                model_id=taken.logged_model_id,
            )
            version_id = store.insert_version(conn, model_id, entity)
            # A bump is always the new highest; an explicit semver may be lower.
            if (
                explicit is None
                or top_semver is None
                or versioning.sort_key(explicit) > versioning.sort_key(top_semver)
            ):
                store.set_top_semver(conn, model_id, version, chosen)
            store.insert_version_manifest(conn, version_id, taken.manifest)
            store.insert_version_tags(conn, version_id, checked_tags)
            list_on_logged_model(conn, parsed, name, version, now)
            parent_of = None
            if parent_ref is not None:
                parent_of = self._record_parent(conn, version_id, parent_ref)
            after = {
                "semver": chosen,
                "source": parsed.uri,
                "run_id": taken.run_id,
                "description": description,
                "tags": checked_tags,
                "content_digest": content_digest,
                "model_id": taken.logged_model_id,
                "bump": None if explicit else bump,
            }
            if parent_of is not None:
                after["parent"] = parent_of
            event = audit_event(
                model_id, name, "create_model_version", version, after=after, now=now
            )
            store.append_events(conn, [event])
            self.publish(conn, [event])
        return entity

    def _record_parent(
        self, conn: Connection, version_id: int, ref: tuple[str, int | None, str | None]
    ) -> dict[str, Any]:
        """Links a new version to the version it was fine-tuned from (which must exist)."""
        parent_name, number, uri = ref
        if uri is not None:
            row = resolve_row(conn, parse_model_uri(uri))
        else:
            assert number is not None
            row = store.version_row(conn, store.model_id(conn, parent_name), parent_name, number)
        gstore.insert_parent(conn, version_id, row.version_id, row.name, row.version)
        return {"name": row.name, "version": row.version}

    def _choose_semver(
        self,
        conn: Connection,
        model_id: int,
        name: str,
        explicit: str | None,
        bump: str,
        signature: dict[str, Any] | None,
        content_digest: str | None,
        top: tuple[int | None, str | None],
    ) -> str:
        if explicit is not None:
            taken_by = store.version_with_semver(conn, model_id, explicit)
            if taken_by is not None:
                raise AlreadyExists(
                    f"registered model '{name}' already has semver {explicit} (version {taken_by})"
                )
            return explicit
        top_version, top_semver = top
        if top_version is None or top_semver is None:
            return versioning.FIRST
        # Every bump of the highest version is higher than all existing ones,
        # so the result is free.
        if bump == "auto":
            old_digest, old_signature = None, None
            # Only a known signature can be incompatible and only known files
            # identical: the highest version's are loaded only then.
            if signature is not None or content_digest is not None:
                old_digest, old_signature = store.version_digest_and_signature(
                    conn, model_id, top_version
                )
            bump = _auto_bump(old_signature, old_digest, signature, content_digest)
        return versioning.bump(versioning.parse(top_semver), bump)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """One version. Raises NotFound naming the model or the version."""
        name = v.check_name(name, "model name")
        number = v.check_version(version)
        with self.db.read() as conn:
            return Visibility.of_caller(conn).version(store.get_version(conn, name, number))

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        """Sets a version's description. Raises NotFound, InvalidArgument."""
        name = v.check_name(name, "model name")
        number = v.check_version(version)
        if description is None:
            raise InvalidArgument("description must be given: it is the only field to update")
        description = v.check_description(description)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            row = store.version_row(conn, model_id, name, number)
            store.update_version(conn, row.version_id, now_ms(), description=description)
            record(
                conn,
                model_id,
                name,
                "update_model_version",
                version=number,
                before={"description": row.description},
                after={"description": description},
            )
            return Visibility.of_caller(conn).version(store.get_version(conn, name, number))

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Deletes a version and its aliases; its number is never reused. Raises NotFound."""
        name = v.check_name(name, "model name")
        number = v.check_version(version)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            row = store.version_row(conn, model_id, name, number)
            old = store.version_from_row(row)
            store.delete_version(conn, row.version_id)
            store.forget_top_semver(conn, model_id, number)
            events = [
                audit_event(
                    model_id,
                    name,
                    "delete_alias",
                    number,
                    before={"alias": alias, "version": number},
                    reason=f"version {number} was deleted",
                )
                for alias in old.aliases
            ]
            before = {
                "semver": old.semver,
                "current_stage": old.current_stage,
                "source": old.source,
                "run_id": old.run_id,
                "description": old.description,
                "content_digest": old.content_digest,
                "tags": old.tags,
                "aliases": list(old.aliases),
            }
            events.append(
                audit_event(model_id, name, "delete_model_version", number, before=before)
            )
            store.append_events(conn, events)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        """Sets or overwrites a version tag. Raises NotFound, InvalidArgument."""
        name = v.check_name(name, "model name")
        number = v.check_version(version)
        key = v.check_key(key, "tag key")
        value = v.check_tag_value(key, value, v.MAX_REGISTRY_TAG_VALUE_LENGTH)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            row = store.version_row(conn, model_id, name, number)
            old = store.version_tag(conn, row.version_id, key)
            store.insert_version_tags(conn, row.version_id, {key: value})
            event = record(
                conn,
                model_id,
                name,
                "set_model_version_tag",
                version=number,
                before=None if old is None else {"key": key, "value": old},
                after={"key": key, "value": value},
            )
            self.publish(conn, [event])

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Removes a version tag. Raises NotFound for an unknown version or tag."""
        name = v.check_name(name, "model name")
        number = v.check_version(version)
        key = v.check_key(key, "tag key")
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            row = store.version_row(conn, model_id, name, number)
            old = store.version_tag(conn, row.version_id, key)
            if old is None:
                raise NotFound(f"version {number} of registered model '{name}' has no tag '{key}'")
            store.delete_version_tag(conn, row.version_id, key)
            before = {"key": key, "value": old}
            event = record(
                conn, model_id, name, "delete_model_version_tag", version=number, before=before
            )
            self.publish(conn, [event])

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | str | None = None
    ) -> list[ModelVersion]:
        """The highest version per stage (of ``stages``, or each stage in use).

        Raises NotFound for the model, InvalidArgument for an unknown stage."""
        name = v.check_name(name, "model name")
        if isinstance(stages, str):
            stages = [stages]
        wanted = [v.check_stage(s) for s in stages] if stages else None
        with self.db.read() as conn:
            found = store.latest_versions(conn, store.model_id(conn, name))
            found = Visibility.of_caller(conn).versions(found)
        if wanted is None:
            return found
        by_stage = {found_version.current_stage: found_version for found_version in found}
        return [by_stage[stage] for stage in dict.fromkeys(wanted) if stage in by_stage]

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = DEFAULT_VERSION_RESULTS,
        order_by: Sequence[str] | str | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Versions matching a filter (name, version, semver, run_id, stage, tags.<key>), paged.

        Raises InvalidArgument for a malformed filter, order_by or page token."""
        limit = check_max_results(max_results, DEFAULT_VERSION_RESULTS)
        asked = ["versions", *keyset.searched(filter_string, order_by)]
        last = keyset.decode_token(page_token, asked)
        where = search.version_filter(filter_string, store.ALL_VERSIONS)
        where = principal.readable_only(where, store.mv.c.model_id, "model")
        keys = search.version_order(order_by)
        keyset.check_fits(last, keys, page_token)
        with self.db.read() as conn:
            found, next_key = store.page_versions(conn, where, keys, limit, last)
            shown = Visibility.of_caller(conn).versions(found)
        return PagedList(shown, None if next_key is None else keyset.encode_token(next_key, asked))

    # -- audit trail and URIs ---------------------------------------------------------------

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
        """A page of the audit events of a model (or one version); kept after deletion.

        Oldest first, or newest first with ``newest_first``; ``actions`` and
        ``actor`` narrow it. Pages hold ``max_results`` events (default 1,000);
        ``page_token`` is the previous page's ``token``. Raises NotFound when no
        model of that name ever existed, InvalidArgument for a bad argument."""
        return model_history(
            self.db, name, version, actions, actor, max_results, page_token, newest_first
        )

    def resolve_model_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/`` URI names (number, stage, alias, latest, semver, range).

        Raises InvalidArgument for a malformed URI, NotFound naming the model
        and what is missing."""
        with self.db.read() as conn:
            return Visibility.of_caller(conn).version(resolve_version(conn, uri))
