"""``set_signature``: a logged model's signature set after it was logged, as MLflow's
``mlflow.models.set_signature`` (for a model logged without an input example, say).

Only the manifest (``modelreg.json``) changes, as a new file of the run folder or logged
model the URI names; the weights and their digest stay. A registered version keeps the
files it was registered with: register the model again to get a version with the new
signature.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.logged_models import logged_model_of
from modelreg.model_folders import fluent_client, model_files
from modelreg.signature import Signature, coerce_signature


def set_signature(
    model_uri: str, signature: Signature | Mapping[str, Any], *, client: Any = None
) -> None:
    """Sets the signature of the model ``model_uri`` names: ``runs:/<run_id>/<path>`` or
    a logged model's ``models:/m-<id>``.

    Raises ``InvalidArgument`` for a registered version's URI, a malformed signature or
    a folder that holds no model ``log_model`` saved; ``NotFound`` for an unknown run or
    logged model.

    >>> modelreg.models.set_signature(info.model_uri, infer_signature(X, y))
    """
    from modelreg.artifact_files import download_entries, join_path
    from modelreg.flavors.model_dir import MANIFEST_NAME

    checked = coerce_signature(signature)
    if checked is None:
        raise InvalidArgument("signature is required")
    model_id = logged_model_of(model_uri) if isinstance(model_uri, str) else None
    if not isinstance(model_uri, str) or not (model_uri.startswith("runs:/") or model_id):
        raise InvalidArgument(
            f"model_uri '{model_uri!s:.200}' must be runs:/ or a logged model's models:/m-<id>: "
            "a registered version keeps the files it was registered with"
        )
    client = fluent_client(client)
    entries, folder, owner = model_files(client, model_uri)
    name = join_path(folder, MANIFEST_NAME)
    if name not in entries:
        raise InvalidArgument(f"'{model_uri:.200}' holds no model log_model saved ({name})")
    with tempfile.TemporaryDirectory(prefix="modelreg-signature-") as tmp:
        blobs = client._backend.artifacts.blobs
        local = Path(download_entries(blobs, {name: entries[name]}, folder, tmp, owner))
        manifest = json.loads((local / MANIFEST_NAME).read_text(encoding="utf-8"))
        manifest["signature"] = checked.to_dict()
        (local / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if model_id is not None:
            client.log_model_artifact(model_id, local / MANIFEST_NAME, folder or None)
        else:
            run_id = model_uri[len("runs:/") :].split("/", 1)[0]
            client.log_artifact(run_id, str(local / MANIFEST_NAME), folder or None)
