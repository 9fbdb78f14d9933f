"""MLflow's module-level table functions: ``log_table`` into the active run, and
``load_table``, one DataFrame of a table every run of the experiment logged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg.entities import Run
from modelreg.fluent import current_client, current_experiment_id, every_page, get_or_start_run_id

_PAGE = 1000  # runs asked for at a time
# What ``extra_columns`` may name: the run's own fields.
_RUN_FIELDS = (
    "run_id",
    "run_name",
    "experiment_id",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "artifact_uri",
    "lifecycle_stage",
)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Stores a dict of columns or a pandas DataFrame as the table ``artifact_file``
    (``.json``) of the active run (or ``run_id``); see ``Client.log_table``."""
    current_client().log_table(run_id or get_or_start_run_id(), data, artifact_file)


def load_table(
    artifact_file: str,
    run_ids: Sequence[str] | None = None,
    extra_columns: Sequence[str] | None = None,
) -> Any:
    """One pandas DataFrame of the table ``artifact_file`` of each run that logged it:
    the given runs, or every run of the current experiment (newest first).

    ``extra_columns`` names fields of the run (``run_id``, ``run_name``,
    ``status``, ``start_time`` …) added to each row, to tell the runs apart.
    Raises ``NotFound`` when no run logged the table, ``InvalidArgument`` for
    an unknown extra column, ``MissingDependency`` without pandas.

    >>> modelreg.load_table("eval.json", extra_columns=["run_id"])
    """
    from modelreg import tables
    from modelreg.errors import InvalidArgument, NotFound
    from modelreg.extras import needs_extras

    with needs_extras():
        import pandas
    extra = list(extra_columns or [])
    unknown = [name for name in extra if name not in _RUN_FIELDS]
    if unknown:
        raise InvalidArgument(f"extra_columns {unknown} are not run fields: {list(_RUN_FIELDS)}")
    path = tables.check_table_path(artifact_file)
    client = current_client()
    columns: list[str] = []
    rows: list[dict[str, Any]] = []
    for run in _runs(client, run_ids):
        if not tables.lists_table(run.data.tags.get(tables.LOGGED_ARTIFACTS_TAG), path):
            continue
        try:
            frame = client.load_table(run.info.run_id, path)
        except NotFound:  # listed by the tag, but the file is gone
            continue
        own = {name: getattr(run.info, name) for name in extra}
        columns += [c for c in [*frame.columns, *own] if c not in columns]
        rows += [{**row, **own} for row in frame.to_dict(orient="records")]
    if not columns:
        raise NotFound(f"no run logged the table '{path}'")
    return pandas.DataFrame(rows, columns=columns)


def _runs(client: Any, run_ids: Sequence[str] | None) -> list[Run]:
    if run_ids is not None:
        return [client.get_run(run_id) for run_id in run_ids]
    experiment = current_experiment_id()
    return every_page(
        lambda wanted, token: client.search_runs(
            [experiment], max_results=wanted, page_token=token
        ),
        None,
        _PAGE,
    )
