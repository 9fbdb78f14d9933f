"""MLflow's ``mlflow.types`` by its names, to write a signature by hand as MLflow code
does: ``Schema`` of ``ColSpec`` (a column: MLflow's type name and the column's name) or
``TensorSpec`` (a numpy dtype and a shape), ``ParamSchema`` of ``ParamSpec``.

>>> from modelreg.models import ModelSignature
>>> from modelreg.types import ColSpec, Schema
>>> signature = ModelSignature(
...     inputs=Schema([ColSpec("double", "age"), ColSpec("string", "city")]),
...     outputs=Schema([ColSpec("long")]),
... )

What they make is modelreg's own :class:`~modelreg.signature.Schema` (MLflow's
``double`` is ``float64``, ``long`` ``int64`` … see :data:`DTYPES`): the same as
``infer_signature`` gives for such data, so a signature written either way compares
equal. Named columns make a ``columns`` schema; unnamed ones, an array of that many
columns (one: a vector, such as a classifier's labels); one unnamed tensor a
``tensor`` schema, named tensors a ``tensors`` one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from modelreg import signature, signature_params
from modelreg.errors import InvalidArgument
from modelreg.signature import Spec, numpy_dtype_name

__all__ = ["ColSpec", "DataType", "ParamSchema", "ParamSpec", "Schema", "TensorSpec"]


class DataType(StrEnum):
    """MLflow's column types, by their names."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"


# MLflow's column types as the dtypes modelreg's signatures name.
DTYPES = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "string",
    "binary": "binary",
    "datetime": "datetime64",
}


@dataclass(frozen=True)
class ColSpec:
    """A column, as MLflow's ``ColSpec``: its type (a :class:`DataType` or its name) and
    name (None for an unnamed one). Optional columns (``required=False``) are refused:
    modelreg's signatures expect every column they name."""

    type: DataType | str
    name: str | None = None
    required: bool = True

    @property
    def dtype(self) -> str:
        kind = self.type.value if isinstance(self.type, DataType) else self.type
        if kind not in DTYPES:
            raise InvalidArgument(
                f"ColSpec {self.name!r:.60}: unknown type {kind!r:.40}; one of {', '.join(DTYPES)}"
            )
        if not self.required:
            raise InvalidArgument(
                f"ColSpec {self.name!r:.60}: optional columns (required=False) are not "
                "supported; a signature expects each column it names"
            )
        return DTYPES[kind]


@dataclass(frozen=True)
class TensorSpec:
    """A tensor, as MLflow's ``TensorSpec``: a numpy dtype, a shape (``-1`` for a
    dimension of any size) and a name (None for an unnamed one)."""

    type: Any
    shape: tuple[int, ...]
    name: str | None = None

    def spec(self) -> Spec:
        import numpy as np

        try:
            dtype = numpy_dtype_name(np.dtype(self.type))
        except TypeError as exc:
            raise InvalidArgument(f"TensorSpec {self.name!r:.60}: {exc}") from exc
        return Spec(self.name, dtype, tuple(int(n) for n in self.shape))


def Schema(inputs: Sequence[ColSpec | TensorSpec]) -> signature.Schema:  # noqa: N802 - MLflow's name
    """The schema of ``inputs``, all columns or all tensors, as MLflow's ``Schema``.
    Raises ``InvalidArgument`` for none, a mix, unnamed columns of different types,
    or named and unnamed ones together."""
    specs = list(inputs)
    tensors = [s for s in specs if isinstance(s, TensorSpec)]
    columns = [s for s in specs if isinstance(s, ColSpec)]
    if not specs or len(tensors) + len(columns) != len(specs):
        raise InvalidArgument("Schema takes a list of ColSpec or of TensorSpec, at least one")
    if tensors and columns:
        raise InvalidArgument("Schema: columns and tensors cannot be mixed")
    named = [s.name is not None for s in specs]
    if any(named) and not all(named):
        raise InvalidArgument("Schema: name every column or tensor, or none")
    if tensors:
        if all(named):
            return signature.Schema("tensors", tuple(t.spec() for t in tensors))
        if len(tensors) != 1:
            raise InvalidArgument("Schema: several tensors need a name each")
        return signature.Schema("tensor", (tensors[0].spec(),))
    if all(named):
        return signature.Schema("columns", tuple(Spec(c.name, c.dtype) for c in columns))
    dtypes = {c.dtype for c in columns}
    if len(dtypes) != 1:
        raise InvalidArgument("Schema: unnamed columns make one array and need one type")
    shape = (-1,) if len(columns) == 1 else (-1, len(columns))
    return signature.Schema("tensor", (Spec(None, dtypes.pop(), shape),))


def ParamSpec(  # noqa: N802 - MLflow's name
    name: str, dtype: DataType | str, default: Any, shape: tuple[int, ...] | None = None
) -> signature_params.ParamSpec:
    """An inference parameter, as MLflow's ``ParamSpec(name, dtype, default, shape)``."""
    kind = dtype.value if isinstance(dtype, DataType) else dtype
    return signature_params.ParamSpec(name, kind, default, None if shape is None else tuple(shape))


def ParamSchema(
    params: Sequence[signature_params.ParamSpec],
) -> tuple[signature_params.ParamSpec, ...]:  # noqa: N802 - MLflow's name
    """The inference parameters of a signature, as MLflow's ``ParamSchema``."""
    return tuple(params)
