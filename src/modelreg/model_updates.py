"""A logged model's signature or requirements changed after it was logged, as MLflow's
``mlflow.models.set_signature`` and ``update_model_requirements`` change them.

Only the small files that describe the model change (``modelreg.json``,
``requirements.txt``), stored together as new files of the run folder or logged model
the URI names; the weights and their digest stay. A registered version keeps the files
it was registered with: register the model again to get a version with the change.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from modelreg import pip_requirements
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
    checked = coerce_signature(signature)
    if checked is None:
        raise InvalidArgument("signature is required")

    def edit(manifest: dict[str, Any], folder: Path) -> None:
        manifest["signature"] = checked.to_dict()

    _rewrite(model_uri, edit, client)


def update_model_requirements(
    model_uri: str, operation: str, requirement_list: list[str], *, client: Any = None
) -> None:
    """Adds requirements to (``operation="add"``) or removes packages from
    (``"remove"``) the pip requirements of the model ``model_uri`` names (``runs:/`` or a
    logged model's ``models:/m-<id>``), in its manifest and its ``requirements.txt``.

    Adding replaces the line of a package the model already requires, where it stands,
    and appends the others; removing ignores version specifiers and packages the model
    does not require. Package names match as pip matches them (``Scikit_Learn`` is
    ``scikit-learn``).

    Raises ``InvalidArgument`` for another operation, a line that is not a requirement
    (PEP 508), a registered version's URI or a folder that holds no model ``log_model``
    saved; ``NotFound`` for an unknown run or logged model.

    >>> modelreg.models.update_model_requirements(info.model_uri, "add", ["pandas>=2"])
    """
    if operation not in ("add", "remove"):
        raise InvalidArgument(f"operation must be 'add' or 'remove', got {operation!r:.100}")
    given = pip_requirements.checked(requirement_list, "requirement_list")
    change = pip_requirements.added if operation == "add" else pip_requirements.removed

    def edit(manifest: dict[str, Any], folder: Path) -> None:
        from modelreg.flavors.model_dir import REQUIREMENTS_NAME

        lines = change(manifest.get("requirements") or [], given)
        manifest["requirements"] = lines
        (folder / REQUIREMENTS_NAME).write_text("".join(f"{line}\n" for line in lines))

    _rewrite(model_uri, edit, client)


def _rewrite(model_uri: str, edit: Callable[[dict[str, Any], Path], None], client: Any) -> None:
    """Reads the manifest of the model ``model_uri`` names into a scratch folder, lets
    ``edit`` change it (and write other files there), and stores the folder's files as
    the model's, all together."""
    from modelreg.artifact_files import download_entries, join_path
    from modelreg.flavors.model_dir import MANIFEST_NAME

    model_id = logged_model_of(model_uri) if isinstance(model_uri, str) else None
    if not isinstance(model_uri, str) or not (model_uri.startswith("runs:/") or model_id):
        raise InvalidArgument(
            f"model_uri '{model_uri!s:.200}' must be runs:/ or a logged model's models:/m-<id>: "
            "a registered version keeps the files it was registered with"
        )
    client = fluent_client(client)
    entries, folder, owner, _ = model_files(client, model_uri)
    name = join_path(folder, MANIFEST_NAME)
    if name not in entries:
        raise InvalidArgument(f"'{model_uri:.200}' holds no model log_model saved ({name})")
    with tempfile.TemporaryDirectory(prefix="modelreg-model-") as tmp:
        blobs = client._backend.artifacts.blobs
        local = Path(download_entries(blobs, {name: entries[name]}, folder, tmp, owner))
        manifest = json.loads((local / MANIFEST_NAME).read_text(encoding="utf-8"))
        edit(manifest, local)
        (local / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if model_id is not None:
            client.log_model_artifacts(model_id, local, folder or None)
        else:
            run_id = model_uri[len("runs:/") :].split("/", 1)[0]
            client.log_artifacts(run_id, str(local), folder or None)
