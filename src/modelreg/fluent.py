"""The fluent tracking API: module-level functions acting on the active run.

>>> import modelreg
>>> modelreg.set_experiment("my_experiment")
>>> with modelreg.start_run() as run:
...     modelreg.log_param("learning_rate", 1e-4)
...     modelreg.log_metric("accuracy", 0.93)

The active-run stack is per thread, as in MLflow; the tracking URI and the
active experiment are per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from modelreg import async_logging, settings, system_metrics
from modelreg.async_logging import RunOperations
from modelreg.datasets import Dataset
from modelreg.entities import (
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from modelreg.errors import Conflict, InvalidArgument
from modelreg.fluent_measured import forget_run, measure_models, note_run_output
from modelreg.heartbeat import Heartbeat, lease_seconds
from modelreg.run_tags import DESCRIPTION_TAG, PARENT_RUN_TAG
from modelreg.timeutil import now_ms

T = TypeVar("T")

_ENV_VAR = settings.TRACKING_URI.env_var

_tracking_uri: str | None = None
# MODELREG_TRACKING_URI as it was before set_tracking_uri changed it (_KEPT: unchanged).
_KEPT = object()
_environment_uri: Any = _KEPT
_experiment_id: str | None = None
_clients: dict[str | None, Any] = {}
_local = threading.local()
_lock = threading.Lock()
# Lease renewers of the active runs of every thread, by run id (see modelreg.heartbeat).
_heartbeats: dict[str, Heartbeat] = {}
# System metrics monitors of the runs that log them, by run id.
_monitors: dict[str, system_metrics.SystemMetricsMonitor] = {}


def _reset_state() -> None:
    """Forgets the tracking URI, experiment, clients and active runs (for tests)."""
    global _tracking_uri, _experiment_id, _environment_uri
    _tracking_uri = None
    _experiment_id = None
    _environment_uri = _KEPT
    _clients.clear()
    _local.__dict__.clear()
    for heartbeat in _heartbeats.values():
        heartbeat.stop()
    _heartbeats.clear()
    for monitor in _monitors.values():
        monitor.stop()
    _monitors.clear()
    _last_run.clear()


def _stack() -> list[ActiveRun]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current_client() -> Any:
    """The ``Client`` on the tracking URI set now, one per URI and process."""
    from modelreg.client import Client

    uri = _tracking_uri
    client = _clients.get(uri)
    if client is None:
        with _lock:
            client = _clients.get(uri)
            if client is None:
                client = _clients[uri] = Client(uri)
    return client


def every_page(
    search: Callable[[int, str | None], PagedList[T]], max_results: int | None, page: int
) -> list[T]:
    """What ``search(wanted, token)`` finds over every page, or its first ``max_results``.

    The module-level searches return lists, as MLflow's do: all matches unless
    the caller asks for fewer, read ``page`` at a time.
    """
    found: list[T] = []
    token = None
    while max_results is None or len(found) < max_results:
        wanted = page if max_results is None else min(page, max_results - len(found))
        batch = search(wanted, token)
        found += batch
        if not (token := batch.token):
            break
    return found


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Sets where runs and models live for the fluent API and new ``Client()`` calls.

    Accepts a folder, ``file:``, ``sqlite:///``, ``postgresql://`` or
    ``http(s)://`` URI. It is also put in ``MODELREG_TRACKING_URI`` for child
    processes; ``None`` puts back the ``MODELREG_TRACKING_URI`` there was
    before (or the default ``./.modelreg/`` if there was none).
    """
    global _tracking_uri, _experiment_id, _environment_uri
    from modelreg.uris import resolve_tracking_uri

    if uri is not None:
        uri = os.fspath(uri)
        resolve_tracking_uri(uri)
    if _environment_uri is _KEPT:
        _environment_uri = os.environ.get(_ENV_VAR)
    if uri is not None:
        os.environ[_ENV_VAR] = uri
    else:
        if _environment_uri is None:
            os.environ.pop(_ENV_VAR, None)
        else:
            os.environ[_ENV_VAR] = _environment_uri
        _environment_uri = _KEPT
    _tracking_uri = uri
    _experiment_id = None


def get_tracking_uri() -> str:
    """The tracking URI in effect, resolved (the default is an absolute folder path)."""
    from modelreg.uris import resolve_tracking_uri

    return resolve_tracking_uri(_tracking_uri).uri


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    """Taken for MLflow code that calls it: modelreg keeps registered models in the store
    that holds their runs, so the registry URI is the tracking URI. ``None`` and the
    tracking URI itself are accepted; another raises ``InvalidArgument``, which says to
    set the tracking URI to that store instead."""
    check_registry_uri(uri)


def check_registry_uri(uri: str | os.PathLike[str] | None, tracking_uri: str | None = None) -> None:
    """Refuses a registry URI other than the tracking URI (``tracking_uri``, else the
    current one) with ``InvalidArgument``: modelreg keeps the registry with the runs."""
    from modelreg.errors import InvalidArgument
    from modelreg.uris import resolve_tracking_uri

    if uri is None:
        return
    tracking = (
        get_tracking_uri() if tracking_uri is None else resolve_tracking_uri(tracking_uri).uri
    )
    if resolve_tracking_uri(os.fspath(uri)).uri != tracking:
        raise InvalidArgument(
            f"registry URI '{os.fspath(uri):.200}' is not the tracking URI '{tracking}': "
            "modelreg keeps registered models in the store of the runs they come from; "
            "set_tracking_uri(...) to use that store for both"
        )


def get_registry_uri() -> str:
    """The tracking URI: modelreg keeps the registry in the same store."""
    return get_tracking_uri()


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Makes an experiment active, creating it by name if needed, and returns it.

    Raises ``NotFound`` for an unknown ``experiment_id`` and ``InvalidArgument``
    when the experiment is deleted.
    """
    from modelreg.errors import AlreadyExists, InvalidArgument

    global _experiment_id
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgument("pass exactly one of experiment_name and experiment_id")
    client = current_client()
    if experiment_id is not None:
        experiment = client.get_experiment(experiment_id)
    else:
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is None:
            try:
                client.create_experiment(experiment_name)
            except AlreadyExists:
                pass  # another process created it between our look-up and create
            experiment = client.get_experiment_by_name(experiment_name)
    if experiment.lifecycle_stage != "active":
        raise InvalidArgument(
            f"experiment '{experiment.name}' is deleted; restore it with restore_experiment"
        )
    _experiment_id = experiment.experiment_id
    return experiment


class ActiveRun:
    """The run ``start_run`` returns; as a context manager it ends the run on exit.

    The run ends ``FINISHED``, ``FAILED`` when the block raises, ``KILLED``
    on ``KeyboardInterrupt``. ``info`` and ``data`` are the run as it
    started; once it has ended they are read again, so they show its final
    status, end time, params, metrics and tags.
    """

    __slots__ = ("data", "info", "inputs", "outputs")

    def __init__(self, run: Run) -> None:
        self.info: RunInfo = run.info
        self.data: RunData = run.data
        self.inputs: RunInputs = run.inputs
        self.outputs: RunOutputs = run.outputs

    def __repr__(self) -> str:
        return f"ActiveRun(info={self.info!r}, data={self.data!r})"

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON-ready data, as ``Run.to_dict``."""
        return Run(self.info, self.data, self.inputs, self.outputs).to_dict()

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        end_run(status)
        return False


_last_run: list[str] = []


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, str] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Starts a new run (or resumes ``run_id``) and makes it the active run.

    A new run records the code version and environment as tags: the git
    commit, branch, remote and dirty flag of the repository holding the
    working directory (``modelreg.source.git.*``)
    and the Python and package versions (``modelreg.environment``); ``tags``
    given here win. Raises ``Conflict`` when a run is already active and
    ``nested`` is false; a nested run records its parent in the
    ``modelreg.parentRunId`` tag. ``parent_run_id`` makes a new run the child of
    that run (as MLflow's: for a worker that has no active run; with an active run
    it must be that one): ``NotFound`` for an unknown run, ``InvalidArgument`` for a
    deleted one or another than the active run. While the run is active a daemon thread
    renews its lease, so if this process dies the run is marked ``KILLED``
    once ``MODELREG_RUN_LEASE_SECONDS`` pass, instead of staying RUNNING.
    ``log_system_metrics`` logs CPU, memory, disk and network use while the run is
    active (default: :mod:`modelreg.system_metrics`' setting).
    """
    stack = _stack()
    if stack and not nested:
        raise Conflict(
            f"run '{stack[-1].info.run_id}' is already active; end it with end_run() "
            "or start a nested run with start_run(nested=True)"
        )
    lease = lease_seconds()
    client = current_client()
    if run_id is not None:
        run = client.get_run(run_id)
        if run.info.status != RunStatus.RUNNING:
            client.update_run(run_id, status=RunStatus.RUNNING)
            run = client.get_run(run_id)
        # Its metrics measure the models it logged before, as the models log_model adds.
        for link in client.get_run_model_links(run_id):
            if link.direction == "output":
                note_run_output(run_id, link.model_id, link.step)
    else:
        from modelreg.code_version import capture_run_tags

        all_tags = {**capture_run_tags(), **(tags or {})}
        parent = _parent_of_new_run(client, stack, parent_run_id)
        if parent is not None:
            all_tags[PARENT_RUN_TAG] = parent
        if description is not None:
            all_tags[DESCRIPTION_TAG] = description
        exp_id = experiment_id or current_experiment_id()
        run = client.create_run(exp_id, tags=all_tags, run_name=run_name)
    active = ActiveRun(run)
    stack.append(active)
    _heartbeats[run.info.run_id] = Heartbeat(client._backend.tracking, run.info.run_id, lease)
    if system_metrics.wanted(log_system_metrics):
        monitor = system_metrics.start(client, run.info.run_id)
        if monitor is not None:
            _monitors[run.info.run_id] = monitor
    return active


def _parent_of_new_run(client: Any, stack: list[ActiveRun], parent_run_id: str | None) -> Any:
    """The run a new run is the child of: ``parent_run_id``, checked, or the active run."""
    active = stack[-1].info.run_id if stack else None
    if parent_run_id is None:
        return active
    if active is not None and parent_run_id != active:
        raise InvalidArgument(
            f"parent_run_id '{parent_run_id:.40}' is not the active run '{active}': end that "
            "run first to start a child of another"
        )
    if client.get_run(parent_run_id).info.lifecycle_stage == "deleted":
        raise InvalidArgument(f"parent_run_id '{parent_run_id}' names a deleted run")
    return parent_run_id


def _default_experiment_id() -> str:
    name = settings.EXPERIMENT_NAME.get()
    if name:
        return set_experiment(name).experiment_id
    return settings.EXPERIMENT_ID.get() or "0"


def current_experiment_id() -> str:
    """The experiment a new run goes to: the one ``set_experiment`` made active, else
    ``MODELREG_EXPERIMENT_NAME`` / ``MODELREG_EXPERIMENT_ID``, else Default ("0")."""
    return _experiment_id or _default_experiment_id()


def active_run() -> ActiveRun | None:
    """The run the fluent functions log to, or ``None``."""
    stack = _stack()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The most recently ended (or still active) run of this process, refreshed."""
    run = active_run()
    if run is not None:
        return current_client().get_run(run.info.run_id)
    return current_client().get_run(_last_run[-1]) if _last_run else None


def end_run(status: str = RunStatus.FINISHED) -> None:
    """Ends the active run (if any) with ``status``, once the values queued by
    asynchronous logging calls are written.

    Raises the first failure of those writes that no ``wait()`` saw (after the
    run has ended).
    """
    stack = _stack()
    if not stack:
        return
    run = stack.pop()
    heartbeat = _heartbeats.pop(run.info.run_id, None)
    if heartbeat is not None:
        heartbeat.stop()
    monitor = _monitors.pop(run.info.run_id, None)
    if monitor is not None:
        monitor.stop()
    forget_run(run.info.run_id)
    failure = async_logging.finish(run.info.run_id)
    client = current_client()
    client.set_terminated(run.info.run_id, status)
    ended = client.get_run(run.info.run_id)
    run.info, run.data = ended.info, ended.data
    _last_run[:] = [run.info.run_id]
    if failure is not None:
        raise failure


def get_or_start_run_id() -> str:
    """The active run's id, starting a run if none is active."""
    run = active_run()
    if run is None:
        run = start_run()
    return run.info.run_id


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Logs a param on the active run (starting one if none is active).

    With ``synchronous=False`` (or ``MODELREG_ASYNC_LOGGING=1``) this and the
    other logging calls queue the value and return a ``RunOperations`` at once;
    see :mod:`modelreg.async_logging`.
    """
    return current_client().log_param(get_or_start_run_id(), key, value, synchronous)


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> RunOperations | None:
    """Logs several params at once, on the active run (or ``run_id``)."""
    batch = [Param(k, v) for k, v in params.items()]
    return log_batch(params=batch, synchronous=synchronous, run_id=run_id)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Dataset | None = None,
) -> RunOperations | None:
    """Logs a metric value on the active run (or run ``run_id``) at ``step`` (default 0).

    As on MLflow 3, the value also measures a logged model: ``model_id``, else the
    active model (``set_active_model``), else the models the run logged at ``step``
    (``log_model`` logs at step 0). ``dataset`` (a :class:`~modelreg.datasets.Dataset`)
    says what it was measured on, and becomes an input of the run unless it is one.
    Raises what ``Client.log_metric`` raises.

    >>> modelreg.log_metric("accuracy", 0.93, dataset=modelreg.datasets.dataset(holdout))
    """
    return log_metrics({key: value}, step, timestamp, synchronous, run_id, model_id, dataset)


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Dataset | None = None,
) -> RunOperations | None:
    """Logs several metrics at one step, in one transaction, on the active run (or run
    ``run_id``); the logged models they measure as for :func:`log_metric`."""
    run_id = run_id or get_or_start_run_id()
    ts = now_ms() if timestamp is None else timestamp
    logged = [Metric(k, v, ts, step or 0) for k, v in metrics.items()]
    client = current_client()
    measure_models(client, run_id, logged, step or 0, model_id, dataset)
    return client.log_batch(run_id, metrics=logged, synchronous=synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    """Sets a tag on the active run."""
    return current_client().set_tag(get_or_start_run_id(), key, value, synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    """Sets several tags on the active run."""
    return log_batch(tags=[RunTag(k, v) for k, v in tags.items()], synchronous=synchronous)


def delete_tag(key: str) -> None:
    """Removes a tag from the active run; raises ``NotFound`` if it has none by that key."""
    current_client().delete_tag(get_or_start_run_id(), key)


def log_batch(
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> RunOperations | None:
    """Logs metrics, params and tags on the active run (or ``run_id``) in one transaction."""
    run_id = run_id or get_or_start_run_id()
    return current_client().log_batch(run_id, metrics, params, tags, synchronous)


def log_input(
    dataset: Any = None,
    context: str | None = None,
    name: str | None = None,
    source: str | None = None,
    *,
    model: Any = None,
    tags: Mapping[str, str] | None = None,
) -> Any:
    """Records a dataset as an input of the active run and returns its ``Dataset``, and
    ``model`` (a ``LoggedModelInput`` or a logged model's id) as a model the run used.

    ``dataset`` is a :class:`~modelreg.datasets.Dataset`, a pandas DataFrame,
    a numpy array, or a local file or folder path; its sha256 digest, schema
    and row count are computed here (see :mod:`modelreg.datasets`). ``context`` says
    how the run used it: ``training`` unless given or named by the tags'
    ``mlflow.data.context``; ``tags`` are the input's own
    (``run.inputs.dataset_inputs[0].tags``, after its context). Raises
    ``InvalidArgument`` for data it cannot describe or bad tags.

    >>> modelreg.log_input(train_df, "training", tags={"split": "2026-q4"})
    """
    from modelreg.datasets import dataset as described_as
    from modelreg.datasets import tagged_input

    if dataset is None and model is None:
        raise InvalidArgument("give a dataset or a model to log as an input")
    described = None if dataset is None else described_as(dataset, name, source)
    inputs = [] if described is None else [tagged_input(described, context, tags)]
    models = None if model is None else [model]
    current_client().log_inputs(get_or_start_run_id(), inputs, models=models)
    return described


def log_inputs(
    datasets: Sequence[Any] | None = None,
    contexts: Sequence[str | None] | None = None,
    tags_list: Sequence[Mapping[str, str] | None] | None = None,
    models: Sequence[Any] | None = None,
) -> None:
    """Records several datasets as inputs of the active run (MLflow 3's form): each with
    its context from ``contexts``, or from its tags' ``mlflow.data.context``
    (``training`` by default), and its other tags from ``tags_list``; and ``models``
    (``LoggedModelInput`` objects or ids) as models it used. Raises ``InvalidArgument``
    for lists of other lengths, bad tags, and data :func:`log_input` cannot describe,
    before anything is recorded."""
    from modelreg.datasets import dataset, tagged_input

    items = list(datasets or [])
    contexts = list(contexts) if contexts is not None else [None] * len(items)
    tags = list(tags_list) if tags_list is not None else [None] * len(items)
    if not len(contexts) == len(tags) == len(items):
        raise InvalidArgument("datasets, contexts and tags_list must be lists of one length")
    inputs = [
        tagged_input(dataset(item), context, tag)
        for item, context, tag in zip(items, contexts, tags, strict=True)
    ]
    current_client().log_inputs(get_or_start_run_id(), inputs, models=models)


def get_run(run_id: str) -> Run:
    """The run with that id; raises ``NotFound``."""
    return current_client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The run ``run_id`` is nested in (``start_run(nested=True)``), or ``None`` for a
    top-level run; see ``Client.get_parent_run``."""
    return current_client().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    """Deletes a run, restorably; see ``Client.delete_run``."""
    current_client().delete_run(run_id)


def restore_run(run_id: str) -> None:
    """Brings back a deleted run; see ``Client.restore_run``."""
    current_client().restore_run(run_id)


def flush_async_logging() -> None:
    """Waits until every value queued with ``synchronous=False`` is written (or failed:
    ``end_run`` or the call's ``wait()`` raises the failure)."""
    async_logging.flush()


def is_tracking_uri_set() -> bool:
    """Whether a tracking URI was chosen (``set_tracking_uri`` or
    ``MODELREG_TRACKING_URI``) rather than the default ``./.modelreg/``."""
    return _tracking_uri is not None or bool(os.environ.get(_ENV_VAR))


__all__ = [
    "ActiveRun",
    "RunOperations",
    "active_run",
    "delete_tag",
    "end_run",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_batch",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
