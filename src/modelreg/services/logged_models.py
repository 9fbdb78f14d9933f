"""MLflow 3's logged models: creating, finalizing, tagging, searching and their files.

A logged model belongs to an experiment (whose readers may read it and whose
editors may change it) and usually to the run that made it. Its files are a
manifest of content-addressed blobs, like a run's; registering it
(``models:/m-<id>`` as a version's source) copies that manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg import validation as v
from modelreg.actor import current_actor
from modelreg.artifact_files import check_artifact_path
from modelreg.blobs import BlobRef
from modelreg.entities import Metric, PagedList
from modelreg.errors import InvalidArgument, NotFound
from modelreg.ids import time_ordered_id
from modelreg.logged_models import (
    STATUSES,
    LoggedModel,
    LoggedModelDataset,
    LoggedModelMetric,
    LoggedModelOrder,
    ModelRunLink,
    RunModelLink,
    dataset_filter,
)
from modelreg.lookalike import check_visible
from modelreg.run_names import random_run_name
from modelreg.services import principal
from modelreg.services.reference_access import require_readable_run
from modelreg.services.run_model_links import (
    check_links,
    check_model_id,
    link_models,
    require_model_role,
)
from modelreg.store import artifacts as artifact_store
from modelreg.store import keyset
from modelreg.store import logged_models as store
from modelreg.store import tracking as tracking_store
from modelreg.store.database import Database
from modelreg.store.filter_sql import check_max_results
from modelreg.timeutil import now_ms

__all__ = ["LoggedModelService", "check_key_values", "check_model_name"]

# The runs a model's page and ``model_run_links`` list (the newest).
MODEL_RUN_LINKS = 100


def check_model_name(name: Any) -> str:
    """A logged model's name: not empty, not too long, no ``/`` or ``:`` (they would
    break ``models:/`` URIs); raises InvalidArgument."""
    name = v.check_string(name, "name", v.MAX_KEY_LENGTH)
    if not name:
        raise InvalidArgument("name of a logged model must not be empty")
    if "/" in name or ":" in name:
        raise InvalidArgument(f"Invalid model name '{name}': it may not contain '/' or ':'")
    return name


def _check_order(order_by: Sequence[Any]) -> None:
    for item in order_by:
        fits = isinstance(item, tuple | list) and len(item) in (2, 4)
        if not (fits and isinstance(item[0], str) and isinstance(item[1], bool)) or any(
            d is not None and not isinstance(d, str) for d in item[2:]
        ):
            raise InvalidArgument(
                "each order_by item is (field, ascending) or, for a metric, "
                f"(field, ascending, dataset_name, dataset_digest); got {item!r:.80}"
            )


def check_model_metric(m: LoggedModelMetric) -> LoggedModelMetric:
    """The metric, checked (its dataset too); raises InvalidArgument naming the field."""
    name, digest = m.dataset_name, m.dataset_digest
    if name is not None:
        name = check_visible(v.check_string(name, "dataset_name", 500), "dataset_name")
    if digest is not None:
        if name is None:
            raise InvalidArgument("a dataset_digest needs a dataset_name: name the dataset")
        digest = v.check_string(digest, "dataset_digest", 64)
    metric = Metric(
        v.check_key(m.metric.key, "metric key"),
        v.check_metric_value(m.metric.key, m.metric.value),
        v.check_int(m.metric.timestamp, "timestamp", 0),
        v.check_int(m.metric.step, "step"),
    )
    run_id = None if m.run_id is None else v.check_string(m.run_id, "run_id", 32)
    return LoggedModelMetric(metric, run_id, name or None, digest or None)


def check_key_values(items: dict[str, Any] | None, what: str) -> dict[str, str]:
    """Tags or params (``what``: ``"tag"`` or ``"param"``), checked; raises InvalidArgument."""
    checked = {}
    for key, value in (items or {}).items():
        key = v.check_key(key, f"{what} key")
        checked[key] = v.check_tag_value(key, "" if value is None else value)
    return checked


class LoggedModelService:
    """Logged models on one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING model in the experiment; ``name`` defaults to a random one.

        Raises ``NotFound`` for an unknown experiment or source run and
        ``InvalidArgument`` for a deleted experiment or bad names."""
        name = check_model_name(name) if name else random_run_name()
        if model_type:
            model_type = v.check_string(model_type, "model_type", v.MAX_KEY_LENGTH)
        checked_tags = check_key_values(tags, "tag")
        checked_params = check_key_values(params, "param")
        model_id = f"m-{time_ordered_id()}"
        now = now_ms()
        with self.db.write() as conn:
            stage, location = tracking_store.experiment_head(conn, str(experiment_id))
            if stage != tracking_store.ACTIVE:
                raise InvalidArgument(f"experiment {experiment_id} is deleted")
            if source_run_id:
                source_run_id = v.check_string(source_run_id, "source_run_id", 64)
                tracking_store.get_run_info(conn, source_run_id)
                require_readable_run(conn, source_run_id)
            store.insert_model(
                conn,
                {
                    "model_id": model_id,
                    "experiment_id": tracking_store.experiment_id_int(experiment_id),
                    "name": name,
                    "source_run_id": source_run_id or None,
                    "model_type": model_type or None,
                    "status": "PENDING",
                    "status_message": None,
                    "lifecycle_stage": tracking_store.ACTIVE,
                    "user_id": current_actor(),
                    "artifact_location": f"{location.rstrip('/')}/models/{model_id}/artifacts",
                    "creation_time": now,
                    "last_updated_time": now,
                },
            )
            store.upsert_key_values(conn, "tags", model_id, checked_tags)
            store.upsert_key_values(conn, "params", model_id, checked_params)
            return store.load_models(conn, [model_id])[0]

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        """The model; raises ``NotFound`` for an unknown (or deleted) one."""
        model_id = check_model_id(model_id)
        with self.db.read() as conn:
            store.require_model(conn, model_id, allow_deleted)
            return store.load_models(conn, [model_id])[0]

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[LoggedModelOrder] | None = None,
        page_token: str | None = None,
        datasets: list[LoggedModelDataset] | None = None,
    ) -> PagedList[LoggedModel]:
        """Active models of these experiments (those the caller may read) matching the
        filter (attributes, ``tags.``, ``params.``, ``metrics.``); newest first by default.
        ``datasets`` limits metric comparisons to values measured on one of them (see
        :func:`modelreg.store.logged_models.search_ids`)."""
        ids = [tracking_store.experiment_id_int(e) for e in experiment_ids]
        limit = check_max_results(max_results, 100)
        _check_order(order_by or [])
        on = [dataset_filter(d) for d in datasets or ()]
        with self.db.read() as conn:
            ids = principal.readable_experiment_ids(conn, ids)
            found, next_key = store.search_ids(
                conn, ids, filter_string, order_by or (), page_token, limit, on
            )
            models = store.load_models(conn, found)
        return PagedList(models, None if next_key is None else keyset.encode_token(next_key))

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Marks the model READY (its files are uploaded) or FAILED."""
        if status not in STATUSES:
            raise InvalidArgument(f"status {status!r} is not one of {', '.join(STATUSES)}")
        return self._change(
            model_id, lambda conn, now: store.set_fields(conn, model_id, now, status=status)
        )

    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        checked = check_key_values(tags, "tag")
        self._change(
            model_id, lambda conn, now: store.upsert_key_values(conn, "tags", model_id, checked)
        )

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._change(model_id, lambda conn, now: store.delete_tag(conn, model_id, key))

    def log_logged_model_params(self, model_id: str, params: dict[str, str]) -> None:
        checked = check_key_values(params, "param")
        self._change(
            model_id, lambda conn, now: store.upsert_key_values(conn, "params", model_id, checked)
        )

    def log_logged_model_metrics(self, model_id: str, metrics: Sequence[LoggedModelMetric]) -> None:
        """Appends metrics to the model (the run's ``log_metric(..., model_id=…)``), each
        measured in a run the caller may read and on a dataset, if named. Raises NotFound
        for an unknown model or run, InvalidArgument for a bad metric or dataset."""
        checked = [check_model_metric(m) for m in metrics]
        v.check_batch_size(len(checked), "metrics")

        def insert(conn: Any, now: int) -> None:
            require_model_role(conn, model_id, "edit")
            for run_id in sorted({m.run_id for m in checked if m.run_id is not None}):
                tracking_store.get_run_info(conn, run_id)
                require_readable_run(conn, run_id)
            store.insert_metrics(conn, model_id, checked)

        self._change(model_id, insert)

    def require_editable(self, model_id: str) -> None:
        """Raises what the caller's metrics for the model would raise before anything is
        written: ``NotFound`` for an unknown model or one the caller may not read,
        ``PermissionDenied`` for one they may only read. The MLflow API's run calls name
        a model beside the run their permission is about."""
        model_id = check_model_id(model_id)
        with self.db.read() as conn:
            store.require_model(conn, model_id)
            require_model_role(conn, model_id, "edit")

    def delete_logged_model(self, model_id: str) -> None:
        """Marks the model deleted: searches skip it; registered versions keep their files."""
        self._change(
            model_id,
            lambda conn, now: store.set_fields(conn, model_id, now, lifecycle_stage="deleted"),
        )

    def _change(self, model_id: str, change: Any) -> LoggedModel:
        model_id = check_model_id(model_id)
        with self.db.write() as conn:
            store.require_model(conn, model_id)
            now = now_ms()
            change(conn, now)
            store.set_fields(conn, model_id, now)
            return store.load_models(conn, [model_id])[0]

    # -- files ---------------------------------------------------------------------

    def manifest(self, model_id: str, path: str = "") -> dict[str, BlobRef]:
        """The model's files at or below ``path``: path → ``(digest, size)``."""
        model_id = check_model_id(model_id)
        prefix = check_artifact_path(path or "", "path", allow_root=True)
        with self.db.read() as conn:
            store.require_model(conn, model_id, allow_deleted=True)
            return store.entries(conn, model_id, prefix)

    def record_run_files(self, model_id: str, path: str, step: int = 0) -> LoggedModel:
        """Makes the model's files those its source run holds under ``path`` (where
        ``log_model`` saved them): the same blobs, at paths relative to ``path``; the
        model becomes an output of that run, as MLflow links what a run logged.

        Raises ``NotFound`` for an unknown model, or a source run the caller may not
        read or that holds nothing under ``path``; ``InvalidArgument`` for a model
        without a source run, a bad path or a negative ``step``. The model is the run's
        output at ``step``, and the run's metrics at that step become the model's too,
        as MLflow's ``log_model`` does."""
        prefix = check_artifact_path(path, "path")
        step = v.check_int(step, "step", 0, v.MAX_INT64)

        def copy(conn: Any, now: int) -> None:
            run_id = store.load_models(conn, [model_id])[0].source_run_id
            if run_id is None:
                raise InvalidArgument(f"logged model '{model_id}' has no source run")
            require_readable_run(conn, run_id)
            entries = artifact_store.run_entries(conn, run_id, prefix)
            below = {p[len(prefix) + 1 :]: ref for p, ref in entries.items() if p != prefix}
            if not below:
                raise NotFound(f"run '{run_id}' holds no files under '{prefix}'")
            store.upsert_entries(conn, model_id, below)
            store.link_runs(conn, run_id, [RunModelLink(model_id, "output", step)])
            store.copy_run_metrics(conn, model_id, run_id, step=step)

        return self._change(model_id, copy)

    def record_files(self, model_id: str, entries: dict[str, BlobRef]) -> None:
        """Records blobs already stored as files of the model (the caller uploaded them)."""
        checked = {check_artifact_path(p): r for p, r in entries.items()}
        self._change(model_id, lambda conn, now: store.upsert_entries(conn, model_id, checked))

    # -- runs ----------------------------------------------------------------------

    def link_run(self, run_id: str, links: Sequence[RunModelLink]) -> None:
        """Records models as outputs or inputs of a run; raises ``NotFound`` for an
        unknown run or model, or one the caller may not read (a link would say it
        exists)."""
        check_links(links)
        with self.db.write() as conn:
            tracking_store.require_active_run(conn, run_id)
            link_models(conn, run_id, links)

    def run_links(self, run_id: str) -> list[RunModelLink]:
        """The run's links to logged models (``[]`` for none): the models it logged
        (``output``, at a step) and those it used (``input``). Raises ``NotFound`` for an
        unknown run."""
        with self.db.read() as conn:
            tracking_store.get_run_info(conn, v.check_string(run_id, "run_id", 64))
            return store.run_links(conn, [run_id]).get(run_id, [])

    def model_run_links(self, model_id: str) -> list[ModelRunLink]:
        """The active runs that logged the model (``output``) or used it (``input``),
        newest first, at most ``MODEL_RUN_LINKS``, leaving out those the caller may not
        read. Raises ``NotFound`` for an unknown model."""
        with self.db.read() as conn:
            store.require_model(conn, check_model_id(model_id))
            rows = store.model_links(conn, model_id, MODEL_RUN_LINKS)
            shown = {row.experiment_id for row in rows}
            readable = set(principal.readable_experiment_ids(conn, sorted(shown)))
            return [
                ModelRunLink(row.run_id, row.direction, row.step)
                for row in rows
                if row.experiment_id in readable
            ]

    def models_of_run(self, run_id: str) -> list[LoggedModel]:
        """The active models a run made, oldest first. Raises ``NotFound`` for an unknown run."""
        with self.db.read() as conn:
            tracking_store.get_run_info(conn, v.check_string(run_id, "run_id", 64))
            return store.load_models(conn, store.models_of_run(conn, run_id))
