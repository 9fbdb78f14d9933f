"""Scoring requests in MLflow's format: a request body in, model input out; predictions to JSON.

Accepted bodies (the same as ``mlflow models serve``):

=====================  =================================================================
``Content-Type``       body
=====================  =================================================================
``application/json``   ``{"dataframe_split": {"columns": [...], "data": [[...], ...]}}``
                       ``{"dataframe_records": [{"col": value, ...}, ...]}``
                       ``{"instances": ...}`` or ``{"inputs": ...}``: a list of rows, a
                       list of records, or a dict of columns or named tensors
``text/csv``           a header line, then one row per line
=====================  =================================================================

A JSON body may also hold ``"params": {...}``, the model's inference parameters
(checked against its signature as ``LoadedModel.predict`` checks them).

JSON carries no dtypes, so each value is converted to the dtype the model's
signature declares (a string that spells a number, as a CSV cell does, is
read as that number), and refused (:class:`~modelreg.errors.InvalidArgument`,
HTTP 400) when it cannot be without changing it: a word in a number
column, ``1.5`` or a null for an integer, a number out of range. The
message names the column (or input) and the first offending row. What the
conversion leaves to judge (shapes, extra columns) the signature checks
when the model predicts. Without a signature the input is passed as
pandas and numpy make it.

Predictions go back as ``{"predictions": ...}``: arrays as nested lists, a
DataFrame as a list of records, a dict of arrays as a dict of lists.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Mapping
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.signature import Schema, Signature, Spec

JSON_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"
_NUMERIC = ("b", "i", "u", "f")


def parse_request(body: bytes, content_type: str | None, signature: Signature | None) -> Any:
    """The model input for a request ``body`` of ``content_type`` (JSON when not given).

    Raises InvalidArgument for another content type, malformed JSON or CSV,
    or a value the signature's dtype cannot hold.
    """
    if media_type(content_type) == CSV_TYPE:
        return conform_frame(read_csv(body, signature), signature)
    return parse_payload(read_json(body), signature)


def media_type(content_type: str | None) -> str:
    """``application/json`` or ``text/csv`` from a Content-Type header (JSON when absent)."""
    media = (content_type or JSON_TYPE).split(";", 1)[0].strip().lower()
    if media not in (JSON_TYPE, CSV_TYPE):
        raise InvalidArgument(
            f"Content-Type {media!r:.60} is not supported; send {JSON_TYPE} or {CSV_TYPE}"
        )
    return media


def read_json(body: bytes) -> Any:
    """The parsed JSON body; InvalidArgument when it is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"request body is not valid JSON: {exc}") from None


def request_input(
    body: bytes, content_type: str | None, signature: Signature | None
) -> tuple[Any, dict[str, Any] | None]:
    """The model input and the inference params (``None`` when absent) of a scoring
    request body; ``InvalidArgument`` names what is wrong with it."""
    if media_type(content_type) == JSON_TYPE:
        return json_input(read_json(body), signature)
    return conform_frame(read_csv(body, signature), signature), None


def json_input(payload: Any, signature: Signature | None) -> tuple[Any, dict[str, Any] | None]:
    """The model input and the inference params of a parsed JSON request body."""
    payload, params = request_params(payload)
    return parse_payload(payload, signature), params


def request_params(payload: Any) -> tuple[Any, dict[str, Any] | None]:
    """A parsed JSON body without its ``params``, and those (``None`` when absent)."""
    if not isinstance(payload, dict) or "params" not in payload:
        return payload, None
    params = payload["params"]
    if not isinstance(params, dict):
        raise InvalidArgument("params must be a JSON object of parameter names to values")
    return {k: v for k, v in payload.items() if k != "params"}, params


def parse_payload(payload: Any, signature: Signature | None) -> Any:
    """The model input for a parsed JSON body (see the module docs)."""
    keys = [k for k in JSON_KEYS if k in payload] if isinstance(payload, dict) else []
    if len(keys) != 1 or len(payload) != 1:
        extra = sorted(set(payload) - set(JSON_KEYS)) if isinstance(payload, dict) else []
        problem = f"; unexpected keys {extra}" if extra else ""
        raise InvalidArgument(
            f"request body must be a JSON object with exactly one of the keys "
            f"{list(JSON_KEYS)}{problem}"
        )
    key = keys[0]
    value = payload[key]
    if key == "dataframe_split":
        return conform_frame(_split_frame(value), signature)
    if key == "dataframe_records":
        return conform_frame(_records_frame(value, key), signature)
    return _tensor_input(value, key, signature)


# ---------------------------------------------------------------- building frames


def _pandas() -> Any:
    import pandas

    return pandas


def _split_frame(value: Any) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        raise InvalidArgument(
            "dataframe_split must be an object with 'data' (a list of rows) and 'columns'"
        )
    columns, data = value.get("columns"), value["data"]
    if columns is not None and not (
        isinstance(columns, list) and all(isinstance(c, str) for c in columns)
    ):
        raise InvalidArgument("dataframe_split.columns must be a list of column names")
    width = len(columns) if columns is not None else None
    for i, row in enumerate(data):
        if not isinstance(row, list) or (width is not None and len(row) != width):
            raise InvalidArgument(
                f"dataframe_split.data row {i} must be a list of {width} values, one per column"
            )
    return _pandas().DataFrame(data, columns=columns)


def _records_frame(value: Any, key: str) -> Any:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise InvalidArgument(f"{key} must be a list of records (objects of column: value)")
    return _pandas().DataFrame.from_records(value)


def _columns_frame(value: Any, key: str) -> Any:
    """A frame from records (a list of objects) or columns (an object of lists)."""
    if isinstance(value, dict):
        lengths = {len(v) if isinstance(v, list) else 1 for v in value.values()}
        if len(lengths) > 1:
            raise InvalidArgument(f"{key}: every column must have the same number of values")
        return _pandas().DataFrame({k: v if isinstance(v, list) else [v] for k, v in value.items()})
    return _records_frame(value, key)


def read_csv(body: bytes | Any, signature: Signature | None, **options: Any) -> Any:
    """A DataFrame from CSV bytes or a file; string columns of the signature stay strings.

    ``options`` go to ``pandas.read_csv`` (``chunksize`` makes it an iterator).
    """
    pd = _pandas()
    dtypes = {}
    if signature is not None and signature.inputs.kind == "columns":
        dtypes = {s.name: str for s in signature.inputs.specs if s.dtype == "string"}
    source = io.BytesIO(body) if isinstance(body, bytes) else body
    try:
        return pd.read_csv(source, dtype=dtypes or None, **options)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"the CSV input cannot be read: {exc}") from None


# ---------------------------------------------------------------- conforming to a signature


def conform_frame(frame: Any, signature: Signature | None) -> Any:
    """``frame`` as the model's signature wants it: its columns converted, or its array."""
    if signature is None:
        return frame
    schema = signature.inputs
    if schema.kind == "columns":
        return _conform_columns(frame, schema)
    if schema.kind == "tensors":
        missing = [s.name for s in schema.specs if s.name not in frame.columns]
        if missing:
            raise InvalidArgument(
                f"input {missing[0]!r} missing; the model expects inputs {schema.names}"
            )
        return {s.name: convert_array(frame[s.name].to_numpy(), s) for s in schema.specs}
    spec = schema.specs[0]
    if spec.shape is not None and len(spec.shape) == 1 and len(frame.columns) == 1:
        return convert_array(frame.iloc[:, 0].to_numpy(), spec)
    return convert_array(frame.to_numpy(), spec)


def _conform_columns(frame: Any, schema: Schema) -> Any:
    pd = _pandas()
    present = {str(c): c for c in frame.columns}
    missing = [s.name for s in schema.specs if s.name not in present]
    if missing:
        which = "column" if len(missing) == 1 else "columns"
        raise InvalidArgument(
            f"input {which} {', '.join(repr(m) for m in missing)} missing; "
            f"the model expects columns {schema.names}"
        )
    columns = {
        name: _convert_column(frame[present[name]], s, f"input column '{name}'")
        for s in schema.specs
        if (name := str(s.name))
    }
    return pd.DataFrame(columns, index=frame.index)


def _convert_column(column: Any, spec: Spec, label: str) -> Any:
    dtype = spec.dtype
    if dtype == "datetime64":
        try:
            return _pandas().to_datetime(column)
        except (ValueError, TypeError) as exc:
            raise InvalidArgument(f"{label}: expected dates, {exc}") from None
    if dtype == "string":
        values = column.tolist()
        bad = next((i for i, v in enumerate(values) if not isinstance(v, str)), None)
        if bad is not None:
            value = values[bad]
            raise InvalidArgument(f"{label}: expected strings, got {value!r:.40} in row {bad}")
        return column
    if _numeric_kind(dtype) is None:
        return column  # object, category, binary …: the signature's own check decides
    return _convert_numeric(column.to_numpy(), dtype, label)


def convert_array(values: Any, spec: Spec) -> Any:
    """``values`` (a list or array) as an array of the spec's dtype; InvalidArgument if lossy."""
    import numpy as np

    label = f"input '{spec.name}'" if spec.name is not None else "input"
    try:
        array = np.asarray(values)
    except ValueError as exc:  # ragged nested lists
        raise InvalidArgument(f"{label}: the rows do not form an array ({exc})") from None
    if spec.dtype == "string":
        strings = array.dtype.kind == "U" or (
            array.dtype.kind == "O" and all(isinstance(v, str) for v in array.ravel())
        )
        if not strings:
            raise InvalidArgument(f"{label}: expected strings, got {_kind_name(array)}")
        return array.astype(str) if array.dtype.kind == "O" else array
    if _numeric_kind(spec.dtype) is None:
        return array
    return _convert_numeric(array, spec.dtype, label)


def _numeric_kind(dtype: str) -> str | None:
    for prefix, kind in (("bool", "b"), ("uint", "u"), ("int", "i"), ("float", "f")):
        if dtype.startswith(prefix):
            return kind
    return None


def _convert_numeric(array: Any, dtype: str, label: str) -> Any:
    import numpy as np

    target = np.dtype(dtype)
    if array.dtype == target:
        return array
    if array.dtype.kind == "O":
        array = _from_objects(array, target, label)
    if array.dtype.kind not in _NUMERIC:
        raise InvalidArgument(f"{label}: expected {dtype}, got {_kind_name(array)}")
    if target.kind == "b":
        if array.dtype.kind != "b":
            raise InvalidArgument(f"{label}: expected bool (true/false), got numbers")
        return array
    if target.kind in "iu":
        if array.dtype.kind == "f":
            bad = ~np.isfinite(array) | (array != np.round(array))
            if bad.any():
                row = _first(bad)
                value = array.flat[row].item()
                what = "a missing value" if np.isnan(value) else repr(value)
                raise InvalidArgument(f"{label}: expected {dtype}, got {what} in row {row}")
        if array.dtype.kind != "b":
            info = np.iinfo(target)
            out_of_range = (array < info.min) | (array > info.max)
            if out_of_range.any():
                row = _first(out_of_range)
                raise InvalidArgument(
                    f"{label}: {array.flat[row].item()!r} in row {row} does not fit in {dtype}"
                )
    return array.astype(target)


def _from_objects(array: Any, target: Any, label: str) -> Any:
    """An object array (JSON with nulls or mixed types, CSV text) as numbers.

    Nulls become NaN (refused for integers); strings that spell a number
    (as CSV cells do) are read as that number.
    """
    import numpy as np

    values = []
    for row, value in enumerate(array.ravel()):
        if value is None:
            if target.kind != "f":
                raise InvalidArgument(f"{label}: expected {target.name}, got null in row {row}")
            value = np.nan
        elif isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise InvalidArgument(
                    f"{label}: expected {target.name}, got {value!r:.40} in row {row}"
                ) from None
        elif not isinstance(value, int | float | np.number):
            raise InvalidArgument(
                f"{label}: expected {target.name}, got {value!r:.40} in row {row}"
            )
        values.append(value)
    return np.asarray(values, dtype="float64").reshape(array.shape)


def _first(mask: Any) -> int:
    import numpy as np

    return int(np.flatnonzero(mask.ravel())[0])


def _kind_name(array: Any) -> str:
    return {"U": "strings", "O": "mixed values", "M": "dates", "b": "booleans"}.get(
        array.dtype.kind, str(array.dtype)
    )


def _tensor_input(value: Any, key: str, signature: Signature | None) -> Any:
    schema = signature.inputs if signature is not None else None
    if schema is None:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return _records_frame(value, key)
        if isinstance(value, dict):
            import numpy as np

            return {k: np.asarray(v) for k, v in value.items()}
        return _plain_array(value, key)
    if schema.kind == "columns":
        return _conform_columns(_columns_frame(value, key), schema)
    if schema.kind == "tensor":
        return convert_array(value, schema.specs[0])
    if isinstance(value, list):  # instances: one object per row
        if not all(isinstance(v, dict) for v in value):
            raise InvalidArgument(f"{key}: the model takes named inputs {schema.names}")
        value = {s.name: [row.get(s.name) for row in value] for s in schema.specs}
    if not isinstance(value, dict):
        raise InvalidArgument(f"{key}: the model takes named inputs {schema.names}")
    missing = [s.name for s in schema.specs if s.name not in value]
    if missing:
        raise InvalidArgument(f"input {missing[0]!r} missing; the model expects {schema.names}")
    return {s.name: convert_array(value[s.name], s) for s in schema.specs}


def _plain_array(value: Any, key: str) -> Any:
    import numpy as np

    try:
        return np.asarray(value)
    except ValueError as exc:
        raise InvalidArgument(f"{key}: the rows do not form an array ({exc})") from None


# ---------------------------------------------------------------- predictions out


def to_jsonable(result: Any) -> Any:
    """Predictions as JSON values: arrays as lists, a DataFrame as records, dicts recursively."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(result, pd.DataFrame):
        return json.loads(result.to_json(orient="records", date_format="iso"))
    tolist = getattr(result, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars, pandas Series, torch tensors
        return tolist()
    if isinstance(result, Mapping):
        return {str(k): to_jsonable(v) for k, v in result.items()}
    if isinstance(result, list | tuple):
        return [to_jsonable(v) for v in result]
    return result


def predictions_json(result: Any) -> bytes:
    """The response body for a prediction: ``{"predictions": ...}``."""
    return json.dumps({"predictions": to_jsonable(result)}, separators=(",", ":")).encode()
