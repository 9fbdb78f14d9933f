"""Which logged models a fluent metric measures, as MLflow 3 decides: the model named,
else the active model (``set_active_model``), else the models the metric's run logged
at its step (by ``log_model`` here, or before ``start_run`` resumed it). The fluent
calls keep what decides it here, per process, so logging a metric asks the server
nothing more."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from modelreg.datasets import Dataset
from modelreg.entities import Metric
from modelreg.errors import InvalidArgument

# Per thread and task, as the active run is.
_active_model_id: ContextVar[str | None] = ContextVar("modelreg_active_model", default=None)
# The models each run still going here logged, as (step, model id): those log_model made
# here, and those the run had when resumed.
_outputs: dict[str, list[tuple[int, str]]] = {}
_outputs_lock = threading.Lock()


def set_active_model_id(model_id: str | None) -> None:
    _active_model_id.set(model_id)


def active_model_id() -> str | None:
    return _active_model_id.get()


def note_run_output(run_id: str, model_id: str, step: int = 0) -> None:
    """Records that run ``run_id`` logged ``model_id`` at ``step`` (``log_model``: 0)."""
    with _outputs_lock:
        _outputs.setdefault(run_id, []).append((step, model_id))


def forget_run(run_id: str) -> None:
    """Drops what was noted of a run that has ended."""
    with _outputs_lock:
        _outputs.pop(run_id, None)


def models_measured(run_id: str, step: int, model_id: str | None = None) -> list[str]:
    """The ids of the logged models a metric of ``run_id`` at ``step`` measures."""
    if model_id is not None:
        return [model_id]
    active = _active_model_id.get()
    if active is not None:
        return [active]
    with _outputs_lock:
        return [model for at, model in _outputs.get(run_id, ()) if at == step]


def measure_models(
    client: Any,
    run_id: str,
    metrics: Sequence[Metric],
    step: int,
    model_id: str | None = None,
    dataset: Dataset | None = None,
) -> None:
    """Records ``metrics`` of the run as the measured models' (see the module), on
    ``dataset`` if given, which also becomes an input of the run unless it is one.
    Raises InvalidArgument for a dataset that is not a :class:`Dataset`."""
    name = digest = None
    if dataset is not None:
        if not isinstance(dataset, Dataset):
            raise InvalidArgument(
                f"dataset must be a modelreg Dataset (modelreg.datasets.dataset(data) "
                f"describes one), got {type(dataset).__name__}"
            )
        name, digest = dataset.name, dataset.digest
        used = {(i.dataset.name, i.dataset.digest) for i in client.get_run_inputs(run_id)}
        if (name, digest) not in used:
            client.log_inputs(run_id, [dataset], "evaluation")
    for measured in models_measured(run_id, step, model_id):
        client.log_logged_model_metrics(measured, metrics, run_id, name, digest)
