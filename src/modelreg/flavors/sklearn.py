"""scikit-learn flavor: any estimator or Pipeline, stored in skops format.

Saving uses ``skops.io.dumps`` and then rewrites the archive canonically:
skops names array files after ``id()`` of the arrays and stamps the zip
entries with the current time, so two dumps of one model differ. Renumbering
those ids in order of first appearance and fixing the timestamps makes the
bytes depend on the model alone: identical models give identical files,
identical weights digests and a single stored blob.

Trust policy at load. skops refuses types that are not on its built-in list
unless they are named as trusted. modelreg names, on the caller's behalf:

* classes defined in scikit-learn itself (outside ``sklearn.externals`` and
  test helpers), e.g. ``sklearn.tree._tree.Tree`` behind every tree model,
  ``KDTree``, ``AdamOptimizer`` and the Gaussian-process kernels. Building
  them from a file runs scikit-learn's own code only;
* numpy dtype classes (``numpy.dtype`` and its subclasses);
* scipy sparse matrix and array classes (skops reads their data with
  ``allow_pickle=False``).

Anything else (a function, or a class from another package, including the
caller's own estimator subclasses) needs ``trust_pickle=True``, because
skops would import and instantiate it. Residual risk, accepted knowingly:
skops notes that a crafted file can give ``Tree``/``TreePredictor`` node
indices scikit-learn does not bounds-check, so a malicious model can crash
the predicting process. Registry artifacts are digest-verified, so this
needs someone allowed to register models.
"""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import SavedFlavor, SaveRequest, untrusted, write_zip_entry

NAME = "sklearn"
FILE = "model.skops"
PACKAGES = ["scikit-learn", "skops", "numpy", "scipy"]
# The methods ``pyfunc_predict_fn`` may name, as MLflow's: what predict calls.
PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    import skops.io

    try:
        raw = skops.io.dumps(model)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidArgument(
            f"model: skops cannot save {type(model).__qualname__}: {exc}; pass "
            "flavor='python' to store it as a python model (pickle unless its state is JSON)"
        ) from exc
    (directory / FILE).write_bytes(_canonical_archive(raw))
    spec = {"name": NAME, "file": FILE}
    if request.predict_fn not in (None, "predict"):
        spec["predict_fn"] = _predict_fn(model, request.predict_fn)
    return SavedFlavor(spec, [FILE], PACKAGES)


def _predict_fn(model: Any, name: Any) -> str:
    if name not in PREDICT_FNS:
        raise InvalidArgument(f"pyfunc_predict_fn must be one of {', '.join(PREDICT_FNS)}")
    if not callable(getattr(model, name, None)):
        raise InvalidArgument(f"pyfunc_predict_fn: {type(model).__qualname__} has no {name}")
    return str(name)


def load(directory: Path, spec: dict[str, Any], *, trust_pickle: bool) -> tuple[Any, Any]:
    import skops.io

    path = directory / spec["file"]
    flagged = skops.io.get_untrusted_types(file=path)
    refused = [name for name in flagged if not _library_type(name)]
    if refused and not trust_pickle:
        raise untrusted(
            directory,
            f"is a scikit-learn model containing types from outside scikit-learn, numpy and "
            f"scipy.sparse ({', '.join(refused)}) that skops would import and instantiate",
        )
    model = skops.io.load(path, trusted=flagged)
    return model, getattr(model, _predict_fn(model, spec.get("predict_fn", "predict")))


def example_output(model: Any, example: Any) -> Any:
    return model.predict(example)


def _canonical_archive(raw: bytes) -> bytes:
    """The skops archive with id-based names renumbered and fixed zip timestamps."""
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(members.pop("schema.json"))
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def renumber(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                renumber(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__" and type(value) is int:
                    node[key] = ids.setdefault(value, len(ids))
                elif key == "file" and isinstance(value, str) and value in members:
                    suffix = value[value.rfind(".") :] if "." in value else ""
                    node[key] = files.setdefault(value, f"{len(files)}{suffix}")
                else:
                    renumber(value)

    renumber(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        write_zip_entry(target, "schema.json", json.dumps(schema, separators=(",", ":")).encode())
        for old, new in sorted(files.items(), key=lambda item: int(item[1].split(".")[0])):
            write_zip_entry(target, new, members[old])
    return out.getvalue()


def _library_type(name: str) -> bool:
    """Whether a type skops flagged is one modelreg trusts (see the module docs)."""
    top = name.split(".", 1)[0]
    if top not in ("sklearn", "numpy", "scipy"):
        return False
    if top == "sklearn" and (
        name.startswith("sklearn.externals.")
        or any(part in ("tests", "_testing") for part in name.split("."))
    ):
        return False
    obj = _resolve(name)
    if not isinstance(obj, type):
        return False
    if top == "sklearn":
        return obj.__module__.startswith("sklearn.")
    if top == "scipy":
        import scipy.sparse

        return obj.__module__.startswith("scipy.sparse.") and issubclass(
            obj, scipy.sparse.spmatrix | scipy.sparse.sparray
        )
    import numpy as np

    return issubclass(obj, np.dtype)


def _resolve(name: str) -> Any:
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None
