"""MLflow model folders that ``modelreg.load_model`` can load, given a manifest of modelreg's.

An MLflow model folder describes itself in ``MLmodel`` (YAML). For the
flavors modelreg loads, the import adds a ``modelreg.json`` manifest naming
MLflow's own model file, so ``modelreg.load_model("models:/m/Production")``
loads the version as it is:

- scikit-learn saved with skops: modelreg's ``sklearn`` flavor;
- scikit-learn saved as a pickle or cloudpickle (MLflow's default): the
  ``python`` flavor's pickle, which loads only with ``trust_pickle=True``;
- ONNX: modelreg's ``onnx`` flavor;
- PyTorch saved whole with ``torch.save`` (MLflow's default): modelreg's
  ``pytorch`` flavor's ``pickle`` format, which loads only with
  ``trust_pickle=True``; exported with ``torch.export`` (``export_model=True``):
  the ``export`` format (MLflow's archive keeps its example inputs pickled,
  so it too loads with ``trust_pickle=True``).

Any other flavor is imported as files; the version's ``modelreg.import.note``
tag says modelreg cannot load it yet.
"""

from __future__ import annotations

import hashlib
from typing import Any

from modelreg.flavors._common import canonical_json
from modelreg.flavors.model_dir import FORMAT, MANIFEST_NAME

MLMODEL = "MLmodel"
NOTE_TAG = "modelreg.import.note"
_WEIGHTS = b"modelreg-weights/1\n"


def mlmodel_flavors(text: str) -> dict[str, dict[str, str]]:
    """``flavor: {key: value}`` of an MLmodel file's top-level scalar keys per flavor."""
    try:
        import yaml

        data = yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - any YAML trouble means: no flavor we can load
        return {}
    flavors = data.get("flavors") if isinstance(data, dict) else None
    if not isinstance(flavors, dict):
        return {}
    return {
        str(name): {str(k): str(v) for k, v in spec.items() if not isinstance(v, dict | list)}
        for name, spec in flavors.items()
        if isinstance(spec, dict)
    }


def _spec(flavors: dict[str, dict[str, str]], files: dict[str, Any]) -> dict[str, Any] | None:
    sklearn = flavors.get("sklearn")
    if sklearn and sklearn.get("pickled_model"):
        fmt = sklearn.get("serialization_format", "cloudpickle")
        if fmt == "skops":
            return {"name": "sklearn", "file": sklearn["pickled_model"]}
        if fmt in ("pickle", "cloudpickle"):
            return {"name": "python", "state": "pickle", "file": sklearn["pickled_model"]}
    onnx = flavors.get("onnx")
    if onnx and onnx.get("data"):
        return {"name": "onnx", "file": onnx["data"]}
    pytorch = flavors.get("pytorch")
    if pytorch and pytorch.get("model_data"):
        exported = f"{pytorch['model_data']}/model.pt2"  # export_model=True: torch.export
        if exported in files:
            return {"name": "pytorch", "format": "export", "file": exported}
        return {"name": "pytorch", "format": "pickle", "file": f"{pytorch['model_data']}/model.pth"}
    return None


def modelreg_manifest(mlmodel: str, files: dict[str, dict[str, Any]]) -> bytes | str:
    """The ``modelreg.json`` for an MLflow model folder (``files``: its paths with digests),
    or the note saying why modelreg cannot load it."""
    flavors = mlmodel_flavors(mlmodel)
    spec = _spec(flavors, files)
    if spec is None or spec["file"] not in files:
        names = ", ".join(sorted(flavors)) or "none"
        return f"imported from MLflow as files; modelreg cannot load its flavors ({names}) yet"
    total = hashlib.sha256(_WEIGHTS + canonical_json(spec) + b"\n")
    total.update(f"{spec['file']}\0{files[spec['file']]['digest']}\n".encode())
    manifest = {
        "format": FORMAT,
        "flavor": spec,
        "model_files": [spec["file"]],
        "code_files": [],
        "weights_digest": total.hexdigest(),
        "signature": None,
        "environment": {},
        "requirements": [],
        "input_example": None,
        "imported_from": "mlflow",
    }
    return canonical_json(manifest)


__all__ = ["MANIFEST_NAME", "MLMODEL", "NOTE_TAG", "modelreg_manifest"]
