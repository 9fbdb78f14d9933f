"""ONNX flavor: an ``onnx.ModelProto`` (or a path to a ``.onnx`` file), run with onnxruntime.

The model is stored as one self-contained ``model.onnx``; models with
external data (over 2 GB) are refused. When the caller gives neither a
signature nor an input example, the graph's own inputs (and tensor outputs)
become the signature. Loading hands the bytes, not a path, to onnxruntime on
the CPU provider, so a model file cannot point it at other files on disk.
``.native`` is the ``onnxruntime.InferenceSession``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import SavedFlavor, SaveRequest
from modelreg.signature import Schema, Signature, Spec, numpy_dtype_name

NAME = "onnx"
PACKAGES = ["onnx", "onnxruntime", "numpy"]
FILE = "model.onnx"


def is_onnx_model(model: Any) -> bool:
    """Whether ``model`` is an ONNX ModelProto or a path to a .onnx file (imports nothing)."""
    if isinstance(model, str | os.PathLike):
        return os.fspath(model).lower().endswith(".onnx")
    cls = type(model)
    return cls.__module__.split(".", 1)[0] == "onnx" and cls.__name__ == "ModelProto"


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    import onnx

    if isinstance(model, str | os.PathLike):
        data = Path(model).read_bytes()
        try:
            proto = onnx.load_model_from_string(data)
        except Exception as exc:
            raise InvalidArgument(f"model: {os.fspath(model)} is not an ONNX model: {exc}") from exc
    else:
        proto, data = model, model.SerializeToString()
    external = [
        t.name for t in proto.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
    ]
    if external:
        raise InvalidArgument(
            f"model: ONNX models with external data are not supported (tensor {external[0]!r}); "
            "save it with all tensors inside the .onnx file"
        )
    (directory / FILE).write_bytes(data)
    return SavedFlavor(
        {"name": NAME, "file": FILE},
        [FILE],
        PACKAGES,
        signature=_graph_signature(proto),
    )


def load(directory: Path, spec: dict[str, Any], *, trust_pickle: bool) -> tuple[Any, Any]:
    import onnxruntime

    session = onnxruntime.InferenceSession(
        (directory / spec["file"]).read_bytes(), providers=["CPUExecutionProvider"]
    )
    return session, lambda data: predict(session, data)


def predict(session: Any, data: Any) -> Any:
    """Feeds ``data`` to the session; one output comes back as an array, several as a dict."""
    import numpy as np

    names = [i.name for i in session.get_inputs()]
    pd = sys.modules.get("pandas")
    if isinstance(data, Mapping):
        missing = [n for n in names if n not in data]
        if missing:
            raise InvalidArgument(f"input {missing[0]!r} missing; the model expects {names}")
        feed = {n: _array(data[n]) for n in names}
    elif pd is not None and isinstance(data, pd.DataFrame) and len(names) > 1:
        missing = [n for n in names if n not in data.columns]
        if missing:
            raise InvalidArgument(f"input column {missing[0]!r} missing; the model expects {names}")
        feed = {n: data[n].to_numpy().reshape(-1, 1) for n in names}
    elif len(names) == 1:
        feed = {names[0]: _array(data)}
    else:
        raise InvalidArgument(
            f"input: the model has {len(names)} inputs {names}; pass a dict or a DataFrame"
        )
    outputs = session.run(None, feed)
    if len(outputs) == 1:
        return outputs[0]
    return {o.name: np.asarray(v) for o, v in zip(session.get_outputs(), outputs, strict=True)}


def _array(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "detach"):  # torch tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value)


def _graph_signature(proto: Any) -> Signature | None:
    initializers = {t.name for t in proto.graph.initializer}
    inputs = _schema([v for v in proto.graph.input if v.name not in initializers])
    if inputs is None:
        return None
    return Signature(inputs, _schema(list(proto.graph.output)))


def _schema(values: list[Any]) -> Schema | None:
    from onnx.helper import tensor_dtype_to_np_dtype

    specs = []
    for value in values:
        if value.type.WhichOneof("value") != "tensor_type":
            return None
        tensor = value.type.tensor_type
        shape = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim)
        dtype = numpy_dtype_name(tensor_dtype_to_np_dtype(tensor.elem_type))
        specs.append(Spec(value.name, dtype, shape))
    if not specs:
        return None
    return Schema("tensor" if len(specs) == 1 else "tensors", tuple(specs))
