"""Statements that read the rows of one run or of a page of runs, each prebuilt twice:
with ``run_id = :id`` for one run (``get_run``; the driver binds it as it is, where an
expanding ``IN`` list is rendered again on every call) and ``run_id IN (:ids)`` for a
page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, bindparam


def by_run(query: Select[Any], run_id: Any) -> tuple[Select[Any], Select[Any]]:
    """``query`` for a page of runs and for one run, by its ``run_id`` column."""
    return query.where(run_id.in_(bindparam("ids", expanding=True))), query.where(
        run_id == bindparam("id")
    )


def rows_of_runs(
    conn: Connection, statements: tuple[Select[Any], Select[Any]], run_ids: Sequence[str]
) -> Any:
    """The result of ``statements`` (made by :func:`by_run`) for ``run_ids``."""
    if len(run_ids) == 1:
        return conn.execute(statements[1], {"id": run_ids[0]})
    return conn.execute(statements[0], {"ids": list(run_ids)})
