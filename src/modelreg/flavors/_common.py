"""Pieces every flavor shares: the save request, import paths, JSON checks, trust errors."""

from __future__ import annotations

import importlib
import json
import math
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.signature import Signature


@dataclass(frozen=True)
class SaveRequest:
    """The flavor-relevant options of one ``save_model`` call."""

    input_example: Any = None
    torch_format: str | None = None
    init_kwargs: dict[str, Any] | None = None
    artifacts: Mapping[str, Any] | None = None
    model_config: dict[str, Any] | None = None
    predict_fn: str | None = None  # the scikit-learn method predict calls (MLflow's option)


@dataclass
class SavedFlavor:
    """What a flavor wrote: its load spec, its files and the packages it needs.

    ``spec`` goes into the manifest's ``flavor`` section and must hold
    everything loading needs (it is part of the weights digest), but no
    package versions (those go into the environment). ``signature`` is a
    signature the model itself declares (ONNX graphs do), used when the
    caller gave none.
    """

    spec: dict[str, Any]
    files: list[str]
    packages: list[str] = field(default_factory=list)
    signature: Signature | None = None


def import_path(cls: type, what: str = "model") -> str:
    """``module:QualName`` of a class that a fresh process can import again.

    Raises InvalidArgument for classes defined in ``__main__`` or inside a
    function, which no other process can import.
    """
    module, qualname = cls.__module__, cls.__qualname__
    if module == "__main__" or "<locals>" in qualname:
        where = "in __main__" if module == "__main__" else "inside a function"
        raise InvalidArgument(
            f"{what}: class {qualname} is defined {where}, so a loading process cannot "
            "import it; move it into a module (and pass code_paths=[...] if that module is "
            "not installed where the model is loaded)"
        )
    path = f"{module}:{qualname}"
    try:
        found = import_object(path)
    except InvalidArgument:
        found = None
    if found is not cls:
        raise InvalidArgument(f"{what}: class {qualname} cannot be imported back as {path}")
    return path


# The modules a model being loaded may have imported: True (any), or package names.
# Set only while loading_with(...) runs, so a load can never widen it for others.
TrustCode = bool | Iterable[str]
_TRUSTED_CODE: ContextVar[bool | frozenset[str]] = ContextVar("trusted_code", default=frozenset())


@contextmanager
def trusting_code(trust_code: TrustCode) -> Iterator[None]:
    """Within the block, :func:`import_object` may import the modules ``trust_code``
    allows: all of them (``True``), or those packages and their submodules."""
    if isinstance(trust_code, str) or not isinstance(trust_code, bool | Iterable):
        raise InvalidArgument(
            "trust_code must be True, False or a list of module names such as ['mypkg']"
        )
    allowed = trust_code if isinstance(trust_code, bool) else frozenset(trust_code)
    token = _TRUSTED_CODE.set(allowed or frozenset())
    try:
        yield
    finally:
        _TRUSTED_CODE.reset(token)


def code_trusted() -> bool:
    """Whether the model being loaded may run any code it brings (``trust_code=True``)."""
    return _TRUSTED_CODE.get() is True


def _check_import_allowed(module_name: str, path: str) -> None:
    """Refuses to import a module that is not imported yet unless the caller trusts it:
    importing runs the module's code, and a model's files name the module."""
    if module_name in sys.modules:
        return  # already imported: importing it again runs nothing
    trusted = _TRUSTED_CODE.get()
    if trusted is True or any(
        module_name == name or module_name.startswith(name + ".") for name in trusted or ()
    ):
        return
    package = module_name.split(".", 1)[0]
    raise PermissionDenied(
        f"the model names class {path:.200}, in module '{module_name:.100}', which is not "
        "imported yet; importing it runs its code. Pass trust_code=True, or "
        f"trust_code=['{package:.100}'] to allow that package, only if you trust whoever "
        "wrote the model (or import the module yourself first)"
    )


def import_object(path: str) -> Any:
    """The object a ``module:QualName`` path names; InvalidArgument if it does not resolve.

    A module not imported yet is imported only if the caller trusts it (see
    :func:`trusting_code`); otherwise ``PermissionDenied``.
    """
    module_name, sep, qualname = path.partition(":")
    if not sep or not module_name or not qualname:
        raise InvalidArgument(f"import path must look like 'module:QualName', got {path!r:.80}")
    _check_import_allowed(module_name, path)
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise InvalidArgument(f"cannot import {path}: {exc}") from exc
    return obj


def import_class(path: str, base: type | None = None, what: str = "model class") -> type:
    """The class at ``path``; refuses anything else (a function would be called with our args)."""
    cls = import_object(path)
    if not isinstance(cls, type) or (base is not None and not issubclass(cls, base)):
        kind = f"a subclass of {base.__module__}.{base.__qualname__}" if base else "a class"
        raise InvalidArgument(f"{what} {path} is not {kind}")
    return cls


def is_strict_json(value: Any) -> bool:
    """Whether ``value`` survives a JSON round trip unchanged (no tuples, int keys, sets …)."""
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return type(value) is int
    if isinstance(value, float):
        return type(value) is float and math.isfinite(value)
    if type(value) is list:
        return all(is_strict_json(v) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and is_strict_json(v) for k, v in value.items())
    return False


def canonical_json(value: Any) -> bytes:
    """Stable bytes for a JSON value: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_relpath(path: Any, field: str) -> str:
    """A relative, '/'-separated path inside a model directory; refuses traversal tricks."""
    if not isinstance(path, str) or not path:
        raise InvalidArgument(f"{field} must be a non-empty string")
    if "\\" in path or "\x00" in path or path.startswith("/") or ":" in path.split("/")[0]:
        raise InvalidArgument(f"{field} {path!r:.80} must be a relative '/'-separated path")
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise InvalidArgument(f"{field} {path!r:.80} must not contain empty, '.' or '..' parts")
    return path


def torch_device(device: Any) -> Any:
    """The ``torch.device`` for ``device`` (``"cpu"``, ``"cuda"``, ``"cuda:1"`` …).

    Raises InvalidArgument for a name torch does not know, and for a CUDA
    device where torch sees no GPU (saying so, rather than failing later
    inside the framework).
    """
    import torch

    if not isinstance(device, str | torch.device) or not str(device):
        raise InvalidArgument(
            f"device must be a string such as 'cpu' or 'cuda', got {device!r:.40}"
        )
    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise InvalidArgument(f"device {str(device)!r:.40} is not a torch device: {exc}") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument(
            f"device {str(device)!r}: CUDA is not available on this machine (torch "
            f"{torch.__version__} sees no GPU); load the model with device='cpu' or without device"
        )
    return resolved


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_zip_entry(
    archive: zipfile.ZipFile, name: str, data: bytes, compress_type: int = zipfile.ZIP_STORED
) -> None:
    """Writes one archive entry whose bytes depend on ``data`` alone (fixed time and mode)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.external_attr = 0o644 << 16
    info.compress_type = compress_type
    archive.writestr(info, data)


def untrusted(model_dir: Path, what: str) -> PermissionDenied:
    """The error for a model whose loading would run code from its own files."""
    return PermissionDenied(
        f"model at {model_dir} {what}. Loading that can run arbitrary code, so modelreg "
        "refuses it by default; pass trust_pickle=True only for models from a source you trust."
    )
