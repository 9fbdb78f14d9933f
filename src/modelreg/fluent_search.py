"""``search_runs`` of the fluent API: runs as MLflow's does, a pandas DataFrame by default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg.entities import Run
from modelreg.fluent import current_client, current_experiment_id
from modelreg.fluent_experiments import search_experiments


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    *,
    experiment_names: Sequence[str] | None = None,
    run_view_type: str = "ACTIVE_ONLY",
    output_format: str = "pandas",
    search_all_experiments: bool = False,
) -> Any:
    """Runs of the given experiments (default: the active one) matching the filter.

    Experiments are named by id or by name (``experiment_names``); with
    neither, ``search_all_experiments=True`` searches every active one. As
    MLflow's, the result is a pandas DataFrame when pandas is installed: one
    row per run, with ``run_id``, ``experiment_id``, ``run_name``,
    ``status``, ``start_time``, ``end_time``, ``artifact_uri`` and a
    ``metrics.<key>``, ``params.<key>`` and ``tags.<key>`` column for each
    key. ``output_format="list"`` (or no pandas) gives a list of ``Run``.
    Raises ``NotFound`` for an unknown experiment name and
    ``InvalidArgument`` for a malformed filter or an unknown output format.

    >>> modelreg.search_runs(experiment_names=["fraud"], filter_string="metrics.auc > 0.9")
    """
    from modelreg.errors import InvalidArgument, NotFound

    if output_format not in ("pandas", "list"):
        raise InvalidArgument(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    client = current_client()
    ids = list(experiment_ids or [])
    for name in experiment_names or []:
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise NotFound(f"experiment '{name}' does not exist")
        ids.append(experiment.experiment_id)
    if not ids and search_all_experiments:
        ids = [e.experiment_id for e in search_experiments()]
    elif not ids:
        ids = [current_experiment_id()]
    runs = list(
        client.search_runs(
            ids, filter_string, run_view_type, max_results=max_results, order_by=order_by
        )
    )
    if output_format == "list":
        return runs
    try:
        import pandas
    except ImportError:
        return runs
    rows = [_flat(run) for run in runs]
    return pandas.DataFrame(rows) if rows else pandas.DataFrame(columns=_INFO_COLUMNS)


_INFO_COLUMNS = [
    "run_id",
    "experiment_id",
    "run_name",
    "status",
    "start_time",
    "end_time",
    "artifact_uri",
]


def _flat(run: Run) -> dict[str, Any]:
    """One DataFrame row: the run's info, then its metrics, params and tags by prefixed key."""
    import pandas

    info = run.info
    row: dict[str, Any] = {
        "run_id": info.run_id,
        "experiment_id": info.experiment_id,
        "run_name": info.run_name,
        "status": info.status,
        "start_time": pandas.to_datetime(info.start_time, unit="ms", utc=True),
        "end_time": None
        if info.end_time is None
        else pandas.to_datetime(info.end_time, unit="ms", utc=True),
        "artifact_uri": info.artifact_uri,
    }
    for prefix, values in (
        ("metrics", run.data.metrics),
        ("params", run.data.params),
        ("tags", run.data.tags),
    ):
        row.update({f"{prefix}.{key}": value for key, value in values.items()})
    return row
