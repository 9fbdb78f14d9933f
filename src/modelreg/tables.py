"""Table artifacts, written and read as MLflow's ``log_table`` and ``load_table`` do.

A table is a JSON file ``{"columns": [...], "data": [[...], ...]}`` (pandas'
"split" layout, without the index) among a run's artifacts, and the run's
``mlflow.loggedArtifacts`` tag lists it (``{"path": ..., "type": "table"}``),
so either project's client and MLflow's UI find the other's tables. Logging
to a table file the run already has adds the rows to it; a column only one
side has is empty (``null``) in the other's rows. NaN and infinities are
stored as ``null``, as pandas writes them: JSON has no such numbers.

A ``.parquet`` path stores the same table as Parquet (pandas and pyarrow, the
``parquet`` extra), as MLflow does for that suffix.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from modelreg.artifact_files import check_artifact_path
from modelreg.errors import InvalidArgument
from modelreg.extras import needs_extras

LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"

Table = tuple[list[str], list[list[Any]]]  # (columns, rows)


def check_table_path(artifact_file: str) -> str:
    """``artifact_file`` as a checked artifact path ending in ``.json`` or ``.parquet``."""
    path = check_artifact_path(artifact_file, "artifact_file")
    if not path.lower().endswith((".json", ".parquet")):
        raise InvalidArgument(
            f"artifact_file '{path:.200}' must end in .json or .parquet: "
            "tables are stored as JSON or Parquet"
        )
    return path


def _is_parquet(path: str) -> bool:
    return path.lower().endswith(".parquet")


def table_of(data: Any) -> Table:
    """The columns and rows of ``data``: a dict of equal-length columns or a pandas
    DataFrame. Raises ``InvalidArgument`` naming the column and the problem."""
    if isinstance(data, Mapping):
        columns = list(data)
        for name in columns:
            if not isinstance(name, str) or not name:
                raise InvalidArgument(f"table column names must be non-empty strings, got {name!r}")
        values = [_column(name, data[name]) for name in columns]
        lengths = {len(v) for v in values}
        if len(lengths) > 1:
            sizes = ", ".join(f"{n!r}: {len(v)}" for n, v in zip(columns, values, strict=True))
            raise InvalidArgument(f"table columns must have the same length, got {sizes}")
        rows = [list(row) for row in zip(*values, strict=True)]
    elif type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "to_dict"):
        columns = [str(c) for c in data.columns]
        if len(set(columns)) < len(columns):
            raise InvalidArgument(f"table columns must have distinct names, got {columns}")
        rows = [list(row) for row in data.to_dict(orient="split", index=False)["data"]]
    else:
        raise InvalidArgument(
            f"a table is a dict of columns or a pandas DataFrame, got {type(data).__name__}"
        )
    if not columns:
        raise InvalidArgument("a table needs at least one column")
    return columns, [[_cell(c, v) for c, v in zip(columns, row, strict=True)] for row in rows]


def _column(name: str, values: Any) -> list[Any]:
    if hasattr(values, "tolist") and not isinstance(values, (str, bytes)):
        values = values.tolist()  # a numpy array or a pandas Series
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InvalidArgument(
            f"table column {name!r} must be a list of values, got {type(values).__name__}"
        )
    return list(values)


def _cell(column: str, value: Any) -> Any:
    if type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "tolist"):
        value = value.tolist()  # a numpy scalar or array: its Python value or list
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, dict)):
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(
                f"table column {column!r} holds a value JSON cannot store: {exc}"
            ) from exc
        return value
    raise InvalidArgument(
        f"table column {column!r} holds a {type(value).__name__}: a table stores numbers, "
        "strings, booleans, None, and lists and dicts of them"
    )


def encode(table: Table, path: str) -> bytes:
    """The file ``path`` holds for ``table``: JSON, or Parquet for a ``.parquet`` path.
    Raises ``InvalidArgument`` for columns Parquet cannot type (mixed values) and
    ``MissingDependency`` without pandas and pyarrow for Parquet."""
    columns, rows = table
    if _is_parquet(path):
        with needs_extras():
            import pandas
            import pyarrow

        out = io.BytesIO()
        try:
            pandas.DataFrame(rows, columns=columns).to_parquet(out, index=False)
        except (pyarrow.ArrowException, ValueError, TypeError) as exc:
            raise InvalidArgument(f"table cannot be stored as Parquet: {exc}") from exc
        return out.getvalue()
    return json.dumps(
        {"columns": columns, "data": rows}, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def decode(data: bytes, where: str, path: str) -> Table:
    """The table stored in ``data`` at ``path``; raises ``InvalidArgument`` naming
    ``where`` when it is not one."""
    if _is_parquet(path):
        with needs_extras():
            import pandas
            import pyarrow

        try:
            frame = pandas.read_parquet(io.BytesIO(data))
        except (pyarrow.ArrowException, ValueError, OSError) as exc:
            raise InvalidArgument(f"{where} is not a table ({exc})") from exc
        return table_of(frame)
    try:
        found = json.loads(data)
        columns, rows = found["columns"], found["data"]
        if not all(isinstance(c, str) for c in columns) or not all(
            isinstance(row, list) and len(row) == len(columns) for row in rows
        ):
            raise ValueError("its rows do not match its columns")
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidArgument(f"{where} is not a table ({exc})") from exc
    return list(columns), rows


def appended(first: Table, then: Table) -> Table:
    """The rows of ``first`` then those of ``then``, over the columns of both (in the
    order first seen); a row has ``None`` in a column its table lacks."""
    columns = list(dict.fromkeys([*first[0], *then[0]]))
    return columns, [*_widened(first, columns), *_widened(then, columns)]


def _widened(table: Table, columns: list[str]) -> list[list[Any]]:
    own, rows = table
    return [[dict(zip(own, row, strict=True)).get(c) for c in columns] for row in rows]


def with_table(tag: str | None, path: str) -> str:
    """The ``mlflow.loggedArtifacts`` tag value ``tag`` with the table ``path`` listed
    (a malformed value is replaced)."""
    entry = {"path": path, "type": "table"}
    listed = _entries(tag)
    return json.dumps(listed if entry in listed else [*listed, entry])


def lists_table(tag: str | None, path: str) -> bool:
    """Whether the ``mlflow.loggedArtifacts`` tag value ``tag`` lists the table ``path``."""
    return {"path": path, "type": "table"} in _entries(tag)


def _entries(tag: str | None) -> list[Any]:
    try:
        listed = json.loads(tag or "[]")
    except ValueError:
        return []
    return listed if isinstance(listed, list) else []
