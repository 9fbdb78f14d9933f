"""Model signatures: the names, dtypes and shapes a model takes and returns.

A :class:`Signature` holds an input :class:`Schema` and, optionally, an output
one. A schema is one of three kinds, after the input example it came from:

=============  ===========================================  ========================
kind           inferred from                                predict accepts
=============  ===========================================  ========================
``columns``    a pandas DataFrame: column names and dtypes  a DataFrame or a dict
``tensor``     a numpy array, torch tensor or list          an array, tensor, list
                                                            or DataFrame
``tensors``    a dict of arrays or tensors                  a dict of them
=============  ===========================================  ========================

Shapes use ``-1`` for a dimension of any size; the first (batch) dimension of
an inferred shape is always ``-1``.

Dtype rule at predict time: an input whose dtype differs from the signature's
is accepted only when numpy's *safe* casting converts it without losing
information (``int32→int64``, ``float32→float64``, ``int16→float32``,
``bool→int64``), and it is converted before the model sees it. Narrowing
(``float64→float32``, ``int64→int32``) and ``float→int`` are refused with
:class:`~modelreg.errors.InvalidArgument` naming the column or tensor. A
``string`` column accepts pandas ``str``/``string`` and object columns of
strings; an ``object`` column accepts anything. Extra DataFrame columns and
dict entries are dropped, and columns are passed in signature order.

Only numpy (never pandas, torch or onnx) is imported here, and only when a
value of that kind is being looked at.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from modelreg.errors import InvalidArgument
from modelreg.signature_params import ParamSpec, infer_params

__all__ = [
    "ModelSignature",
    "Schema",
    "Signature",
    "Spec",
    "infer_schema",
    "infer_signature",
    "signatures_compatible",
]

SchemaKind = Literal["columns", "tensor", "tensors"]
KINDS: tuple[str, ...] = ("columns", "tensor", "tensors")

_NUMERIC_KINDS = "biuf"


@dataclass(frozen=True, slots=True)
class Spec:
    """One column or tensor: its name (``None`` for an unnamed tensor), dtype and shape.

    ``shape`` is ``None`` for a DataFrame column and a tuple for a tensor,
    ``-1`` marking a dimension of any size.
    """

    name: str | None
    dtype: str
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.shape is not None:
            d["shape"] = list(self.shape)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Spec:
        name, dtype, shape = d.get("name"), d.get("dtype"), d.get("shape")
        if name is not None and not isinstance(name, str):
            raise InvalidArgument(f"signature: spec name must be a string, got {name!r:.40}")
        if not isinstance(dtype, str) or not dtype:
            raise InvalidArgument(f"signature: spec {name!r} needs a dtype string")
        if shape is not None:
            if not isinstance(shape, list | tuple) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= -1 for n in shape
            ):
                raise InvalidArgument(
                    f"signature: shape of {name!r} must be a list of integers >= -1, "
                    f"got {shape!r:.60}"
                )
            shape = tuple(shape)
        return cls(name, dtype, shape)


@dataclass(frozen=True, slots=True)
class Schema:
    """The inputs or outputs of a model: a kind (see the module docs) and its specs."""

    kind: SchemaKind
    specs: tuple[Spec, ...]

    @property
    def names(self) -> list[str | None]:
        return [s.name for s in self.specs]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "specs": [s.to_dict() for s in self.specs]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Schema:
        kind = d.get("kind")
        if kind not in KINDS:
            raise InvalidArgument(f"signature: schema kind must be one of {KINDS}, got {kind!r}")
        specs = d.get("specs")
        if not isinstance(specs, list | tuple):
            raise InvalidArgument("signature: schema specs must be a list")
        schema = cls(kind, tuple(Spec.from_dict(s) for s in specs))
        if kind == "tensor" and len(schema.specs) != 1:
            raise InvalidArgument("signature: a 'tensor' schema has exactly one spec")
        if kind != "tensor" and any(s.name is None for s in schema.specs):
            raise InvalidArgument(f"signature: every spec of a '{kind}' schema needs a name")
        return schema


@dataclass(frozen=True, slots=True)
class Signature:
    """What a model takes (``inputs``) and, if known, returns (``outputs``), and the
    inference parameters its ``predict`` takes (``params``, see
    :mod:`modelreg.signature_params`)."""

    inputs: Schema
    outputs: Schema | None = None
    params: tuple[ParamSpec, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "inputs": self.inputs.to_dict(),
            "outputs": self.outputs.to_dict() if self.outputs is not None else None,
        }
        if self.params is not None:  # absent otherwise, as in signatures saved before them
            d["params"] = [p.to_dict() for p in self.params]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Signature:
        """Rebuilds a signature from :meth:`to_dict`; raises InvalidArgument if malformed."""
        if not isinstance(d, Mapping) or not isinstance(d.get("inputs"), Mapping):
            raise InvalidArgument("signature must be a dict with an 'inputs' schema")
        outputs, params = d.get("outputs"), d.get("params")
        if params is not None and not isinstance(params, list):
            raise InvalidArgument("signature params must be a list of params")
        return cls(
            Schema.from_dict(d["inputs"]),
            Schema.from_dict(outputs) if outputs is not None else None,
            None if params is None else tuple(ParamSpec.from_dict(p) for p in params),
        )

    def check_input(self, data: Any) -> Any:
        """``data`` checked against the inputs and converted where widening allows.

        Returns what the model should receive (columns selected and ordered,
        dtypes widened). Raises InvalidArgument naming the missing column,
        the wrong dtype or the wrong shape.
        """
        if self.inputs.kind == "columns":
            return _conform_columns(self.inputs, data)
        if self.inputs.kind == "tensor":
            return _conform_tensor(self.inputs.specs[0], data, _tensor_label(self.inputs.specs[0]))
        return _conform_tensors(self.inputs, data)


# MLflow's name for a signature (``mlflow.models.ModelSignature(inputs, outputs, params)``).
ModelSignature = Signature


def coerce_signature(value: Signature | Mapping[str, Any] | None) -> Signature | None:
    """A Signature from a Signature, its ``to_dict`` form or None."""
    if value is None or isinstance(value, Signature):
        return value
    if isinstance(value, Mapping):
        return Signature.from_dict(value)
    raise InvalidArgument(
        f"signature must be a Signature or a dict, got {type(value).__name__}; "
        "use modelreg.signature.infer_signature(example) to make one"
    )


def validate_schema(data: Any, expected_schema: Schema | Mapping[str, Any]) -> None:
    """Checks that ``data`` fits ``expected_schema`` (a signature's ``inputs`` or
    ``outputs``, or its ``to_dict`` form) as a model's input is checked before
    ``predict``, widening allowed (MLflow's ``mlflow.models.validate_schema``).

    Raises ``InvalidArgument`` naming the missing column, the wrong dtype or the wrong
    shape, or a schema that is malformed.

    >>> validate_schema(batch, model_info.signature.inputs)
    """
    if isinstance(expected_schema, Mapping):
        expected_schema = Schema.from_dict(expected_schema)
    if not isinstance(expected_schema, Schema):
        raise InvalidArgument(
            f"expected_schema must be a Schema or a dict, got {type(expected_schema).__name__}"
        )
    Signature(expected_schema).check_input(data)


# ---------------------------------------------------------------- inference


def infer_signature(
    model_input: Any, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> Signature:
    """The signature of a model that takes ``model_input`` (and returns ``model_output``),
    with inference parameters of the types and defaults of ``params`` (MLflow's names).

    Accepts a pandas DataFrame, a numpy array, a torch tensor, a list, or a
    dict of arrays/tensors/lists. Raises InvalidArgument for anything else.

    >>> infer_signature(X, y, params={"threshold": 0.5})
    """
    return Signature(
        infer_schema(model_input, "model_input"),
        infer_schema(model_output, "model_output") if model_output is not None else None,
        None if params is None else infer_params(params),
    )


def infer_schema(value: Any, what: str = "value") -> Schema:
    """The schema of one example value (see :func:`infer_signature`)."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, pd.DataFrame):
        return Schema(
            "columns",
            tuple(Spec(str(c), _pandas_dtype_name(value[c])) for c in value.columns),
        )
    if pd is not None and isinstance(value, pd.Series):
        name = None if value.name is None else str(value.name)
        return Schema("tensor", (Spec(name, _pandas_dtype_name(value), (-1,)),))
    if isinstance(value, Mapping):
        specs = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgument(f"{what}: dict keys must be strings, got {key!r:.40}")
            dtype, shape = _array_dtype_shape(item, f"{what}['{key}']")
            specs.append(Spec(key, dtype, shape))
        if not specs:
            raise InvalidArgument(f"{what}: an empty dict has no signature")
        return Schema("tensors", tuple(specs))
    dtype, shape = _array_dtype_shape(value, what)
    return Schema("tensor", (Spec(None, dtype, shape),))


def _array_dtype_shape(value: Any, what: str) -> tuple[str, tuple[int, ...]]:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        dtype, shape = _torch_dtype_name(value.dtype), tuple(value.shape)
    else:
        np = _numpy_for(value)
        if np is None:
            raise InvalidArgument(
                f"{what}: cannot infer a signature from {type(value).__name__}; use a pandas "
                "DataFrame, a numpy array, a torch tensor or a dict of arrays"
            )
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
        dtype, shape = numpy_dtype_name(array.dtype), tuple(array.shape)
    return dtype, _batch_shape(shape)


def _numpy_for(value: Any) -> Any:
    """numpy if ``value`` is an array or a list/tuple numpy can turn into one, else None."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray | np.generic):
        return np
    if isinstance(value, list | tuple) and value:
        import numpy

        return numpy
    return None


def _batch_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (-1, *shape[1:]) if shape else shape


def numpy_dtype_name(dtype: Any) -> str:
    kind = dtype.kind
    if kind in _NUMERIC_KINDS or kind == "c":
        return dtype.name
    return {"U": "string", "S": "binary", "M": "datetime64", "m": "timedelta64"}.get(kind, "object")


def _torch_dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _pandas_dtype_name(column: Any) -> str:
    dtype = column.dtype
    kind = getattr(dtype, "kind", "O")
    name = str(dtype)
    if name == "category":
        return "category"
    if kind in _NUMERIC_KINDS or kind == "c":
        # Nullable extension dtypes (Int64, Float32, boolean) name their numpy twin.
        return {"boolean": "bool"}.get(name, name.lower())
    if kind == "M":
        return "datetime64"
    if kind == "m":
        return "timedelta64"
    if name in ("str", "string") or name.startswith("string["):
        return "string"
    if kind == "O":
        first = column.dropna()
        first = first.iloc[0] if len(first) else None
        if isinstance(first, str):
            return "string"
        if isinstance(first, bytes):
            return "binary"
    return "object"


# ---------------------------------------------------------------- dtype rules


_NUMERIC_RE = re.compile(r"(bool|int|uint|float)(\d*)")


def _numeric(name: str) -> tuple[str, int] | None:
    """(kind, bits) of a numeric dtype name such as ``int32`` or ``bool``; None otherwise."""
    match = _NUMERIC_RE.fullmatch(name)
    if match is None:
        return None
    kind, bits = match.group(1), match.group(2)
    if kind == "bool":
        return None if bits else ("bool", 8)
    return (kind, int(bits)) if bits in ("8", "16", "32", "64", "128") else None


def dtype_accepts(expected: str, actual: str) -> bool:
    """Whether a value of dtype ``actual`` may be given where ``expected`` is declared.

    Numeric dtypes follow numpy's "safe" casting (every value is represented
    exactly, give or take int64→float64 which numpy counts as safe); other
    dtypes must match exactly, except that ``object`` accepts anything.
    Pure Python, so checking compatibility never imports numpy.
    """
    if expected == actual or expected == "object":
        return True
    to, frm = _numeric(expected), _numeric(actual)
    if to is None or frm is None:
        return False
    (to_kind, to_bits), (frm_kind, frm_bits) = to, frm
    if frm_kind == "bool":
        return True
    if to_kind == "bool" or (frm_kind == "float" and to_kind != "float"):
        return False
    if frm_kind == to_kind:
        return to_bits >= frm_bits
    if to_kind == "int":  # from uint
        return to_bits > frm_bits
    if to_kind == "uint":  # from int: negative values do not fit
        return False
    # int or uint to float: the mantissa must hold every value (int32/int64 → float64).
    return to_bits >= {8: 16, 16: 32}.get(frm_bits, 64)


def _dtype_error(label: str, expected: str, actual: str) -> InvalidArgument:
    hint = ""
    if _numeric(expected) is not None and _numeric(actual) is not None:
        hint = (
            f"; modelreg converts only when no information is lost (e.g. int32→int64, "
            f"float32→float64), so convert it to {expected} first"
        )
    return InvalidArgument(f"{label}: expected dtype {expected}, got {actual}{hint}")


def _check_shape(label: str, expected: tuple[int, ...] | None, actual: tuple[int, ...]) -> None:
    if expected is None:
        return
    if len(expected) != len(actual) or any(
        e != -1 and e != a for e, a in zip(expected, actual, strict=False)
    ):
        raise InvalidArgument(
            f"{label}: expected shape {_shape_text(expected)}, got {_shape_text(actual)} "
            "(-1 means any size)"
        )


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _tensor_label(spec: Spec) -> str:
    return f"input '{spec.name}'" if spec.name is not None else "input"


# ---------------------------------------------------------------- conforming inputs


def _column_name(spec: Spec) -> str:
    """The name of a spec of a named schema (columns, or named tensors)."""
    assert spec.name is not None, "a named schema names every spec"
    return spec.name


def _conform_columns(schema: Schema, data: Any) -> Any:
    pandas: Any = sys.modules.get("pandas")
    expected = [_column_name(s) for s in schema.specs]
    if isinstance(data, Mapping):
        pandas = importlib.import_module("pandas")
        data = pandas.DataFrame(dict(data))
    if pandas is None or not isinstance(data, pandas.DataFrame):
        raise InvalidArgument(
            f"input: the model expects a pandas DataFrame with columns {expected}, "
            f"got {type(data).__name__}"
        )
    present = {str(c): c for c in data.columns}
    missing = [name for name in expected if name not in present]
    if missing:
        which = "column" if len(missing) == 1 else "columns"
        raise InvalidArgument(
            f"input {which} {', '.join(repr(m) for m in missing)} missing; "
            f"the model expects columns {expected}"
        )
    selected = data[[present[name] for name in expected]]
    casts = {}
    for spec in schema.specs:
        column = selected[present[_column_name(spec)]]
        actual = _pandas_dtype_name(column)
        if not dtype_accepts(spec.dtype, actual):
            raise _dtype_error(f"input column '{_column_name(spec)}'", spec.dtype, actual)
        if actual != spec.dtype and spec.dtype != "object":
            casts[present[_column_name(spec)]] = spec.dtype
    return selected.astype(casts) if casts else selected


def _conform_tensor(spec: Spec, data: Any, label: str) -> Any:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(data, torch.Tensor):
        actual = _torch_dtype_name(data.dtype)
        if not dtype_accepts(spec.dtype, actual):
            raise _dtype_error(label, spec.dtype, actual)
        _check_shape(label, spec.shape, tuple(data.shape))
        return data if actual == spec.dtype else data.to(getattr(torch, spec.dtype))
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame | pd.Series):
        data = data.to_numpy()
    np = _numpy_for(data)
    if np is None:
        raise InvalidArgument(
            f"{label}: expected an array of dtype {spec.dtype} and shape "
            f"{_shape_text(spec.shape or ())}, got {type(data).__name__}"
        )
    array = data if isinstance(data, np.ndarray) else np.asarray(data)
    actual = numpy_dtype_name(array.dtype)
    if not dtype_accepts(spec.dtype, actual):
        raise _dtype_error(label, spec.dtype, actual)
    _check_shape(label, spec.shape, tuple(array.shape))
    if actual != spec.dtype and spec.dtype != "object":
        return array.astype(spec.dtype)
    # A list stays a list: python-flavor models may expect exactly what they were given.
    return data if isinstance(data, list | tuple) else array


def _conform_tensors(schema: Schema, data: Any) -> dict[str, Any]:
    expected = [s.name for s in schema.specs]
    if not isinstance(data, Mapping):
        raise InvalidArgument(
            f"input: the model expects a dict of arrays named {expected}, got {type(data).__name__}"
        )
    missing = [name for name in expected if name not in data]
    if missing:
        raise InvalidArgument(
            f"input {', '.join(repr(m) for m in missing)} missing; "
            f"the model expects inputs {expected}"
        )
    return {
        _column_name(s): _conform_tensor(s, data[_column_name(s)], _tensor_label(s))
        for s in schema.specs
    }


# ---------------------------------------------------------------- compatibility


def signatures_compatible(old: Signature | None, new: Signature | None) -> bool:
    """Whether callers of a model with signature ``old`` keep working with ``new``.

    Inputs: every column or tensor ``new`` requires must exist in ``old`` with a
    dtype ``new`` accepts and a shape that fits; dropping an input is
    compatible, adding one or narrowing a dtype is not. Outputs (when both
    are known): everything ``old`` returned must still be returned, with a
    dtype callers of ``old`` accept. Params: every one ``old`` declared is still
    declared, with the same type and shape (adding one is compatible: it has a
    default). A missing signature on either side says nothing, so it counts as
    compatible. ``bump="auto"`` makes incompatible changes a major version.
    """
    if old is None or new is None:
        return True
    if not _schema_accepts(consumer=new.inputs, producer=old.inputs):
        return False
    kept = {p.name: (p.type, p.shape) for p in new.params or ()}
    if any(kept.get(p.name) != (p.type, p.shape) for p in old.params or ()):
        return False
    if old.outputs is None or new.outputs is None:
        return True
    return _schema_accepts(consumer=old.outputs, producer=new.outputs)


def _schema_accepts(consumer: Schema, producer: Schema) -> bool:
    """Whether everything ``consumer`` needs is supplied, in an acceptable form, by ``producer``."""
    if consumer.kind != producer.kind:
        return False
    if consumer.kind == "tensor":
        return _spec_accepts(consumer.specs[0], producer.specs[0])
    supplied = {s.name: s for s in producer.specs}
    return all(s.name in supplied and _spec_accepts(s, supplied[s.name]) for s in consumer.specs)


def _spec_accepts(consumer: Spec, producer: Spec) -> bool:
    if not dtype_accepts(consumer.dtype, producer.dtype):
        return False
    if consumer.shape is None or producer.shape is None:
        return consumer.shape is None and producer.shape is None
    return len(consumer.shape) == len(producer.shape) and all(
        c == -1 or c == p for c, p in zip(consumer.shape, producer.shape, strict=True)
    )
