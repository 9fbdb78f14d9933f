"""Artifact paths and local files: the part of artifact handling that needs no database.

Artifact paths are manifest keys, relative POSIX paths; they are checked by
:func:`check_artifact_path` before being stored and again before being joined
onto a download folder. The embedded artifact service and the remote client
both build on this module, so both accept and refuse the same paths and
download alike.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from modelreg.blobs import BlobRef, BlobStore, reading_store
from modelreg.blobs.base import BlobFetch
from modelreg.entities import FileInfo
from modelreg.errors import InvalidArgument, NotFound
from modelreg.path_safety import hidden_traversal

__all__ = [
    "ManifestDownloads",
    "check_artifact_path",
    "download_entries",
    "join_path",
    "local_file",
    "local_files",
]

MAX_ARTIFACT_PATH_LENGTH = 4096
_THREADS = 8
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def check_artifact_path(
    path: Any, field: str = "artifact path", *, allow_root: bool = False
) -> str:
    """A relative POSIX path of ``/``-separated, non-empty segments; returns it.

    Refuses absolute paths, ``.`` and ``..`` segments, backslashes, NUL and
    other control characters with ``InvalidArgument`` naming the path, also
    when they are hidden behind percent-encoding or Unicode look-alikes
    (see :mod:`modelreg.path_safety`). A trailing ``/`` is dropped; ``""``
    (the root) is allowed with ``allow_root``.
    """
    if not isinstance(path, str):
        raise InvalidArgument(f"{field} must be a string, got {type(path).__name__}")
    shown = repr(path[:200])
    if path.startswith("/"):
        raise InvalidArgument(f"{field} {shown} must be relative, not start with '/'")
    path = path.rstrip("/") if path.strip("/") else path
    if path == "":
        if allow_root:
            return path
        raise InvalidArgument(f"{field} must not be empty")
    if len(path) > MAX_ARTIFACT_PATH_LENGTH:
        raise InvalidArgument(
            f"{field} {shown} is {len(path)} characters long; the limit is "
            f"{MAX_ARTIFACT_PATH_LENGTH}"
        )
    if "\\" in path:
        raise InvalidArgument(f"{field} {shown} must use '/' as separator, not '\\'")
    if _CONTROL_RE.search(path):
        raise InvalidArgument(f"{field} {shown} must not contain NUL or control characters")
    if re.match(r"[A-Za-z]:", path):
        raise InvalidArgument(f"{field} {shown} must be relative, not start with a drive letter")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidArgument(f"{field} {shown} must not contain empty, '.' or '..' segments")
    hidden = hidden_traversal(path)
    if hidden is not None:
        raise InvalidArgument(f"{field} {shown} {hidden}")
    return path


def check_binary_stream(stream: Any) -> Any:
    """``stream`` if it reads bytes (a file opened ``"rb"``, ``io.BytesIO``, a response
    body); raises ``InvalidArgument`` for a text stream or anything without ``read``."""
    import io

    if isinstance(stream, io.TextIOBase) or not callable(getattr(stream, "read", None)):
        raise InvalidArgument(
            f"stream must be a binary file-like object (opened 'rb'), got {type(stream).__name__}"
        )
    return stream


def human_size(n: int) -> str:
    """Bytes as people read them: ``512 B``, ``2.9 KB``, ``1.4 GB`` (powers of 1024)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def join_path(*parts: str | None) -> str:
    return "/".join(p for p in parts if p)


def one_level(entries: dict[str, BlobRef], prefix: str) -> list[FileInfo]:
    """The files and folders directly inside ``prefix`` of a manifest's ``entries`` (those at
    or below it), sorted by path; ``[]`` when ``prefix`` is a file."""
    cut = len(prefix) + 1 if prefix else 0
    listing: dict[str, FileInfo] = {}
    for path, ref in entries.items():
        if path == prefix:
            return []
        head, sep, _rest = path[cut:].partition("/")
        child = join_path(prefix, head)
        listing[child] = FileInfo(child, True, None) if sep else FileInfo(child, False, ref.size)
    return [listing[p] for p in sorted(listing)]


class ManifestDownloads:
    """Downloads built on ``manifest``/``version_manifest`` and ``blobs``: shared by the
    embedded service and the remote client, so both answer alike."""

    blobs: BlobStore

    def manifest(self, run_id: str, path: str = "") -> dict[str, BlobRef]:
        raise NotImplementedError

    def version_manifest(self, model_name: str, version: int, path: str = "") -> dict[str, BlobRef]:
        raise NotImplementedError

    def download_run_artifacts(
        self, run_id: str, path: str = "", dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Downloads the file or folder ``path`` of the run into ``dst_path``; returns its path.

        The result is ``<dst_path>/<path>`` (``dst_path`` itself for the root);
        ``dst_path`` defaults to a new temporary folder. Every file is checked
        against its digest. Raises ``NotFound`` for an unknown run or path,
        ``InvalidArgument`` for a bad path and ``IntegrityError`` naming the
        artifact when stored bytes are damaged.
        """
        prefix = check_artifact_path(path or "", "path", allow_root=True)
        entries = self.manifest(run_id, prefix)
        if prefix and not entries:
            raise NotFound(f"run '{run_id}' has no artifact '{prefix}'")
        return download_entries(self.blobs, entries, prefix, dst_path, f"of run {run_id}")

    def download_version_artifacts(
        self,
        model_name: str,
        version: int,
        path: str = "",
        dst_path: str | os.PathLike[str] | None = None,
    ) -> str:
        """Downloads ``path`` (default: everything) of a model version; see
        :meth:`download_run_artifacts`. Raises ``NotFound`` for an unknown version or path."""
        prefix = check_artifact_path(path or "", "path", allow_root=True)
        entries = self.version_manifest(model_name, version, prefix)
        if prefix and not entries:
            raise NotFound(f"version {version} of model '{model_name}' has no artifact '{prefix}'")
        owner = f"of model {model_name} v{version}"
        return download_entries(self.blobs, entries, prefix, dst_path, owner)


def local_file(
    local_path: str | os.PathLike[str], artifact_path: str | None = None
) -> tuple[str, Path]:
    """The artifact path ``<artifact_path>/<file name>`` of a local file, and the file.

    Raises ``InvalidArgument`` for a bad path, a missing file or a folder.
    """
    source = Path(local_path)
    prefix = check_artifact_path(artifact_path or "", "artifact_path", allow_root=True)
    path = check_artifact_path(join_path(prefix, source.name))
    if source.is_dir():
        raise InvalidArgument(f"'{local_path}' is a folder; use log_artifacts for folders")
    if not source.exists():
        raise InvalidArgument(f"local file '{local_path}' does not exist")
    return path, source


def local_files(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None
) -> dict[str, Path]:
    """Every file below ``local_dir`` by the artifact path it gets under ``artifact_path``.

    Raises ``InvalidArgument`` when ``local_dir`` is not a folder, or naming
    the first file whose path is not a valid artifact path.
    """
    root = Path(local_dir)
    prefix = check_artifact_path(artifact_path or "", "artifact_path", allow_root=True)
    if not root.is_dir():
        raise InvalidArgument(f"local folder '{local_dir}' does not exist or is not a folder")
    files: dict[str, Path] = {}
    for folder, _dirs, names in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        for name in names:
            path = join_path(prefix, "" if relative == "." else relative, name)
            files[check_artifact_path(path)] = Path(folder, name)
    return files


def download_entries(
    blobs: BlobStore,
    entries: dict[str, BlobRef],
    prefix: str,
    dst_path: str | os.PathLike[str] | None,
    owner: str,
) -> str:
    """Writes manifest ``entries`` under ``dst_path`` (default: a new temporary folder).

    Returns ``<dst_path>/<prefix>``. Remote stores are read through the local
    blob cache. ``owner`` ("of run …") completes error messages. Raises
    ``InvalidArgument`` when a path would land outside ``dst_path`` and
    ``IntegrityError`` naming the artifact when bytes do not match.
    """
    root = Path(tempfile.mkdtemp(prefix="modelreg-") if dst_path is None else dst_path)
    if root.exists() and not root.is_dir():
        raise InvalidArgument(f"dst_path '{root}' is a file; files are downloaded into a folder")
    root.mkdir(parents=True, exist_ok=True)
    real_root = os.path.realpath(root)
    jobs: list[tuple[str, Path]] = []
    for path in entries:
        target = root / check_artifact_path(path)  # stored paths are checked again here
        parent = os.path.realpath(target.parent)
        if parent != real_root and not parent.startswith(real_root + os.sep):
            raise InvalidArgument(
                f"artifact '{path}' would be written outside '{root}': a symlink in the "
                "destination folder points elsewhere"
            )
        jobs.append((path, target))
    reader = reading_store(blobs)
    reader.get_files(
        [BlobFetch(entries[p], t, f"artifact '{p}' {owner}") for p, t in jobs], threads=_THREADS
    )
    return str(root / prefix) if prefix else str(root)
