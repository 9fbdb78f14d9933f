"""Artifact calls of the remote backend: blobs up and down, manifests through the API."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from modelreg.api.operations import API_PREFIX
from modelreg.artifact_files import (
    ManifestDownloads,
    check_artifact_path,
    check_binary_stream,
    local_file,
    local_files,
)
from modelreg.blobs import BlobRef
from modelreg.remote.blobs import RemoteBlobStore
from modelreg.remote.http import HttpSession
from modelreg.remote.services import RemoteService


class RemoteArtifacts(ManifestDownloads):
    """The ``ArtifactService`` methods ``Client`` uses, over HTTP."""

    def __init__(self, http: HttpSession) -> None:
        self.http = http
        self.blobs = RemoteBlobStore(http)
        self._generic = RemoteService(http, "artifacts")

    def list_artifacts(self, run_id: str, path: str | None = None) -> Any:
        return self._generic.list_artifacts(run_id, path)

    def _record(self, run_id: str, entries: dict[str, BlobRef]) -> None:
        body = {"entries": {p: {"digest": r.digest, "size": r.size} for p, r in entries.items()}}
        self.http.request(
            "POST", f"{API_PREFIX}/runs/{quote(run_id, safe='')}/artifacts", json=body
        )

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> BlobRef:
        path, source = local_file(local_path, artifact_path)
        ref = self.blobs.put_file(source)
        self._record(run_id, {path: ref})
        return ref

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> dict[str, BlobRef]:
        files = local_files(local_dir, artifact_path)
        refs = dict(zip(files, self.blobs.put_files(list(files.values())), strict=True))
        self._record(run_id, refs)
        return refs

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> BlobRef:
        path = check_artifact_path(artifact_file, "artifact_file")
        ref = self.blobs.put_bytes(bytes(data))
        self._record(run_id, {path: ref})
        return ref

    def log_model_artifacts(
        self, model_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> dict[str, BlobRef]:
        files = local_files(local_dir, artifact_path)
        refs = dict(zip(files, self.blobs.put_files(list(files.values())), strict=True))
        entries = {p: {"digest": r.digest, "size": r.size} for p, r in refs.items()}
        self.record_logged_model_artifacts(model_id, entries)
        return refs

    def record_logged_model_artifacts(
        self, model_id: str, entries: dict[str, dict[str, Any]]
    ) -> None:
        self._generic.record_logged_model_artifacts(model_id, entries)

    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> BlobRef:
        path = check_artifact_path(artifact_file, "artifact_file")
        ref = self.blobs.put_stream(check_binary_stream(stream))
        self._record(run_id, {path: ref})
        return ref

    def manifest(self, run_id: str, path: str = "") -> dict[str, BlobRef]:
        url = f"{API_PREFIX}/runs/{quote(run_id, safe='')}/manifest"
        return _entries(self.http.json("GET", url, params={"path": path}))

    def version_manifest(self, model_name: str, version: int, path: str = "") -> dict[str, BlobRef]:
        model = quote(model_name, safe="")
        url = f"{API_PREFIX}/registered-models/{model}/versions/{version}/manifest"
        return _entries(self.http.json("GET", url, params={"path": path}))


def _entries(data: dict[str, Any]) -> dict[str, BlobRef]:
    return {p: BlobRef(e["digest"], e["size"]) for p, e in data["entries"].items()}
