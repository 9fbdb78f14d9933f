"""``mlflow.types.schema`` by its names: the same as :mod:`modelreg.types`, for code that
imports them from there (``from mlflow.types.schema import Schema, ColSpec``)."""

from modelreg.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = ["ColSpec", "DataType", "ParamSchema", "ParamSpec", "Schema", "TensorSpec"]
