"""SQL for the artifact manifests a version snapshots from its source run when registered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Text, bindparam, func, insert, literal, select

from modelreg.store.schema import model_version_artifacts, run_artifacts, runs


def run_artifact_uri(conn: Connection, run_id: str) -> str | None:
    """The run's ``artifact_uri``, or ``None`` when the run does not exist."""
    return conn.execute(_RUN_ARTIFACT_URI, {"run_id": run_id}).scalar()


_RUN_ARTIFACT_URI = select(runs.c.artifact_uri).where(runs.c.run_id == bindparam("run_id"))


def runs_with_artifact_uri_prefix(conn: Connection, source: str) -> list[tuple[str, str]]:
    """``(run_id, artifact_uri)`` of runs whose artifact folder holds ``source``.

    Only for sources that name no run id (custom artifact locations); scans the runs.
    """
    prefix_of_source = (runs.c.artifact_uri == source) | (
        func.substr(literal(source, Text), 1, func.length(runs.c.artifact_uri) + 1)
        == runs.c.artifact_uri.concat("/")
    )
    query = select(runs.c.run_id, runs.c.artifact_uri).where(prefix_of_source)
    return [(r.run_id, r.artifact_uri) for r in conn.execute(query).all()]


def run_manifest(conn: Connection, run_id: str, prefix: str) -> list[tuple[str, str, int]] | None:
    """``(path, digest, size)`` of the run's artifacts under ``prefix``, relative to it.

    ``None`` when the run does not exist (one query answers both: the outer
    join gives one row of NULLs for a run without such files). A single file
    named exactly ``prefix`` is kept under its file name.
    """
    if not prefix:
        rows = conn.execute(_RUN_MANIFEST, {"run_id": run_id}).all()
    else:
        under = prefix + "/"
        params = {"run_id": run_id, "prefix": prefix, "under": under, "length": len(under)}
        rows = conn.execute(_RUN_MANIFEST_UNDER, params).all()
    if not rows:
        return None
    out = []
    for path, digest, size in rows:
        if path is None:
            continue
        relative = path.rsplit("/", 1)[-1] if path == prefix else path[len(prefix) + 1 :]
        out.append((relative if prefix else path, digest, size))
    return out


def _run_manifest(under_prefix: bool) -> Any:
    a = run_artifacts
    on = a.c.run_id == runs.c.run_id
    if under_prefix:
        on &= (a.c.path == bindparam("prefix")) | (
            func.substr(a.c.path, 1, bindparam("length")) == bindparam("under")
        )
    return (
        select(a.c.path, a.c.digest, a.c.size)
        .select_from(runs.outerjoin(a, on))
        .where(runs.c.run_id == bindparam("run_id"))
    )


_RUN_MANIFEST = _run_manifest(under_prefix=False)
_RUN_MANIFEST_UNDER = _run_manifest(under_prefix=True)


def version_manifest(conn: Connection, version_id: int) -> list[tuple[str, str, int]]:
    """``(path, digest, size)`` of every file of a version."""
    a = model_version_artifacts
    query = select(a.c.path, a.c.digest, a.c.size).where(a.c.version_id == version_id)
    return [(path, digest, size) for path, digest, size in conn.execute(query).all()]


def insert_version_manifest(
    conn: Connection, version_id: int, rows: Sequence[tuple[str, str, int]]
) -> None:
    """Stores a version's manifest: ``(path, digest, size)`` of each file."""
    if rows:
        conn.execute(
            _INSERT_VERSION_ARTIFACT,
            [{"version_id": version_id, "path": p, "digest": d, "size": s} for p, d, s in rows],
        )


_INSERT_VERSION_ARTIFACT = insert(model_version_artifacts)
