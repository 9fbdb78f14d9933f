"""``json_object_agg``: a group of rows as one JSON object, on SQLite and PostgreSQL.

Text-valued children (a model's or version's tags and aliases, a run's
params and tags) ride along with their parent row as JSON built by a
correlated subquery, so one row or a page of thousands is one query, each
child group costing one index lookup. Not for floats: SQLite's JSON prints
them with 15 significant digits. Empty groups give '{}' on SQLite and NULL
on PostgreSQL (see :func:`json_dict`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_object_agg(FunctionElement[str]):  # noqa: N801 (a SQL function name)
    """``{key: value, …}`` as JSON text over a group of rows."""

    type = Text()
    inherit_cache = True


@compiles(json_object_agg, "sqlite")
def _json_object_agg_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"json_group_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object_agg, "postgresql")
def _json_object_agg_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(json_object_agg({compiler.process(element.clauses, **kw)}) AS TEXT)"


def json_dict(text: str | None) -> dict[str, Any]:
    """The object a ``json_object_agg`` column holds (``{}`` for an empty group)."""
    return json.loads(text) if text and text != "{}" else {}
