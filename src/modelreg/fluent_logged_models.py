"""MLflow 3's module-level logged-model calls: create one beside the active run, tag it,
give it params, find it again (``modelreg.initialize_logged_model(name="ranker")``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.fluent import (
    active_run,
    current_client,
    current_experiment_id,
    every_page,
    get_or_start_run_id,
)
from modelreg.fluent_measured import active_model_id, note_run_output, set_active_model_id
from modelreg.logged_models import (
    LoggedModel,
    LoggedModelDataset,
    LoggedModelOrder,
    run_model_links,
)

EXTERNAL_TAG = "mlflow.model.isExternal"  # MLflow's mark of a model kept elsewhere
_PAGE = 1000  # models asked for at a time

# Per thread and task, as the active run is: the last model these calls created.
_last_model_id: ContextVar[str | None] = ContextVar("modelreg_last_logged_model", default=None)


def initialize_logged_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """A new ``PENDING`` logged model; :func:`finalize_logged_model` marks it ``READY``.

    ``source_run_id`` defaults to the active run, ``experiment_id`` to that run's
    experiment, else the current experiment. Raises what ``Client.create_logged_model``
    raises.

    >>> model = modelreg.initialize_logged_model(name="ranker", params={"k": 10})
    """
    run = active_run()
    if source_run_id is None and run is not None:
        source_run_id = run.info.run_id
    client = current_client()
    if experiment_id is None:
        if run is not None:
            experiment_id = run.info.experiment_id
        elif source_run_id is not None:
            experiment_id = client.get_run(source_run_id).info.experiment_id
        else:
            experiment_id = current_experiment_id()
    model = client.create_logged_model(experiment_id, name, source_run_id, tags, params, model_type)
    remember_logged_model(model.model_id)
    return model


def create_external_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """A ``READY`` logged model whose files live elsewhere (an endpoint, an agent's
    code), tagged ``mlflow.model.isExternal``, as MLflow marks one; arguments as for
    :func:`initialize_logged_model`."""
    tags = {**(tags or {}), EXTERNAL_TAG: "true"}
    model = initialize_logged_model(name, source_run_id, tags, params, model_type, experiment_id)
    return finalize_logged_model(model.model_id, "READY")


def finalize_logged_model(model_id: str, status: str) -> LoggedModel:
    """Marks the model ``READY`` or ``FAILED`` (``Client.finalize_logged_model``)."""
    return current_client().finalize_logged_model(model_id, str(status))


def get_logged_model(model_id: str) -> LoggedModel:
    """The logged model; raises ``NotFound`` for an unknown or deleted one."""
    return current_client().get_logged_model(model_id)


def remember_logged_model(model_id: str, output_of: str | None = None, step: int = 0) -> None:
    """Makes ``model_id`` what :func:`last_logged_model` gives in this thread; a model
    ``log_model`` made in the active run (``output_of``) at ``step`` is what that run's
    metrics at that step measure from then on (:mod:`modelreg.fluent_measured`)."""
    _last_model_id.set(model_id)
    run = active_run()
    if output_of is not None and run is not None and run.info.run_id == output_of:
        note_run_output(output_of, model_id, step)


def log_outputs(models: Sequence[Any] | None = None) -> None:
    """Records logged models (``LoggedModelOutput(model_id, step)`` objects, MLflow's
    too, or ids) as outputs of the active run, as MLflow's ``log_outputs``; the run's
    metrics logged at a model's step then measure it, as for a model ``log_model``
    made. Raises as ``Client.log_outputs``."""
    run_id = get_or_start_run_id()
    links = run_model_links(models or [], "output")
    current_client().log_outputs(run_id, links)
    for link in links:
        note_run_output(run_id, link.model_id, link.step)


def last_logged_model() -> LoggedModel | None:
    """The model the last ``log_model``, :func:`initialize_logged_model` or
    :func:`create_external_model` of this thread made, read anew, or ``None``."""
    model_id = _last_model_id.get()
    return None if model_id is None else current_client().get_logged_model(model_id)


def set_logged_model_tags(model_id: str, tags: dict[str, Any]) -> None:
    """Sets tags on the model; values are kept as strings."""
    current_client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Removes one tag from the model."""
    current_client().delete_logged_model_tag(model_id, key)


def log_model_params(params: dict[str, Any], model_id: str | None = None) -> None:
    """Records params of ``model_id``, by default the active model
    (:func:`set_active_model`). Raises ``InvalidArgument`` when there is neither."""
    model_id = model_id or active_model_id()
    if model_id is None:
        raise InvalidArgument("model_id: no model given and no active model (set_active_model)")
    current_client().log_model_params(model_id, params)


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> LoggedModel:
    """Makes a logged model the one :func:`log_model_params` defaults to, and the one
    metrics logged by ``log_metric`` and ``log_metrics`` measure: ``model_id``,
    or the newest model called ``name`` in the current experiment, created if there is
    none. Raises ``InvalidArgument`` without either, ``NotFound`` for an unknown id."""
    client = current_client()
    if model_id is not None:
        model = client.get_logged_model(model_id)
    elif name is not None:
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        found = client.search_logged_models(
            current_experiment_id(), f"name = '{quoted}'", max_results=1
        )
        model = found[0] if found else initialize_logged_model(name)
    else:
        raise InvalidArgument("set_active_model needs a name or a model_id")
    set_active_model_id(model.model_id)
    return model


def get_active_model_id() -> str | None:
    """The id :func:`set_active_model` chose in this thread, or ``None``."""
    return active_model_id()


def clear_active_model() -> None:
    """Forgets the active model of this thread."""
    set_active_model_id(None)


def search_logged_models(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    datasets: Sequence[Mapping[str, Any] | LoggedModelDataset] | None = None,
    max_results: int | None = None,
    order_by: Sequence[Mapping[str, Any] | LoggedModelOrder] | None = None,
    output_format: str = "pandas",
) -> Any:
    """Every logged model of the experiments (the current one by default) matching
    ``filter_string``, or the first ``max_results``: a pandas DataFrame (one row per
    model, ``LoggedModel.to_dict()``'s columns) or, with ``output_format="list"`` or no
    pandas, a list. ``datasets`` (MLflow's ``{"dataset_name", "dataset_digest"}``
    dicts) compares metrics only as measured on those datasets (see
    ``Client.search_logged_models``). ``order_by`` takes MLflow's ``{"field_name",
    "ascending", "dataset_name", "dataset_digest"}`` dicts or
    ``Client.search_logged_models``' tuples. The arguments are MLflow's, in its order.
    Raises ``InvalidArgument`` for a bad filter, dataset, order or format.

    >>> modelreg.search_logged_models(filter_string="metrics.accuracy > 0.9", output_format="list")
    """
    if output_format not in ("pandas", "list"):
        raise InvalidArgument(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    client = current_client()
    ids = list(experiment_ids) if experiment_ids else [current_experiment_id()]
    order = [_order(item) for item in order_by or ()]
    models: list[LoggedModel] = every_page(
        lambda wanted, token: client.search_logged_models(
            ids, filter_string, datasets, wanted, order, token
        ),
        max_results,
        _PAGE,
    )
    if output_format == "list":
        return models
    try:
        import pandas
    except ImportError:
        return models
    columns = [f.name for f in dataclasses.fields(LoggedModel)]
    return pandas.DataFrame([m.to_dict() for m in models], columns=columns)


def _order(item: Mapping[str, Any] | LoggedModelOrder) -> LoggedModelOrder:
    if not isinstance(item, Mapping):
        return item
    if "field_name" not in item:
        raise InvalidArgument(f"order_by: {dict(item)!r} has no 'field_name'")
    field, ascending = str(item["field_name"]), bool(item.get("ascending", True))
    if item.get("dataset_name") is None and item.get("dataset_digest") is None:
        return (field, ascending)
    return (field, ascending, item.get("dataset_name"), item.get("dataset_digest"))
