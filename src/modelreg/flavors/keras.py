"""Keras 3 flavor: a ``keras.Model`` as a ``.keras`` archive, loaded with ``safe_mode=True``.

Saving calls ``model.save("model.keras")`` and rewrites the archive
canonically: Keras stamps the save time into ``metadata.json`` and the zip
entries, so two saves of one model would differ; without those the bytes
depend on the model alone (one digest, one stored blob).

Loading calls ``keras.saving.load_model(path, safe_mode=True,
compile=False)``: the archive is JSON config plus HDF5 weights, and safe
mode refuses the one way it can carry code (a serialized ``Lambda``).
Custom layers must be registered with ``keras.saving.register_keras_serializable``
in a module the loading process imports. Keras picks its backend when it is
first imported; when modelreg imports it, that is ``torch`` unless
``KERAS_BACKEND`` says otherwise.

``predict`` is ``model.predict_on_batch`` (one batch, no progress bar),
numpy in and numpy out; a DataFrame is passed as its array.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import SavedFlavor, SaveRequest, write_zip_entry

NAME = "keras"
FILE = "model.keras"
PACKAGES = ["keras", "numpy"]
_METADATA = "metadata.json"


def import_keras() -> Any:
    """``keras``, imported on the torch backend unless KERAS_BACKEND or an earlier import chose."""
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    keras = import_keras()
    if not isinstance(model, keras.Model):
        raise InvalidArgument(f"model: {type(model).__qualname__} is not a keras.Model")
    raw = directory / FILE
    try:
        model.save(raw)
    except (ValueError, TypeError, NotImplementedError) as exc:
        what = type(model).__qualname__
        raise InvalidArgument(f"model: Keras cannot save {what}: {exc}") from exc
    raw.write_bytes(_canonical_archive(raw.read_bytes()))
    return SavedFlavor({"name": NAME, "file": FILE}, [FILE], PACKAGES)


def _canonical_archive(raw: bytes) -> bytes:
    """The archive without its save time: fixed zip timestamps, no ``date_saved``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == _METADATA:
                metadata = json.loads(data)
                metadata.pop("date_saved", None)
                data = json.dumps(metadata, sort_keys=True).encode()
            write_zip_entry(target, info.filename, data, info.compress_type)
    return out.getvalue()


def load(directory: Path, spec: dict[str, Any], *, trust_pickle: bool) -> tuple[Any, Any]:
    keras = import_keras()
    try:
        model = keras.saving.load_model(directory / spec["file"], safe_mode=True, compile=False)
    except ValueError as exc:
        raise InvalidArgument(f"model at {directory}: Keras refused to load it: {exc}") from exc
    return model, lambda data: predict(model, data)


def predict(model: Any, data: Any) -> Any:
    """``predict_on_batch`` with DataFrames given as arrays (and dicts of them as dicts)."""
    if isinstance(data, Mapping):
        data = {k: _array(v) for k, v in data.items()}
    else:
        data = _array(data)
    return model.predict_on_batch(data)


def _array(value: Any) -> Any:
    return value.to_numpy() if hasattr(value, "to_numpy") else value


def example_output(model: Any, example: Any) -> Any:
    return predict(model, example)
