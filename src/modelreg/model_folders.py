"""Where a model's files are: a local folder, or a store's model downloaded once into the
local cache (``download_model``), every file checked against its digest. What
:func:`modelreg.load_model` and the other model calls read from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlparse

from modelreg.errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    from modelreg.flavors.model_dir import ModelInfo

_COMPLETE = ".complete"


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """Where a store's model comes from: the URI it was named by, the run that logged it
    and its logged model (``None`` where the store does not say)."""

    model_uri: str
    run_id: str | None = None
    model_id: str | None = None

    def describe(self, info: ModelInfo) -> ModelInfo:
        """``info`` of a model from here, saying where it comes from."""
        return dataclasses.replace(
            info, model_uri=self.model_uri, run_id=self.run_id, model_id=self.model_id
        )


class ModelFiles(NamedTuple):
    """A store's model: its files (manifest entries by path) at or below ``folder``,
    "of …" for messages, and where it comes from."""

    entries: dict[str, Any]
    folder: str
    owner: str
    source: ModelSource


def fluent_client(client: Any) -> Any:
    """``client``, or the fluent API's current one."""
    if client is not None:
        return client
    from modelreg.fluent import current_client

    return current_client()


def model_folder(
    model_uri: str | os.PathLike[str],
    *,
    dst_path: str | os.PathLike[str] | None = None,
    client: Any = None,
) -> Path:
    """The local folder of the model ``model_uri`` names, as :func:`load_model` reads
    it: a local folder as it is, a store's model downloaded (:func:`download_model`)."""
    return locate_model(model_uri, dst_path=dst_path, client=client)[0]


def locate_model(
    model_uri: str | os.PathLike[str],
    *,
    dst_path: str | os.PathLike[str] | None = None,
    client: Any = None,
) -> tuple[Path, ModelSource | None]:
    """:func:`model_folder` and, for a store's model, where it comes from."""
    local = _local_folder(model_uri)
    if local is not None:
        return local, None
    return _download(str(model_uri), dst_path, client)


def _local_folder(model_uri: Any) -> Path | None:
    """The folder a path or ``file:`` URI names; ``None`` for a store's URI."""
    if isinstance(model_uri, os.PathLike):
        folder = Path(model_uri)
    elif not isinstance(model_uri, str):
        raise InvalidArgument(f"model_uri must be a string, got {type(model_uri).__name__}")
    elif model_uri.startswith("file:"):
        folder = Path(unquote(urlparse(model_uri).path))
    elif model_uri.startswith(("models:", "runs:")) or "://" in model_uri:
        return None
    else:
        folder = Path(model_uri)
    if not folder.is_dir():
        raise InvalidArgument(
            f"model_uri '{os.fspath(model_uri):.200}' must be a models:/ or runs:/ URI, or the "
            "folder of a saved model, and there is no such folder"
        )
    return folder


def download_model(
    model_uri: str,
    *,
    dst_path: str | os.PathLike[str] | None = None,
    client: Any = None,
) -> Path:
    """Downloads a logged model's files and returns the local folder, without loading it.

    Every file is checked against its digest. Without ``dst_path`` the
    folder is in the local cache (shared by every process of this user), so
    a later ``load_model`` of the same files reads nothing from the store.
    Raises as :func:`load_model` does.
    """
    if not isinstance(model_uri, str):
        raise InvalidArgument(f"model_uri must be a string, got {type(model_uri).__name__}")
    return _download(model_uri, dst_path, client)[0]


def _download(
    model_uri: str, dst_path: str | os.PathLike[str] | None, client: Any
) -> tuple[Path, ModelSource]:
    client = fluent_client(client)
    entries, sub_path, owner, source = model_files(client, model_uri)
    if not entries:
        raise NotFound(f"no model files at '{model_uri}'")
    blobs = client._backend.artifacts.blobs
    if dst_path is not None:
        from modelreg.artifact_files import download_entries

        return Path(download_entries(blobs, entries, sub_path, dst_path, owner)), source
    return _cached_model_dir(blobs, entries, sub_path, owner), source


def model_files(client: Any, model_uri: str) -> ModelFiles:
    """The files of the model a store's URI names and where it comes from. Raises
    ``NotFound`` for an unknown run, version or logged model, ``InvalidArgument`` for a
    malformed URI."""
    from modelreg.logged_models import logged_model_of

    artifacts = client._backend.artifacts
    model_id = logged_model_of(model_uri)
    if model_id is not None:
        from modelreg.artifact_files import check_artifact_path

        rest = model_uri[len("models:/") + len(model_id) :].lstrip("/")
        sub_path = check_artifact_path(rest, "model_uri path", allow_root=True)
        logged = client.get_logged_model(model_id)  # NotFound for an unknown or deleted one
        entries = client._backend.logged_models.manifest(model_id, sub_path)
        owner = f"of logged model {model_id}"
        source = ModelSource(model_uri, logged.source_run_id, model_id)
    elif model_uri.startswith("models:/"):
        from modelreg.uris import parse_model_uri

        sub_path = parse_model_uri(model_uri).path or ""
        version = client.resolve_model_uri(model_uri)
        entries = artifacts.version_manifest(version.name, version.version, sub_path)
        owner = f"of model {version.name} v{version.version}"
        source = ModelSource(model_uri, version.run_id or None, version.model_id)
    elif model_uri.startswith("runs:/"):
        from modelreg.uris import parse_runs_uri

        run_id, sub_path = parse_runs_uri(model_uri)
        entries = artifacts.manifest(run_id, sub_path)
        owner = f"of run {run_id}"
        source = ModelSource(model_uri, run_id)
    else:
        raise InvalidArgument(f"model_uri '{model_uri:.200}' must be a models:/ or runs:/ URI")
    return ModelFiles(entries, sub_path, owner, source)


def _cached_model_dir(blobs: Any, entries: dict[str, Any], prefix: str, owner: str) -> Path:
    """The model folder in the local cache, downloading it once per distinct file list."""
    from modelreg.artifact_files import download_entries
    from modelreg.blobs.cache import default_cache_dir

    listing = "\n".join(f"{p}\0{entries[p].digest}" for p in sorted(entries))
    key = hashlib.sha256(f"{prefix}\n{listing}".encode()).hexdigest()
    root = default_cache_dir() / "models"
    final = root / key
    if (final / _COMPLETE).exists():
        return final / prefix if prefix else final
    staging = root / f".tmp-{uuid.uuid4().hex}"
    try:
        download_entries(blobs, entries, prefix, staging, owner)
        (staging / _COMPLETE).touch()
        try:
            staging.rename(final)
        except OSError:
            if not (final / _COMPLETE).exists():  # another process won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final / prefix if prefix else final
