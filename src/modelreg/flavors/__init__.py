"""Saving and loading model objects: a pure layer, directory in and directory out.

:func:`save_model` writes a model directory (a ``modelreg.json`` manifest,
the model files, ``requirements.txt``); :func:`load_model_dir` reads one back
as a :class:`LoadedModel` with a signature-checked ``predict``. Neither
touches a tracking store or blob store: ``log_model`` saves into a temporary
directory and uploads its files, ``load_model`` downloads and loads.

Flavors (see each module): ``sklearn`` (skops), ``pytorch`` (torch.export or
safetensors), ``onnx`` (onnxruntime), ``xgboost`` (UBJSON), ``lightgbm`` (its
text format), ``catboost`` (``.cbm``), ``keras`` (``.keras``, safe mode),
``transformers`` (a pipeline, safetensors), ``python`` (any class with
``predict``).
Importing this package imports no framework; each is imported on first use.
"""

from modelreg.flavors.detect import FLAVOR_NAMES, detect_flavor
from modelreg.flavors.loaded import LoadedModel
from modelreg.flavors.model_dir import (
    MANIFEST_NAME,
    ModelInfo,
    load_model_dir,
    read_model_info,
    save_model,
    weights_digest,
)

__all__ = [
    "FLAVOR_NAMES",
    "MANIFEST_NAME",
    "LoadedModel",
    "ModelInfo",
    "detect_flavor",
    "load_model_dir",
    "read_model_info",
    "save_model",
    "weights_digest",
]
