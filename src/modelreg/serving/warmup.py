"""Warming a loaded model: one smoke prediction before it may serve.

The input is the example kept with the model (see
:mod:`modelreg.flavors.input_example`), parsed exactly as a request body
is; a model saved without one gets a row made from its signature (zeros,
empty strings, ``false``). A model with neither is loaded but not warmed.
"""

from __future__ import annotations

from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.serving.payloads import parse_payload, predictions_json
from modelreg.signature import Signature, Spec


def warm(model: Any) -> bool:
    """Predicts the smoke input; True if there was one. Raises InvalidArgument on any failure."""
    payload = model.input_example or signature_example(model.signature)
    if payload is None:
        return False
    try:
        predictions_json(model.predict(parse_payload(payload, model.signature)))
    except Exception as exc:
        raise InvalidArgument(
            f"the smoke prediction on the model's input example failed: {type(exc).__name__}: {exc}"
        ) from exc
    return True


def signature_example(signature: Signature | None) -> dict[str, Any] | None:
    """A one-row request body that fits ``signature``, or None if one cannot be made."""
    if signature is None:
        return None
    schema = signature.inputs
    values = [_value(s) for s in schema.specs]
    if any(v is None for v in values):
        return None
    if schema.kind == "columns":
        return {"dataframe_split": {"columns": schema.names, "data": [values]}}
    if schema.kind == "tensor":
        return {"inputs": values[0]}
    return {"inputs": dict(zip(schema.names, values, strict=True))}


_SCALARS = {"bool": False, "string": "", "datetime64": "1970-01-01"}


def _value(spec: Spec) -> Any:
    dtype = spec.dtype
    if dtype in _SCALARS:
        scalar = _SCALARS[dtype]
    elif dtype.startswith(("int", "uint", "float")):
        scalar = 0
    else:
        return None
    if spec.shape is None:
        return scalar
    value: Any = scalar
    for size in reversed(spec.shape):
        value = [value] * (size if size > 0 else 1)
    return value
