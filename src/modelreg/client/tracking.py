"""Tracking methods of ``Client``: experiments, runs, params, metrics, tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg import async_logging
from modelreg.api_contract import Backend
from modelreg.async_logging import RunOperations
from modelreg.entities import Experiment, Metric, PagedList, Param, Run, RunInfo, RunTag
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import LoggedModelMetric
from modelreg.run_tags import PARENT_RUN_TAG
from modelreg.timeutil import now_ms

RUN_ID_LENGTH = 32
MIN_RUN_ID_PREFIX = 6
_SHOWN_CANDIDATES = 10


class TrackingMethods:
    _backend: Backend

    # -- experiments -------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Creates an experiment and returns its id.

        Raises ``AlreadyExists`` if the name is taken, ``InvalidArgument`` if
        it is empty, longer than 256 characters or contains '/'.
        """
        return self._backend.tracking.create_experiment(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with that id; raises ``NotFound``."""
        return self._backend.tracking.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with that name, or ``None``."""
        return self._backend.tracking.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: str = "ACTIVE_ONLY",
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Experiments matching ``filter_string`` (``name LIKE 'fraud%' and tags.team = 'x'``).

        ``view_type`` is ``ACTIVE_ONLY``, ``DELETED_ONLY`` or ``ALL``; the
        result's ``token`` fetches the next page.
        """
        return self._backend.tracking.search_experiments(
            view_type, max_results, filter_string, order_by, page_token
        )

    def delete_experiment(self, experiment_id: str) -> None:
        """Marks the experiment and its runs deleted, restorably: they leave default
        searches, and its runs take no more data until it is restored (as on MLflow)."""
        self._backend.tracking.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Undoes ``delete_experiment``: the experiment and all its runs are active again
        (a run deleted before the experiment was, too, as on MLflow)."""
        self._backend.tracking.restore_experiment(str(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Renames an experiment; raises ``AlreadyExists`` if the new name is taken."""
        self._backend.tracking.rename_experiment(str(experiment_id), new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Sets (or overwrites) one tag on an experiment."""
        self._backend.tracking.set_experiment_tag(str(experiment_id), key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Removes one tag of an experiment; raises ``NotFound`` if it has none by that key."""
        self._backend.tracking.delete_experiment_tag(str(experiment_id), key)

    # -- runs --------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str | None = None,
        start_time: int | None = None,
        tags: dict[str, str] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Starts a run (status ``RUNNING``) in the experiment (default: ``Default``, id 0).

        Raises ``NotFound`` for an unknown experiment, ``InvalidArgument`` for a
        deleted one.
        """
        return self._backend.tracking.create_run(
            None if experiment_id is None else str(experiment_id), start_time, tags, run_name
        )

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metric values and tags; raises ``NotFound``."""
        return self._backend.tracking.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        """The run ``run_id`` is nested in (``start_run(nested=True)``), or ``None`` for a
        top-level run; raises ``NotFound`` for an unknown run."""
        parent = self.get_run(run_id).data.tags.get(PARENT_RUN_TAG)
        return None if parent is None else self.get_run(parent)

    def resolve_run_id(self, run_id: str) -> str:
        """The full id of the run whose id is ``run_id`` or starts with it.

        A prefix needs at least 6 characters, as the 8-character ids people
        copy from logs have. A full-length id is returned as it is. Raises
        ``NotFound`` when no run's id starts with it, and ``InvalidArgument``
        for a shorter prefix, one that is not letters and digits, or one
        that several runs share (naming them).
        """
        shown = repr(run_id)[:50]
        if not (isinstance(run_id, str) and run_id.isascii() and run_id.isalnum()):
            raise InvalidArgument(f"run id {shown} must be letters and digits")
        if len(run_id) >= RUN_ID_LENGTH:
            return run_id
        if len(run_id) < MIN_RUN_ID_PREFIX:
            raise InvalidArgument(
                f"run id {shown} is too short: give the full id or at least "
                f"{MIN_RUN_ID_PREFIX} characters of it"
            )
        experiment_ids: list[str] = []
        token = None
        while True:
            page = self.search_experiments(view_type="ALL", page_token=token)
            experiment_ids += [e.experiment_id for e in page]
            if not (token := page.token):
                break
        found = self.search_runs(
            experiment_ids,
            f"attributes.run_id LIKE '{run_id}%'",
            run_view_type="ALL",
            max_results=_SHOWN_CANDIDATES + 1,
        )
        if not found:
            raise NotFound(f"no run's id starts with '{run_id}'")
        if len(found) > 1 and run_id not in {r.info.run_id for r in found}:
            candidates = sorted(found[:_SHOWN_CANDIDATES], key=lambda r: r.info.run_id)
            shown_runs = [f"{r.info.run_id} ({r.info.run_name})" for r in candidates]
            more = ", …" if len(found) > _SHOWN_CANDIDATES else ""
            raise InvalidArgument(
                f"run id '{run_id}' is ambiguous: the ids of {', '.join(shown_runs)}{more} "
                "all start with it; give more characters"
            )
        if len(found) > 1:
            return run_id
        return found[0].info.run_id

    def update_run(
        self, run_id: str, status: str | None = None, name: str | None = None
    ) -> RunInfo:
        """Changes a run's status and/or name and returns its updated info."""
        return self._backend.tracking.update_run(run_id, status=status, run_name=name)

    def set_terminated(
        self, run_id: str, status: str = "FINISHED", end_time: int | None = None
    ) -> None:
        """Ends a run as ``FINISHED``, ``FAILED`` or ``KILLED``, once the values queued
        for it by asynchronous logging calls are written.

        Raises (after the run has ended) the first failure of those writes that
        no ``wait()`` saw.
        """
        failure = async_logging.finish(run_id)
        self._backend.tracking.set_terminated(run_id, status, end_time)
        if failure is not None:
            raise failure

    def delete_run(self, run_id: str) -> None:
        """Marks a run deleted (restorable). Registered versions keep their files."""
        self._backend.tracking.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Undoes ``delete_run``."""
        self._backend.tracking.restore_run(run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: str = "ACTIVE_ONLY",
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Runs of the experiments that match ``filter_string``.

        The filter language compares ``metrics.``, ``params.``, ``tags.`` and
        ``attributes.`` fields, joined with ``and``/``or`` and parentheses;
        ``datasets.name``, ``datasets.digest`` and ``datasets.context`` match
        runs that used any dataset passing the term::

            client.search_runs(["1"], "metrics.accuracy > 0.9 and params.lr = '0.001'",
                               order_by=["metrics.accuracy DESC"], max_results=10)

        Raises ``InvalidArgument`` (saying where) for a malformed filter, or
        for an experiment name given where an id belongs.
        """
        for value in [experiment_ids] if isinstance(experiment_ids, str) else experiment_ids:
            text = str(value)
            if not (text.isascii() and text.isdigit()):
                raise InvalidArgument(
                    f"search_runs takes experiment ids, and {text!r:.80} is not one; "
                    "for a name pass get_experiment_by_name(name).experiment_id, or use "
                    "modelreg.search_runs(experiment_names=[...])"
                )
        return self._backend.tracking.search_runs(
            experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )

    # -- params, metrics, tags ---------------------------------------------

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Logs a param (stored as a string). Re-logging a different value raises
        ``InvalidArgument``: params are immutable.

        With ``synchronous=False`` (or ``MODELREG_ASYNC_LOGGING=1``) this and the
        other logging calls queue their values and return a ``RunOperations`` at
        once; see :mod:`modelreg.async_logging`.
        """
        if async_logging.queued(synchronous):
            return async_logging.submit(self, run_id, params=[Param(key, value)])
        self._backend.tracking.log_batch(run_id, params=[Param(key, value)])
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> RunOperations | None:
        """Logs one metric value at a step (default 0); NaN and ±inf are kept as such.

        With ``model_id`` (MLflow 3's arguments) the value measures that logged model
        too, on the dataset named by ``dataset_name`` and ``dataset_digest`` if given:
        it is the model's metric (``search_logged_models`` compares it) as well as the
        run's. The model's is written first, so a refused one leaves the run as it was.
        Raises ``NotFound`` for an unknown run or model, ``InvalidArgument`` for a bad
        value or dataset, or a dataset without a model (a run's metrics keep none;
        ``log_input`` records a dataset the run used).

        >>> client.log_metric(run_id, "accuracy", 0.93, model_id=logged.model_id,
        ...                   dataset_name="holdout", dataset_digest=holdout.digest)
        """
        metric = Metric(key, value, now_ms() if timestamp is None else timestamp, step or 0)
        if model_id is not None:
            measured = LoggedModelMetric(metric, run_id, dataset_name, dataset_digest)
            self._backend.logged_models.log_logged_model_metrics(model_id, [measured])
        elif dataset_name is not None or dataset_digest is not None:
            raise InvalidArgument(
                "dataset_name and dataset_digest say what a logged model was measured on: "
                "give its model_id too (a run's metrics keep no dataset; log_input records "
                "one the run used)"
            )
        return self.log_batch(run_id, metrics=[metric], synchronous=synchronous)

    def set_tag(
        self, run_id: str, key: str, value: Any, synchronous: bool | None = None
    ) -> RunOperations | None:
        """Sets (or overwrites) a tag on a run."""
        return self.log_batch(run_id, tags=[RunTag(key, value)], synchronous=synchronous)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Removes a tag from a run; raises ``NotFound`` if it has none by that key."""
        self._backend.tracking.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> RunOperations | None:
        """Logs metrics, params and tags in one transaction: all of them or none."""
        if async_logging.queued(synchronous):
            return async_logging.submit(self, run_id, metrics, params, tags)
        self._backend.tracking.log_batch(run_id, list(metrics), list(params), list(tags))
        return None

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """The logged values of one metric, ordered by step, then time, then value.

        Without ``max_results`` and ``page_token``: every value, fetched in
        pages of 25,000 (so neither side holds more than a page of rows at
        once while reading). With them: one page of ``max_results`` values;
        pass the page's ``token`` as ``page_token`` for the next (``None`` on
        the last). Raises ``NotFound`` for an unknown run, ``InvalidArgument``
        for a bad key, page size or token.

        Example::

            page = client.get_metric_history(run_id, "loss", max_results=1000)
            while page.token:
                page = client.get_metric_history(run_id, "loss", 1000, page.token)
        """
        tracking = self._backend.tracking
        if max_results is not None or page_token is not None:
            return tracking.get_metric_history(run_id, key, max_results, page_token)
        every = tracking.get_metric_history(run_id, key)
        while every.token:
            more = tracking.get_metric_history(run_id, key, None, every.token)
            every.extend(more)
            every.token = more.token
        return every
