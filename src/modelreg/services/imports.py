"""Writing another tracking server's history as it was: ids, version numbers and times kept.

``modelreg import-mlflow`` (:mod:`modelreg.mlflow_import`) reads an MLflow
server and writes through these methods, embedded or over a server's API.
Each one validates its input as the everyday methods do, is one transaction,
and can be repeated: what exists is updated or left alone, never
duplicated. Every imported object gets one ``import_mlflow`` audit event
naming its source; for a run that event is written last, so a run without
it is one an interrupted import left half-written and writes again.

On a server with ``--auth`` only admins import: the import chooses ids, users
and times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg import versioning
from modelreg.artifact_files import check_artifact_path
from modelreg.blobs import BlobRef, BlobStore
from modelreg.blobs.base import check_digest
from modelreg.entities import Metric, ModelVersion, RunInfo, RunStatus
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import (
    LOGGED_MODEL_ID_RE,
    STATUSES,
    LoggedModelMetric,
    RunModelLink,
    logged_model_of,
)
from modelreg.services.audit import audit_event
from modelreg.services.logged_models import check_key_values, check_model_name
from modelreg.services.model_sources import manifest_digest
from modelreg.services.principal import current_principal, require_admin
from modelreg.services.run_model_links import check_links
from modelreg.services.tracking import check_metric, check_run_id
from modelreg.store import artifacts as artifact_store
from modelreg.store import imports as store
from modelreg.store import logged_models as logged_store
from modelreg.store import registry as registry_store
from modelreg.store import tracking as tracking_store
from modelreg.store.database import Database
from modelreg.store.modelreg_names import TAG_RENAMES
from modelreg.timeutil import now_ms

__all__ = ["ImportService"]

_LIFECYCLES = (tracking_store.ACTIVE, tracking_store.DELETED)
_VERSION_STATUSES = ("READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION")


def _require_importer() -> None:
    """Admins import on a server with --auth; on one without (or embedded) anybody may, as
    anybody may change anything there."""
    principal = current_principal()
    if principal is not None and principal.user_id is not None:
        require_admin("importing")


def _lifecycle(value: Any) -> str:
    if value not in _LIFECYCLES:
        raise InvalidArgument(f"lifecycle_stage must be one of {', '.join(_LIFECYCLES)}")
    return str(value)


def _time(value: Any, field: str) -> int:
    return v.check_int(value, field, 0)


def _renamed(tags: dict[str, str] | None) -> dict[str, str]:
    """Tags with MLflow's names for code version, parent run and note as modelreg names them."""
    return {TAG_RENAMES.get(k, k): val for k, val in v.check_tags(tags).items()}


def _event(
    entity_type: str, entity_id: str | None, after: dict[str, Any], **model: Any
) -> dict[str, Any]:
    return audit_event(
        model.get("model_id"),
        model.get("model_name"),
        store.IMPORT_ACTION,
        model.get("version"),
        after=after,
        entity_type=entity_type,
        entity_id=entity_id,
    )


def _logged_model_metric(m: dict[str, Any]) -> LoggedModelMetric:
    if not isinstance(m, dict) or "key" not in m or "value" not in m:
        raise InvalidArgument("each metric must be an object with key, value, timestamp, step")
    metric = check_metric(Metric(m["key"], m["value"], m.get("timestamp") or 0, m.get("step") or 0))
    run_id, dataset_name, dataset_digest = (
        None if m.get(k) is None else v.check_string(m[k], k, v.MAX_NAME_LENGTH)
        for k in ("run_id", "dataset_name", "dataset_digest")
    )
    return LoggedModelMetric(metric, run_id, dataset_name, dataset_digest)


class ImportService:
    """Imported experiments, runs, metric histories, artifacts, models, versions and aliases."""

    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs

    # -- tracking ------------------------------------------------------------------

    def import_experiment(
        self,
        name: str,
        lifecycle_stage: str,
        creation_time: int,
        last_update_time: int,
        tags: dict[str, str] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> str:
        """The id of the experiment named ``name``, created with the given stage and times
        if missing (an existing one takes the stage and tags). ``origin`` (source URL and
        id) goes into the audit event. Raises InvalidArgument, PermissionDenied."""
        _require_importer()
        name = v.check_experiment_name(name)
        stage = _lifecycle(lifecycle_stage)
        checked = v.check_tags(tags, limit=v.MAX_EXPERIMENT_TAG_VALUE_LENGTH)
        created, updated = _time(creation_time, "creation_time"), _time(last_update_time, "time")
        with self.db.write() as conn:
            found = tracking_store.fetch_experiments(
                conn, tracking_store.experiments.c.name == name
            )
            if found:
                experiment_id = found[0].experiment_id
                store.update_experiment_as_is(conn, int(experiment_id), stage, checked)
            else:
                experiment_id = store.insert_experiment_as_is(
                    conn, name, stage, created, updated, checked
                )
            if not store.import_recorded(conn, "experiment", experiment_id):
                after = {"name": name, "creation_time": created, **(origin or {})}
                registry_store.append_events(conn, [_event("experiment", experiment_id, after)])
            return experiment_id

    def import_run(
        self,
        run_id: str,
        experiment_id: str,
        run_name: str,
        user_id: str,
        start_time: int,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> bool:
        """Writes the run with its own id, params and tags; ``True`` when an earlier import
        finished it already (and nothing was written). Until :meth:`finish_run_import` the
        run is ``RUNNING`` and active. Raises InvalidArgument, NotFound (experiment)."""
        _require_importer()
        run_id = check_run_id(run_id)
        name = v.check_string(run_name, "run_name", v.MAX_KEY_LENGTH)
        user = v.check_string(user_id, "user_id", v.MAX_NAME_LENGTH)
        start = _time(start_time, "start_time")
        checked_tags = _renamed(tags)
        checked_params = {
            v.check_key(k, "param key"): v.check_param_value(k, val)
            for k, val in (params or {}).items()
        }
        with self.db.write() as conn:
            if store.import_recorded(conn, "run", run_id):
                return True
            _, location = tracking_store.experiment_head(conn, experiment_id)
            info = RunInfo(
                run_id=run_id,
                experiment_id=str(experiment_id),
                run_name=name,
                user_id=user,
                status=RunStatus.RUNNING,
                start_time=start,
                end_time=None,
                artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
                lifecycle_stage=tracking_store.ACTIVE,
            )
            store.upsert_run_as_is(conn, info, checked_tags)
            tracking_store.insert_params(conn, run_id, checked_params)
        return False

    def import_metric_history(
        self, run_id: str, key: str, metrics: Sequence[Metric], replace: bool = True
    ) -> None:
        """Writes values of one metric of a run; ``replace`` drops the key's earlier values
        first, so a repeated import never doubles a history. Raises InvalidArgument, NotFound."""
        _require_importer()
        run_id = check_run_id(run_id)
        key = v.check_key(key, "metric key")
        v.check_batch_size(len(metrics), "metrics")
        checked = [check_metric(m) for m in metrics]
        if any(m.key != key for m in checked):
            raise InvalidArgument(f"every value must be of metric '{key}'")
        with self.db.write() as conn:
            tracking_store.get_run_info(conn, run_id)
            store.replace_metric_history(conn, run_id, key, checked, replace)

    def import_run_artifacts(self, run_id: str, entries: dict[str, dict[str, Any]]) -> None:
        """Records stored blobs as files of the run (``path: {"digest", "size"}``), replacing
        those paths. Raises InvalidArgument (bad path, blob missing or of another size)."""
        _require_importer()
        run_id = check_run_id(run_id)
        refs = self._stored_refs(entries)
        with self.db.write() as conn:
            tracking_store.get_run_info(conn, run_id)
            artifact_store.upsert_run_entries(conn, run_id, refs)

    def finish_run_import(
        self,
        run_id: str,
        status: str,
        end_time: int | None,
        lifecycle_stage: str,
        origin: dict[str, Any] | None = None,
    ) -> None:
        """Gives the run its final status, end time and lifecycle stage and records the import
        (the mark that it is complete). Raises InvalidArgument, NotFound."""
        _require_importer()
        run_id = check_run_id(run_id)
        if status not in RunStatus.ALL:
            raise InvalidArgument(f"status must be one of {', '.join(RunStatus.ALL)}")
        end = None if end_time is None else _time(end_time, "end_time")
        stage = _lifecycle(lifecycle_stage)
        with self.db.write() as conn:
            tracking_store.update_run(
                conn, run_id, status=status, end_time=end, lifecycle_stage=stage
            )
            if not store.import_recorded(conn, "run", run_id):
                info = tracking_store.get_run_info(conn, run_id)
                after = {
                    "experiment_id": info.experiment_id,
                    "start_time": info.start_time,
                    "end_time": end,
                    "status": status,
                    "lifecycle_stage": stage,
                    **(origin or {}),
                }
                registry_store.append_events(conn, [_event("run", run_id, after)])

    def import_logged_model(
        self,
        model_id: str,
        experiment_id: str,
        name: str,
        status: str,
        creation_time: int,
        last_updated_time: int,
        files: dict[str, dict[str, Any]],
        source_run_id: str | None = None,
        model_type: str | None = None,
        user_id: str = "",
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        metrics: list[dict[str, Any]] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> bool:
        """Writes an MLflow 3 logged model with its own id (``m-<32 hex>``), times, tags,
        params, metrics (``key``, ``value``, ``timestamp``, ``step`` and optionally
        ``run_id``, ``dataset_name``, ``dataset_digest``) and files (``path: {"digest",
        "size"}`` of stored blobs), as an output of its source run when the target has that
        run. ``True`` when an earlier import wrote it (and nothing is written). Raises
        InvalidArgument, NotFound (experiment)."""
        _require_importer()
        if not isinstance(model_id, str) or not LOGGED_MODEL_ID_RE.fullmatch(model_id):
            raise InvalidArgument(f"model_id {str(model_id)[:80]!r} is not 'm-' and 32 hex digits")
        name = check_model_name(name)
        if status not in STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}")
        run_id = None if source_run_id is None else check_run_id(source_run_id)
        row = {
            "model_id": model_id,
            "name": name,
            "source_run_id": run_id,
            "model_type": model_type and v.check_string(model_type, "model_type", v.MAX_KEY_LENGTH),
            "status": status,
            "status_message": None,
            "lifecycle_stage": tracking_store.ACTIVE,
            "user_id": v.check_string(user_id, "user_id", v.MAX_NAME_LENGTH),
            "creation_time": _time(creation_time, "creation_time"),
            "last_updated_time": _time(last_updated_time, "last_updated_time"),
        }
        checked_tags = check_key_values(tags, "tag")
        checked_params = check_key_values(params, "param")
        checked_metrics = [_logged_model_metric(m) for m in metrics or []]
        refs = self._stored_refs(files)
        with self.db.write() as conn:
            if store.import_recorded(conn, "logged_model", model_id):
                return True
            _, location = tracking_store.experiment_head(conn, experiment_id)
            row["experiment_id"] = tracking_store.experiment_id_int(experiment_id)
            row["artifact_location"] = f"{location.rstrip('/')}/models/{model_id}/artifacts"
            logged_store.insert_model(conn, row)
            logged_store.upsert_key_values(conn, "tags", model_id, checked_tags)
            logged_store.upsert_key_values(conn, "params", model_id, checked_params)
            logged_store.insert_metrics(conn, model_id, checked_metrics)
            logged_store.upsert_entries(conn, model_id, refs)
            if run_id and tracking_store.run_exists(conn, run_id):
                logged_store.link_runs(conn, run_id, [RunModelLink(model_id, "output")])
            after = {
                "name": name,
                "experiment_id": str(row["experiment_id"]),
                "source_run_id": run_id,
                "creation_time": row["creation_time"],
                **(origin or {}),
            }
            registry_store.append_events(conn, [_event("logged_model", model_id, after)])
        return False

    def import_run_model_links(self, run_id: str, links: Sequence[RunModelLink]) -> None:
        """Records an imported run's links to MLflow 3 logged models: the models it used
        (``input``) and made (``output``, at its step), as MLflow's ``run.inputs.
        model_inputs`` and ``run.outputs.model_outputs`` say. A link to a model the target
        does not have is left out; recording them again changes nothing. Raises NotFound
        (the run), InvalidArgument."""
        _require_importer()
        run_id = check_run_id(run_id)
        check_links(links)
        with self.db.write() as conn:
            if not tracking_store.run_exists(conn, run_id):
                raise NotFound(f"run '{run_id}' does not exist")
            present = logged_store.existing_ids(conn, {x.model_id for x in links})
            logged_store.link_runs(conn, run_id, [x for x in links if x.model_id in present])

    # -- registry --------------------------------------------------------------------

    def import_registered_model(
        self,
        name: str,
        description: str | None,
        creation_time: int,
        last_updated_time: int,
        tags: dict[str, str] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> None:
        """Creates the model with its original times if missing; an existing one takes the
        description and tags. Raises InvalidArgument, AlreadyExists (a look-alike name)."""
        _require_importer()
        name = v.check_name(name, "model name")
        description = v.check_description(description)
        checked = v.check_tags(tags, limit=v.MAX_REGISTRY_TAG_VALUE_LENGTH)
        created = _time(creation_time, "creation_time")
        updated = _time(last_updated_time, "last_updated_time")
        with self.db.write() as conn:
            try:
                model_id = registry_store.model_id(conn, name, lock=True)
                if description is not None:
                    registry_store.update_model(conn, model_id, now_ms(), description=description)
                registry_store.upsert_model_tags(conn, model_id, checked)
            except NotFound:
                model_id = registry_store.insert_model(conn, name, description, checked, created)
                store.set_model_times(conn, model_id, created, updated)
            if not store.import_recorded(conn, "model", name, model_id):
                after = {"description": description, "tags": checked, **(origin or {})}
                after["creation_time"] = created
                event = _event("model", None, after, model_id=model_id, model_name=name)
                registry_store.append_events(conn, [event])

    def import_model_version(
        self,
        name: str,
        version: int,
        source: str,
        run_id: str | None,
        stage: str,
        creation_time: int,
        last_updated_time: int,
        files: dict[str, dict[str, Any]],
        user_id: str = "",
        status: str = "READY",
        description: str | None = None,
        tags: dict[str, str] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> ModelVersion:
        """Registers version ``version`` (its number kept) with ``files`` (``path: {"digest",
        "size"}`` of stored blobs), its stage set as it is in the source (no promotion
        policy: this is history, not a promotion) and the next semver after the model's
        highest. An existing version is returned unchanged. Raises InvalidArgument,
        NotFound (model)."""
        _require_importer()
        name = v.check_name(name, "model name")
        number = v.check_int(version, "version", 1, v.MAX_INT32)
        source = v.check_string(source, "source", 4096)
        stage = v.check_stage(stage)
        if status not in _VERSION_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(_VERSION_STATUSES)}")
        refs = self._stored_refs(files)
        manifest = sorted((p, r.digest, r.size) for p, r in refs.items())
        checked_tags = v.check_tags(tags, limit=v.MAX_REGISTRY_TAG_VALUE_LENGTH)
        with self.db.write() as conn:
            model_id = registry_store.model_id(conn, name, lock=True)
            if registry_store.existing_versions(conn, model_id, [number]):
                return registry_store.get_version(conn, name, number)
            entity = ModelVersion(
                name=name,
                version=number,
                semver=self._next_semver(conn, model_id),
                current_stage=stage,
                source=source,
                run_id=None if run_id is None else check_run_id(run_id),
                description=v.check_description(description),
                user_id=v.check_string(user_id, "user_id", v.MAX_NAME_LENGTH),
                creation_timestamp=_time(creation_time, "creation_time"),
                last_updated_timestamp=_time(last_updated_time, "last_updated_time"),
                status=status,
                tags=checked_tags,
                content_digest=manifest_digest(manifest),
                model_id=logged_model_of(source),
            )
            version_id = registry_store.insert_version(conn, model_id, entity)
            registry_store.set_top_semver(conn, model_id, number, entity.semver)
            store.raise_last_version(conn, model_id, number)
            registry_store.insert_version_manifest(conn, version_id, manifest)
            registry_store.insert_version_tags(conn, version_id, checked_tags)
            after = {
                "semver": entity.semver,
                "stage": stage,
                "source": source,
                "run_id": entity.run_id,
                "creation_time": entity.creation_timestamp,
                "content_digest": entity.content_digest,
                **(origin or {}),
            }
            event = _event("model", None, after, model_id=model_id, model_name=name, version=number)
            registry_store.append_events(conn, [event])
            return entity

    def import_alias(
        self, name: str, alias: str, version: int, origin: dict[str, Any] | None = None
    ) -> None:
        """Points ``alias`` at ``version`` unless it already does (no promotion policy).
        Raises InvalidArgument, NotFound, AlreadyExists (a look-alike alias)."""
        _require_importer()
        name = v.check_name(name, "model name")
        alias = v.check_alias(alias)
        number = v.check_int(version, "version", 1, v.MAX_INT32)
        with self.db.write() as conn:
            model_id = registry_store.model_id(conn, name, lock=True)
            if registry_store.alias_target(conn, model_id, alias) == number:
                return
            row = registry_store.version_row(conn, model_id, name, number)
            registry_store.set_alias(conn, model_id, alias, row.version_id)
            after = {"alias": alias, "version": number, **(origin or {})}
            event = _event("model", None, after, model_id=model_id, model_name=name, version=number)
            registry_store.append_events(conn, [event])

    # -- helpers ---------------------------------------------------------------------

    def _next_semver(self, conn: Connection, model_id: int) -> str:
        """Versions are imported in registration order: each one the next minor."""
        semvers = [text for _, text, _ in registry_store.model_semvers(conn, model_id)]
        if not semvers:
            return versioning.FIRST
        top = max(semvers, key=versioning.sort_key)
        return versioning.bump(versioning.parse(top), "minor")

    def _stored_refs(self, entries: dict[str, dict[str, Any]]) -> dict[str, BlobRef]:
        if not isinstance(entries, dict):
            raise InvalidArgument("files must map a path to its digest and size")
        refs: dict[str, BlobRef] = {}
        for path, entry in entries.items():
            ref = BlobRef(
                check_digest(entry.get("digest")), v.check_int(entry.get("size"), "size", 0)
            )
            try:
                size = self.blobs.size(ref.digest)
            except NotFound:
                raise InvalidArgument(
                    f"'{path:.200}' names blob {ref.digest}, never uploaded"
                ) from None
            if size != ref.size:
                raise InvalidArgument(f"'{path:.200}' says {ref.size} bytes; the blob has {size}")
            refs[check_artifact_path(path)] = ref
        return refs
