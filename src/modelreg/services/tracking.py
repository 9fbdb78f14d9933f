"""The tracking rules: experiments, runs, params, metrics, tags.

Validation happens here, before any SQL, so every entry point (Python,
REST, CLI) refuses bad input the same way; each mutation is one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial
from typing import Any

from modelreg import validation as v
from modelreg.actor import current_actor
from modelreg.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from modelreg.errors import InvalidArgument, NotFound
from modelreg.run_names import random_run_name
from modelreg.run_tags import RUN_NAME_TAG
from modelreg.services import principal
from modelreg.services.audit import record_entity
from modelreg.services.leases import LeaseService
from modelreg.store import keyset, metric_history, run_search
from modelreg.store import leases as lease_store
from modelreg.store import tracking as store
from modelreg.store.database import Database
from modelreg.store.experiment_search import experiment_condition, experiment_order
from modelreg.store.filter_sql import (
    check_max_results,
)
from modelreg.store.schema import experiments
from modelreg.store.search_filter import parse_filter
from modelreg.timeutil import SYSTEM_CLOCK, Clock, now_ms

DEFAULT_EXPERIMENT_ID = "0"
# A page of metric history, as MLflow's REST API pages it.
HISTORY_PAGE = 25_000
# A chart is ~500 px wide: two values (the lowest and highest) per interval of a pixel.
CHART_POINTS = 1_000


def _check_run_name(name: Any) -> str:
    return v.check_string(name, "run_name", v.MAX_KEY_LENGTH)


def _check_experiment_tags(tags: Any) -> dict[str, str]:
    return v.check_tags(tags, limit=v.MAX_EXPERIMENT_TAG_VALUE_LENGTH)


class TrackingService:
    """Experiments and runs on one database; run leases expire by ``clock``'s time."""

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.leases = LeaseService(db, clock)

    # -- experiments -------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        name = v.check_experiment_name(name)
        checked_tags = _check_experiment_tags(tags)
        if artifact_location is not None:
            _check_artifact_location(artifact_location)
            # Over a server, the server places artifacts; only an admin may choose.
            principal.require_admin("choosing an experiment's artifact_location")
        with self.db.write() as conn:
            created = store.insert_experiment(conn, name, artifact_location, checked_tags, now_ms())
            principal.grant_creator(conn, "experiment", int(created))
            if artifact_location:
                # Where the server writes is an admin's choice: the trail says whose.
                after = {"name": name, "artifact_location": artifact_location}
                action = "set_artifact_location"
                record_entity(conn, "experiment", created, action, after=after)
            return created

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self.db.read() as conn:
            return store.get_experiment(conn, experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        name = v.check_experiment_name(name)
        with self.db.read() as conn:
            # One the caller may not read is one that does not exist.
            where = principal.readable_only(
                experiments.c.name == name, experiments.c.experiment_id, "experiment"
            )
            found = store.fetch_experiments(conn, where)
        return found[0] if found else None

    def search_experiments(
        self,
        view_type: str | int | None = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        stages = LifecycleStage.view_type_to_stages(view_type)
        limit = check_max_results(max_results, 1000)
        asked = ["experiments", stages, *keyset.searched(filter_string, order_by)]
        last = keyset.decode_token(page_token, asked)
        keys = experiment_order(order_by or ())
        keyset.check_fits(last, keys, page_token)
        where = experiments.c.lifecycle_stage.in_(stages)
        where = principal.readable_only(where, experiments.c.experiment_id, "experiment")
        node = parse_filter(filter_string)
        if node is not None:
            where = where & experiment_condition(node)
        with self.db.read() as conn:
            found, next_key = store.page_experiments(conn, where, keys, limit, last)
        return PagedList(found, None if next_key is None else keyset.encode_token(next_key, asked))

    def _set_experiment_stage(self, experiment_id: str, stage: str) -> None:
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID and stage == store.DELETED:
            raise InvalidArgument("the Default experiment (id 0) cannot be deleted")
        with self.db.write() as conn:
            store.set_experiment_fields(conn, experiment_id, now_ms(), lifecycle_stage=stage)
            store.set_experiment_runs_stage(conn, experiment_id, stage)

    def delete_experiment(self, experiment_id: str) -> None:
        """Deletes the experiment and its runs (their data is kept: ``restore_experiment``
        brings all of them back, as on MLflow). Raises NotFound, InvalidArgument for the
        Default experiment."""
        self._set_experiment_stage(experiment_id, store.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Restores the experiment and all its runs. Raises NotFound."""
        self._set_experiment_stage(experiment_id, store.ACTIVE)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        new_name = v.check_experiment_name(new_name)
        with self.db.write() as conn:
            store.set_experiment_fields(conn, experiment_id, now_ms(), name=new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        tags = _check_experiment_tags({v.check_key(key, "tag key"): value})
        with self.db.write() as conn:
            store.get_experiment(conn, experiment_id)
            store.upsert_experiment_tags(conn, store.experiment_id_int(experiment_id), tags)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Removes a tag of the experiment. Raises NotFound for an unknown experiment or tag."""
        key = v.check_key(key, "tag key")
        with self.db.write() as conn:
            store.get_experiment(conn, experiment_id)
            if not store.delete_experiment_tag(conn, store.experiment_id_int(experiment_id), key):
                raise NotFound(f"experiment {experiment_id} has no tag '{key}'")

    # -- runs ----------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str | None = None,
        start_time: int | None = None,
        tags: dict[str, str] | None = None,
        run_name: str | None = None,
    ) -> Run:
        experiment_id = DEFAULT_EXPERIMENT_ID if experiment_id is None else str(experiment_id)
        checked_tags = v.check_tags(tags)
        if run_name is not None:
            run_name = _check_run_name(run_name)
        run_name = run_name or checked_tags.get(RUN_NAME_TAG) or random_run_name()
        start = now_ms() if start_time is None else v.check_int(start_time, "start_time", 0)
        run_id = uuid.uuid4().hex
        with self.db.write() as conn:
            stage, location = store.experiment_head(conn, experiment_id)
            if stage != store.ACTIVE:
                raise InvalidArgument(
                    f"experiment {experiment_id} is deleted; restore it before creating runs in it"
                )
            info = RunInfo(
                run_id=run_id,
                experiment_id=experiment_id,
                run_name=run_name,
                user_id=current_actor(),
                status=RunStatus.RUNNING,
                start_time=start,
                end_time=None,
                artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
                lifecycle_stage=store.ACTIVE,
            )
            store.insert_run(conn, info, checked_tags)
        return Run(info, RunData(tags=checked_tags))

    def get_run(self, run_id: str) -> Run:
        run_id = check_run_id(run_id)
        self.leases.sweep_now_and_then()
        with self.db.read() as conn:
            return store.get_run(conn, run_id)

    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        run_id = check_run_id(run_id)
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = _check_status(status)
        if end_time is not None:
            values["end_time"] = v.check_int(end_time, "end_time", 0)
        if run_name is not None:
            values["run_name"] = _check_run_name(run_name)
        with self.db.write() as conn:
            if values:
                store.update_run(conn, run_id, **values)
            if run_name is not None:
                store.upsert_run_tags(conn, run_id, {RUN_NAME_TAG: values["run_name"]})
            return store.get_run_info(conn, run_id)

    def set_terminated(
        self, run_id: str, status: str = "FINISHED", end_time: int | None = None
    ) -> None:
        status = _check_status(status)
        if status not in RunStatus.TERMINAL:
            raise InvalidArgument(
                f"status '{status}' is not a terminal status ({', '.join(RunStatus.TERMINAL)})"
            )
        end = now_ms() if end_time is None else v.check_int(end_time, "end_time", 0)
        with self.db.write() as conn:
            store.update_run(conn, check_run_id(run_id), status=status, end_time=end)
            lease_store.release(conn, run_id)

    def renew_run_lease(self, run_id: str, seconds: float) -> bool:
        """Keeps the run RUNNING for ``seconds`` more (see :mod:`modelreg.services.leases`);
        ``False`` once the run has ended. Raises NotFound for an unknown run."""
        return self.leases.renew(check_run_id(run_id), seconds)

    def delete_run(self, run_id: str) -> None:
        with self.db.write() as conn:
            store.update_run(conn, check_run_id(run_id), lifecycle_stage=store.DELETED)

    def restore_run(self, run_id: str) -> None:
        with self.db.write() as conn:
            store.update_run(conn, check_run_id(run_id), lifecycle_stage=store.ACTIVE)

    # -- params, metrics, tags ---------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Logs metrics, params and tags in one transaction: all of them or none."""
        run_id = check_run_id(run_id)
        v.check_batch_size(len(metrics) + len(params) + len(tags), "metrics, params and tags")
        checked_params: dict[str, str] = {}
        for p in params:
            key = v.check_key(p.key, "param key")
            value = v.check_param_value(key, p.value)
            if checked_params.get(key, value) != value:
                raise InvalidArgument(
                    f"param '{key}' appears twice in the batch with different values"
                )
            checked_params[key] = value
        checked_metrics = [check_metric(m) for m in metrics]
        checked_tags = {
            v.check_key(t.key, "tag key"): v.check_tag_value(t.key, t.value) for t in tags
        }
        new_name = checked_tags.get(RUN_NAME_TAG)
        if new_name is not None:
            new_name = _check_run_name(new_name)
        with self.db.write() as conn:
            store.require_active_run(conn, run_id)
            store.insert_params(conn, run_id, checked_params)
            store.insert_metrics(conn, run_id, checked_metrics)
            store.upsert_run_tags(conn, run_id, checked_tags)
            if new_name is not None:
                store.update_run(conn, run_id, run_name=new_name)

    def delete_tag(self, run_id: str, key: str) -> None:
        run_id = check_run_id(run_id)
        key = v.check_key(key, "tag key")
        with self.db.write() as conn:
            store.require_active_run(conn, run_id)
            store.delete_run_tag(conn, run_id, key)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """A page of a metric's values (default 25,000), by step, then time, then value.

        Raises NotFound for an unknown run, InvalidArgument for a bad key, size or token."""
        run_id = check_run_id(run_id)
        key = v.check_key(key, "metric key")
        limit = check_max_results(max_results, HISTORY_PAGE)
        after = metric_history.decode(page_token)
        with self.db.read() as conn:
            found, token = metric_history.page(conn, run_id, key, limit, after)
            if not found:
                store.get_run_info(conn, run_id)
        return PagedList(found, token)

    def sample_metric_history(
        self, run_id: str, key: str, max_points: int = CHART_POINTS, axis: str | None = None
    ) -> metric_history.HistorySample:
        """At most ``max_points`` of a metric's values to draw it, however long its history
        (see :class:`~modelreg.store.metric_history.HistorySample`); ``axis`` is ``"step"``,
        ``"time"`` or, by default, the step unless every value has the same one.

        Raises NotFound for an unknown run, InvalidArgument for a bad key, size or axis."""
        run_id = check_run_id(run_id)
        key = v.check_key(key, "metric key")
        if not 2 <= max_points <= HISTORY_PAGE:
            raise InvalidArgument(f"max_points must be 2 to {HISTORY_PAGE}, not {max_points}")
        if axis not in (None, "step", "time"):
            raise InvalidArgument(f"axis must be 'step' or 'time', not {axis!r}")
        with self.db.read() as conn:
            found = metric_history.sample(conn, run_id, key, max_points, axis)
            if not found.total:
                store.get_run_info(conn, run_id)
        return found

    def latest_metric_positions(
        self, run_ids: Sequence[str]
    ) -> dict[str, dict[str, tuple[int, int]]]:
        """``run_id → metric key → (step, timestamp)`` of the runs' latest metric values
        (what MLflow's run JSON shows next to each value); the caller has read the runs."""
        with self.db.read() as conn:
            return store.latest_metric_positions(conn, list(run_ids))

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: str | int | None = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        return self.search_runs_naming_tags(
            {}, experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )

    def search_runs_naming_tags(
        self,
        tag_names: Mapping[str, tuple[str, str]],
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: str | int | None = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """:meth:`search_runs` for an API that names some tags its own way: ``tag_names``
        maps its keys to the ``(prefix, key)`` they are stored as (the MLflow API's
        ``mlflow.*``; see :func:`~modelreg.store.run_search.with_tag_names`)."""
        if isinstance(experiment_ids, str | int):
            experiment_ids = [str(experiment_ids)]
        ids = [store.experiment_id_int(e) for e in experiment_ids]
        node = parse_filter(filter_string)
        stages = LifecycleStage.view_type_to_stages(run_view_type)
        limit = check_max_results(max_results, 1000)
        if isinstance(order_by, str):
            order_by = [order_by]
        asked = ["runs", sorted(ids), stages, *keyset.searched(filter_string, order_by)]
        last = keyset.decode_token(page_token, asked)
        if tag_names:
            node, order_by = run_search.with_tag_names(node, order_by or (), tag_names)
        self.leases.sweep_now_and_then()
        with self.db.read() as conn:
            ids = principal.readable_experiment_ids(conn, ids)
            found, next_key = run_search.search_runs(
                conn, ids, node, stages, limit, list(order_by or ()), last, page_token
            )
        return PagedList(found, None if next_key is None else keyset.encode_token(next_key, asked))


def _check_artifact_location(location: Any) -> str:
    """An experiment's artifact location: a URI or path without control characters or
    ``..`` segments, and not a ``runs:/`` URI (as MLflow refuses)."""
    location = v.check_string(location, "artifact_location", 2048)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in location):
        raise InvalidArgument("artifact_location must not contain control characters")
    if location.startswith("runs:"):
        raise InvalidArgument(f"Artifact location cannot be a runs:/ URI. Given: '{location}'")
    if ".." in location.replace("\\", "/").split("/"):
        raise InvalidArgument(f"artifact_location '{location:.200}' must not contain '..'")
    return location


def check_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not run_id:
        raise InvalidArgument(f"run_id must be a non-empty string, got {run_id!r:.40}")
    if len(run_id) > 32 or not run_id.isalnum():
        raise NotFound(f"run '{run_id[:40]}' does not exist")
    return run_id


def _check_status(status: Any) -> str:
    if isinstance(status, str) and status.upper() in RunStatus.ALL:
        return status.upper()
    raise InvalidArgument(f"status {status!r} is not one of {', '.join(RunStatus.ALL)}")


# A run logs the same few metric keys over and over: remember the ones that passed.
_valid_metric_key = lru_cache(maxsize=4096)(partial(v.check_key, field="metric key"))


def check_metric(m: Metric) -> Metric:
    if (
        type(m.value) is float
        and type(m.timestamp) is int
        and type(m.step) is int
        and m.timestamp >= 0
        and type(m.key) is str
    ):
        # The usual case: nothing to convert, only the key to check.
        _valid_metric_key(m.key)
        return m
    key = v.check_key(m.key, "metric key")
    value = v.check_metric_value(key, m.value)
    timestamp = v.check_int(m.timestamp, f"timestamp of metric '{key}'", 0)
    step = v.check_int(m.step, f"step of metric '{key}'")
    if (key, value, timestamp, step) == (m.key, m.value, m.timestamp, m.step) and type(
        m.value
    ) is float:
        return m
    return Metric(key, value, timestamp, step)
