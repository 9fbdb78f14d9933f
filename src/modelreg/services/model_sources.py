"""Where a model version comes from: checking its ``source`` and copying the files' manifest.

A version's source is one of

- ``runs:/<run_id>/<path>``: the run must exist; the run's files under
  ``path`` are the version's files;
- ``models:/…``: another registered version (which must resolve), whose files,
  run and signature are inherited;
- an artifact URI inside the artifact folder of a run the registry knows
  (``mlflow-artifacts:/0/<run_id>/artifacts/model``, as MLflow clients send),
  or elsewhere in the registry's own ``mlflow-artifacts:/`` namespace.

Anything else (``file:///etc/passwd``, ``http://…``, a foreign ``s3://``
bucket, a relative path) is refused with ``InvalidArgument`` naming it. The
manifest rows (path → digest, size) are copied into the version, so deleting
the run later never loses a registered model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import Connection

from modelreg.errors import InvalidArgument, NotFound
from modelreg.store import registry as store
from modelreg.uris import ModelUri, parse_model_uri, parse_runs_uri

MAX_SOURCE_LENGTH = 4096
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

Manifest = list[tuple[str, str, int]]


@dataclass(frozen=True)
class Source:
    """A checked source: ``kind`` is ``runs``, ``models`` or ``artifact``."""

    uri: str
    kind: str
    run_id: str | None = None
    path: str = ""
    model: ModelUri | None = None


@dataclass(frozen=True)
class Snapshot:
    """What a new version keeps from its source."""

    manifest: Manifest
    run_id: str | None
    signature: dict[str, Any] | None


def parse_source(source: Any, run_id: str | None) -> Source:
    """Checks the form of a source (no database access).

    Raises ``InvalidArgument`` naming the source when it is not ``runs:/``,
    ``models:/`` or an absolute URI, or when ``run_id`` contradicts it.
    """
    if not isinstance(source, str) or not source:
        raise InvalidArgument(f"source must be a non-empty string, got {source!r:.60}")
    if len(source) > MAX_SOURCE_LENGTH:
        raise InvalidArgument(
            f"source '{source[:60]}…' is {len(source)} characters long; "
            f"the limit is {MAX_SOURCE_LENGTH}"
        )
    if _CONTROL_RE.search(source):
        raise InvalidArgument(f"source {source[:60]!r} contains control characters")
    if source.startswith("runs:/"):
        source_run, path = parse_runs_uri(source)
        if run_id is not None and run_id != source_run:
            raise InvalidArgument(
                f"run_id '{run_id}' does not match the run '{source_run}' of source '{source}'"
            )
        return Source(source, "runs", source_run, path)
    if source.startswith("models:/"):
        return Source(source, "models", model=parse_model_uri(source))
    scheme = urlparse(source).scheme.lower()
    # One-letter schemes are Windows drive letters: local paths, like relative ones.
    if len(scheme) < 2 or "\\" in source or ".." in source.split("/"):
        raise InvalidArgument(
            f"source '{source:.200}' is not a runs:/ or models:/ URI nor an artifact URI "
            "this registry knows (local paths are refused)"
        )
    return Source(source, "artifact", run_id)


def snapshot(
    conn: Connection,
    source: Source,
    run_id: str | None,
    signature: dict[str, Any] | None,
    resolve_row: Callable[[Connection, ModelUri], Any],
) -> Snapshot:
    """The manifest, run id and signature a new version takes from ``source``.

    ``resolve_row`` turns a ``models:/`` reference into a version row. Raises
    ``NotFound`` for a missing run or version, ``InvalidArgument`` for an
    artifact URI outside every run the registry knows.
    """
    if source.kind == "runs":
        assert source.run_id is not None
        manifest = store.run_manifest(conn, source.run_id, source.path)
        if manifest is None:
            raise NotFound(f"run '{source.run_id}' of source '{source.uri}' does not exist")
        return Snapshot(manifest, source.run_id, signature)
    if source.kind == "models":
        assert source.model is not None
        row = resolve_row(conn, source.model)
        manifest = _under(store.version_manifest(conn, row.version_id), source.model.path)
        inherited = json.loads(row.signature) if row.signature else None
        return Snapshot(manifest, run_id or row.run_id, signature or inherited)
    return _artifact_snapshot(conn, source.uri, run_id, signature)


def _artifact_snapshot(
    conn: Connection, uri: str, run_id: str | None, signature: dict[str, Any] | None
) -> Snapshot:
    if run_id is not None:
        artifact_uri = store.run_artifact_uri(conn, run_id)
        if artifact_uri is None:
            raise NotFound(f"run '{run_id}' does not exist")
        candidates = [(run_id, artifact_uri)]
    else:
        candidates = store.runs_with_artifact_uri_prefix(conn, uri)
    for candidate_run, artifact_uri in candidates:
        base = artifact_uri.rstrip("/")
        if uri == base or uri.startswith(base + "/"):
            manifest = store.run_manifest(conn, candidate_run, uri[len(base) + 1 :].strip("/"))
            return Snapshot(manifest or [], candidate_run, signature)
    if uri.lower().startswith("mlflow-artifacts:/"):
        return Snapshot([], run_id, signature)
    where = f"folder of run '{run_id}'" if run_id else "folder of a run this registry knows"
    raise InvalidArgument(
        f"source '{uri:.200}' is not a runs:/ or models:/ URI nor inside the artifact {where}"
    )


def _under(manifest: Manifest, path: str) -> Manifest:
    """The entries under ``path``, relative to it (a file named ``path`` keeps its name)."""
    if not path:
        return manifest
    prefix = path + "/"
    return [
        (p[len(prefix) :] if p != path else p.rsplit("/", 1)[-1], d, s)
        for p, d, s in manifest
        if p == path or p.startswith(prefix)
    ]


def manifest_digest(manifest: Sequence[tuple[str, str, int]]) -> str | None:
    """sha256 over the sorted ``path NUL digest LF`` lines of a manifest; ``None`` when empty.

    Two versions with the same files (same relative paths, same bytes) get
    the same digest, which is what ``bump="auto"`` compares.
    """
    if not manifest:
        return None
    h = hashlib.sha256()
    for path, digest, _size in sorted(manifest):
        h.update(f"{path}\0{digest}\n".encode())
    return h.hexdigest()
