"""MLflow's ``mlflow.artifacts`` by its names: downloading, listing and reading the files
of runs, registered versions and logged models by URI.

>>> modelreg.artifacts.download_artifacts("runs:/<run_id>/model", dst_path="build")
>>> [f.path for f in modelreg.artifacts.list_artifacts("models:/fraud@champion")]
"""

from __future__ import annotations

from typing import Any

from modelreg.entities import FileInfo
from modelreg.errors import InvalidArgument
from modelreg.fluent import check_registry_uri, current_client
from modelreg.fluent_artifacts import downloaded_file, load_dict, load_text

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
    registry_uri: str | None = None,
) -> str:
    """Downloads the files ``artifact_uri`` names (``runs:/``, ``models:/``), or a run's
    ``artifact_path``, into ``dst_path`` (a new temporary folder by default) and returns
    the local path; every file is checked against its digest. ``tracking_uri`` names
    another store than the current one; ``registry_uri``, if given, must be that store
    (the registry is kept with the runs). Raises as ``Client.download_artifacts``."""
    check_registry_uri(registry_uri, tracking_uri)
    return _client(tracking_uri).download_artifacts(
        run_id=run_id, path=artifact_path or "", dst_path=dst_path, artifact_uri=artifact_uri
    )


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """The files and folders directly inside what ``artifact_uri`` names (a ``runs:/`` or
    a registered version's ``models:/`` URI), or inside a run's ``artifact_path``.

    Raises ``InvalidArgument`` for another URI or for both forms at once, ``NotFound``
    for an unknown run or version."""
    client = _client(tracking_uri)
    if artifact_uri is None:
        if run_id is None:
            raise InvalidArgument("give artifact_uri, or run_id (and artifact_path)")
        return list(client.list_artifacts(run_id, artifact_path))
    if run_id is not None or artifact_path is not None:
        raise InvalidArgument("give artifact_uri, or run_id and artifact_path, not both")
    if artifact_uri.startswith("runs:/"):
        from modelreg.uris import parse_runs_uri

        uri_run, path = parse_runs_uri(artifact_uri)
        return list(client.list_artifacts(uri_run, path or None))
    if artifact_uri.startswith("models:/"):
        from modelreg.uris import parse_model_uri

        version = client.resolve_model_uri(artifact_uri)
        path = parse_model_uri(artifact_uri).path
        return list(client.list_model_version_artifacts(version.name, version.version, path))
    raise InvalidArgument(f"artifact_uri '{artifact_uri:.200}' must be a runs:/ or models:/ URI")


def load_image(artifact_uri: str) -> Any:
    """The image file ``artifact_uri`` names, as a Pillow ``Image`` (read whole, so it
    outlives the download). Raises ``InvalidArgument`` for a file Pillow cannot read,
    ``MissingDependency`` without Pillow (``modelreg[images]``), and as
    :func:`download_artifacts`."""
    from modelreg.extras import needs_extras

    with needs_extras():
        from PIL import Image, UnidentifiedImageError
    with downloaded_file(artifact_uri, "an image") as local:
        try:
            with Image.open(local) as image:
                image.load()
                return image.copy()
        except UnidentifiedImageError:
            raise InvalidArgument(f"'{artifact_uri:.200}' is not an image Pillow reads") from None


def _client(tracking_uri: str | None) -> Any:
    if tracking_uri is None:
        return current_client()
    from modelreg.client import Client

    return Client(tracking_uri)
