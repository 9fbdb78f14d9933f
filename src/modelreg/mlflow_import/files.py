"""Copying artifact files from MLflow into modelreg's content-addressed blob store, streamed.

A file goes from the source's HTTP response into the target's ``put_stream``
chunk by chunk (an embedded store hashes while it writes, a server's client
spools to a temporary file to learn the digest first): a 1 GiB artifact
never sits in memory.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import httpx

from modelreg import image_series
from modelreg.artifact_files import check_artifact_path
from modelreg.blobs import BlobRef, BlobStore
from modelreg.errors import InvalidArgument
from modelreg.mlflow_import.context import Context
from modelreg.mlflow_import.source import ArtifactFile, MlflowSource, SourceError

_CHUNK = 1 << 20
# Files recorded in the target per request (and at most this many copied before recording).
_RECORD_EVERY = 100

Opener = Callable[[str], AbstractContextManager[httpx.Response]]


class _ResponseStream(io.RawIOBase):
    """A response body as a file object, reporting each chunk to ``advance``."""

    def __init__(self, response: httpx.Response, advance: Callable[[int], None]) -> None:
        self._chunks = response.iter_bytes(_CHUNK)
        self._pending = b""
        self._advance = advance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            self._advance(len(self._pending))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


@dataclass(frozen=True)
class FileTree:
    """Where a set of artifact files lives in the source: how to list them and open one."""

    describe: str
    list_files: Callable[[], Iterator[ArtifactFile]]
    open_file: Opener


def run_tree(
    source: MlflowSource, run_id: str, under: str = "", artifact_uri: str = ""
) -> FileTree:
    """A run's artifacts, or those below ``under``; read through the artifact API when
    the run's ``artifact_uri`` says the server proxies them."""
    return FileTree(
        f"run {run_id}" + (f" ({under})" if under else ""),
        lambda: source.run_files(run_id, under),
        lambda path: source.open_run_file(
            run_id, f"{under}/{path}" if under else path, artifact_uri
        ),
    )


def proxied_tree(source: MlflowSource, root: str) -> FileTree:
    return FileTree(
        f"mlflow-artifacts:/{root}",
        lambda: source.proxied_files(root),
        lambda path: source.open_proxied_file(root, path),
    )


def logged_model_tree(source: MlflowSource, model_id: str) -> FileTree:
    return FileTree(
        f"logged model {model_id}",
        lambda: source.logged_model_files(model_id),
        lambda path: source.open_logged_model_file(model_id, path),
    )


def target_path(path: str) -> str:
    """Where the target keeps the source's file ``path``: there, except that an image of a
    series MLflow 2 named with ``%`` between its parts (refused as percent-escapes) is
    renamed as MLflow 3 names it. Raises ``InvalidArgument`` for a path modelreg cannot
    hold (see :func:`modelreg.artifact_files.check_artifact_path`)."""
    return check_artifact_path(image_series.current_name(path))


def copy_file(
    tree: FileTree, path: str, blobs: BlobStore, advance: Callable[[int], None]
) -> BlobRef:
    """Streams one file of ``tree`` into ``blobs``; returns what was stored."""
    with tree.open_file(path) as response:
        return blobs.put_stream(_ResponseStream(response, advance))  # type: ignore[arg-type]


def copy_tree(
    ctx: Context, tree: FileTree, run_id: str | None, prefix: str
) -> dict[str, dict[str, Any]]:
    """Copies every file of ``tree`` into the blob store and (given ``run_id``) into the
    run's artifacts under ``prefix``; returns the entries (``path: {"digest", "size"}``).
    Files an earlier, interrupted attempt recorded with the same size are not copied
    again; a file the source lists but cannot give is reported and left out."""
    try:
        files = list(tree.list_files())
    except SourceError as exc:
        ctx.problem("artifacts", tree.describe, f"cannot be listed ({exc})")
        return {}
    have = ctx.backend.artifacts.manifest(run_id, prefix) if files and run_id else {}
    entries: dict[str, dict[str, Any]] = {}
    batch: dict[str, dict[str, Any]] = {}
    for f in files:
        try:
            path = target_path(f"{prefix}/{f.path}" if prefix else f.path)
        except InvalidArgument as exc:
            ctx.problem("artifact", f"{tree.describe}: {f.path}", f"left out: {exc}")
            continue
        known = have.get(path)
        if known is not None and f.size is not None and known.size == f.size:
            entries[path] = {"digest": known.digest, "size": known.size}
            continue
        try:
            ref = copy_file(tree, f.path, ctx.backend.artifacts.blobs, ctx.progress.add_bytes)
        except SourceError as exc:
            ctx.problem("artifact", f"{tree.describe}: {f.path}", f"missing in the source ({exc})")
            continue
        if f.size is not None and ref.size != f.size:
            ctx.problem(
                "artifact",
                f"{tree.describe}: {f.path}",
                f"listed with {f.size} bytes, downloaded {ref.size}",
            )
        batch[path] = entries[path] = {"digest": ref.digest, "size": ref.size}
        if run_id and len(batch) >= _RECORD_EVERY:
            ctx.backend.imports.import_run_artifacts(run_id, batch)
            batch = {}
    if run_id and batch:
        ctx.backend.imports.import_run_artifacts(run_id, batch)
    return entries
