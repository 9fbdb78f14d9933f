"""PyTorch flavor: a ``torch.nn.Module`` as an exported program or as safetensors weights.

Two formats (``torch_format``):

``export`` (default when an input example is given)
    ``torch.export.export`` traces the module with the example (dimension 0
    of every input is marked dynamic, so any batch size works) and
    ``torch.export.save`` writes ``model.pt2``. Loading needs neither the
    class nor its code.
``state_dict`` (default otherwise)
    The weights in ``model.safetensors`` plus the class's import path
    (``module:QualName``) and optional JSON ``init_kwargs``; loading imports
    the class, calls ``cls(**init_kwargs)`` and loads the weights.

``device`` at load (``"cuda"``, ``"cuda:1"``; see ``modelreg.load_model``)
moves the module there; ``predict`` then moves inputs to it and numpy
results back. Neither format unpickles anything by default. ``torch.export.load`` can fall
back to pickle (tensor subclasses, opaque constants, sample inputs), so
before loading a ``.pt2`` modelreg checks that it holds nothing but JSON and
raw tensor bytes; saving drops the sample inputs to make that true. Other
archives need ``trust_pickle=True``.

A third format is only ever loaded, never saved: ``pickle``, a whole module
written with ``torch.save`` (how MLflow's PyTorch flavor stores one, kept as
is by ``modelreg import-mlflow``). It loads only with ``trust_pickle=True``.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import (
    SavedFlavor,
    SaveRequest,
    import_class,
    import_path,
    is_strict_json,
    torch_device,
    untrusted,
)

NAME = "pytorch"
PACKAGES = ["torch", "safetensors"]  # an exported program needs torch alone
FORMATS = ("export", "state_dict")
SUPPORTS_DEVICE = True
EXPORT_FILE = "model.pt2"
WEIGHTS_FILE = "model.safetensors"

# Entries of a .pt2 archive that hold only JSON, raw tensor bytes or markers.
_SAFE_PT2_ENTRY = re.compile(
    r"(archive_format|archive_version|byteorder|\.data/version|\.data/serialization_id"
    r"|models/\w+\.json|data/weights/\w+_weights_config\.json|data/weights/weight_\d+"
    r"|data/constants/\w+_constants_config\.json|data/constants/tensor_\d+"
    r"|data/sample_inputs/\w+\.pt)"
)


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    fmt = request.torch_format or ("export" if request.input_example is not None else "state_dict")
    if fmt not in FORMATS:
        raise InvalidArgument(f"torch_format must be one of {FORMATS}, got {fmt!r}")
    if fmt == "export":
        if request.input_example is None:
            raise InvalidArgument(
                "input_example: torch_format='export' traces the model, so it needs an "
                "input_example (a tensor, array or dict of them)"
            )
        if request.init_kwargs is not None:
            raise InvalidArgument("init_kwargs: only used with torch_format='state_dict'")
        _save_export(model, directory / EXPORT_FILE, request.input_example)
        return SavedFlavor(
            {"name": NAME, "format": "export", "file": EXPORT_FILE}, [EXPORT_FILE], ["torch"]
        )
    return _save_state_dict(model, directory, request.init_kwargs)


def _save_export(model: Any, path: Path, example: Any) -> None:
    import torch

    args, kwargs, _ = _as_call(example)
    dynamic: Any
    if kwargs:
        dynamic = {name: _batch_dim(t) for name, t in kwargs.items()}
    else:
        dynamic = tuple(_batch_dim(t) for t in args)
    was_training = model.training
    model.eval()
    try:
        program = torch.export.export(model, args, kwargs, dynamic_shapes=dynamic)
    except Exception as exc:
        raise InvalidArgument(
            f"model: torch.export could not trace {type(model).__qualname__} with the "
            f"input_example ({type(exc).__name__}: {exc}); pass torch_format='state_dict' "
            "to store the weights and the class's import path instead"
        ) from exc
    finally:
        model.train(was_training)
    # Sample inputs would be stored with torch.save (pickle); loading does not need them.
    program.example_inputs = None
    torch.export.save(program, path)


def _batch_dim(tensor: Any) -> Any:
    import torch

    return {0: torch.export.Dim.AUTO} if tensor.dim() > 0 else None


def _save_state_dict(model: Any, directory: Path, init_kwargs: Any) -> SavedFlavor:
    import safetensors.torch

    try:
        class_path = import_path(type(model))
    except InvalidArgument as exc:
        raise InvalidArgument(
            f"{exc.message}; or give input_example=… to save it with torch.export, which "
            "loads without the class"
        ) from None
    if init_kwargs is not None and not (
        isinstance(init_kwargs, dict) and is_strict_json(init_kwargs)
    ):
        raise InvalidArgument(
            "init_kwargs must be a dict of JSON values (str, int, float, bool, None, list, dict)"
        )
    safetensors.torch.save_model(model, str(directory / WEIGHTS_FILE))
    spec = {
        "name": NAME,
        "format": "state_dict",
        "file": WEIGHTS_FILE,
        "class": class_path,
        "init_kwargs": init_kwargs or {},
    }
    return SavedFlavor(spec, [WEIGHTS_FILE], PACKAGES)


def load(
    directory: Path, spec: dict[str, Any], *, trust_pickle: bool, device: Any = None
) -> tuple[Any, Any]:
    import torch

    target = None if device is None else torch_device(device)
    path = directory / spec["file"]
    if spec.get("format") == "export":
        if not trust_pickle:
            _check_pickle_free(path, directory)
        module = torch.export.load(path).module()
    elif spec.get("format") == "state_dict":
        import safetensors.torch

        cls = import_class(spec["class"], torch.nn.Module)
        init_kwargs = spec.get("init_kwargs") or {}
        if not isinstance(init_kwargs, dict):
            raise InvalidArgument(f"model at {directory}: init_kwargs must be a dict")
        module = cls(**init_kwargs)
        safetensors.torch.load_model(module, str(path), strict=True)
        module.eval()
    elif spec.get("format") == "pickle":
        # A whole module saved with torch.save (MLflow's PyTorch flavor), imported as is.
        if not trust_pickle:
            raise untrusted(directory, f"is a pickled PyTorch module ({spec['file']})")
        module = torch.load(path, weights_only=False, map_location=target or "cpu")
        module.eval()
    else:
        raise InvalidArgument(
            f"model at {directory}: unknown pytorch format {spec.get('format')!r}; "
            f"expected one of {FORMATS}"
        )
    if target is not None:
        module = module.to(target)
    return module, lambda data: predict(module, data, target)


def _check_pickle_free(path: Path, directory: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            entry = info.filename.split("/", 1)[-1]
            safe = _SAFE_PT2_ENTRY.fullmatch(entry) is not None
            if entry.startswith("data/sample_inputs/"):
                safe = safe and info.file_size == 0
            elif safe and entry.endswith("_config.json"):
                config = json.loads(archive.read(info)).get("config", {})
                safe = all(
                    not item.get("use_pickle")
                    and re.fullmatch(r"(weight|tensor)_\d+", str(item.get("path_name")))
                    for item in config.values()
                )
            if not safe:
                raise untrusted(
                    directory,
                    f"holds a torch.export archive whose entry {info.filename!r} is loaded "
                    "with pickle",
                )


def example_output(model: Any, example: Any) -> Any:
    """The model's output for the example, in eval mode so batch-norm statistics stay put."""
    was_training = model.training
    model.eval()
    try:
        return predict(model, example)
    finally:
        model.train(was_training)


def predict(module: Any, data: Any, device: Any = None) -> Any:
    """Runs ``module`` without gradients; numpy in gives numpy out, tensors give tensors.

    With ``device``, input tensors are moved there first.
    """
    import torch

    args, kwargs, to_numpy = _as_call(data)
    if device is not None:
        args = tuple(a.to(device) for a in args)
        kwargs = {k: v.to(device) for k, v in kwargs.items()}
    with torch.no_grad():
        out = module(*args, **kwargs)
    return _to_numpy(out) if to_numpy else out


def _as_call(data: Any) -> tuple[tuple[Any, ...], dict[str, Any], bool]:
    """Positional and keyword tensors for a call, and whether the caller gave non-tensors."""
    import torch

    if isinstance(data, torch.Tensor):
        return (data,), {}, False
    if isinstance(data, Mapping):
        kwargs = {str(k): _to_tensor(v) for k, v in data.items()}
        return (), kwargs, not all(isinstance(v, torch.Tensor) for v in data.values())
    return (_to_tensor(data),), {}, True


def _to_tensor(value: Any) -> Any:
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if hasattr(value, "to_numpy"):  # pandas DataFrame or Series
        value = value.to_numpy()
    array = np.asarray(value)
    # A tensor shares a writable array's memory; a read-only one (pandas' copy-on-write
    # views) is copied, as a model writing into its input would write into it.
    return torch.as_tensor(array if array.flags.writeable else array.copy())


def _to_numpy(out: Any) -> Any:
    import torch

    if isinstance(out, torch.Tensor):
        return out.detach().cpu().numpy()
    if isinstance(out, tuple | list):
        return type(out)(_to_numpy(o) for o in out)
    if isinstance(out, Mapping):
        return {k: _to_numpy(v) for k, v in out.items()}
    return out
