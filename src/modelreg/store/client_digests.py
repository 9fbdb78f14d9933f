"""``mlflow_digest``: the digest an MLflow client gave a dataset input, read in SQL.

An input logged through MLflow's API keeps MLflow's own (short) digest in
its source text, ``{"mlflow_dataset": {"digest": "…", …}, "tags": …}``
(``server.mlflow_datasets`` writes it with sorted keys), while its row's
digest is modelreg's SHA-256. Searches by ``datasets.digest`` match either,
so a run is found by the digest its client shows. Other sources give NULL,
and a source that merely looks like one never makes a query fail: SQLite
reads only valid JSON, while PostgreSQL, which cannot test text for JSON
before version 16, takes the digest from the text's start with an anchored,
linear-time regular expression (so there a source cut short after the
digest still counts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class mlflow_digest(FunctionElement[str]):  # noqa: N801 (a SQL function)
    """The MLflow digest in an input's source text, else NULL."""

    type = Text()
    inherit_cache = True


@compiles(mlflow_digest, "sqlite")
def _mlflow_digest_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    source = compiler.process(element.clauses, **kw)
    return (
        f"CASE WHEN json_valid({source}) THEN json_extract({source}, '$.mlflow_dataset.digest') END"
    )


@compiles(mlflow_digest, "postgresql")
def _mlflow_digest_pg(element: Any, compiler: Any, **kw: Any) -> str:
    source = compiler.process(element.clauses, **kw)
    pattern = r'^\{"mlflow_dataset": \{"digest": "([^"\\]*)"'
    return f"substring({source} from '{pattern}')"
