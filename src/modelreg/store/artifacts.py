"""SQL for artifact manifests: which blob each artifact path of a run or version holds.

Every function takes an open connection; the artifact service decides the
transaction. Paths are compared with ``substr`` rather than ``LIKE``, which is
case-insensitive on SQLite and treats ``_`` and ``%`` specially.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, insert, or_, select, true, union

from modelreg.blobs.refs import BlobRef
from modelreg.errors import NotFound
from modelreg.store.access import EXPERIMENT, MODEL
from modelreg.store.schema import (
    blob_uploads,
    model_version_artifacts,
    model_versions,
    permissions,
    registered_models,
    run_artifacts,
    runs,
)
from modelreg.store.schema_logged_models import logged_model_artifacts
from modelreg.store.upsert import upsert

_DELETE_CHUNK = 500
# Distinct digests per access query: each is bound three times, so a chunk
# stays far below SQLite's and PostgreSQL's limits on bound values, and a
# whole manifest is one query in practice.
_ACCESS_CHUNK = 2000


def _under(table: Table, prefix: str) -> Any:
    """Rows at ``prefix`` itself or below it; everything for the empty prefix."""
    if not prefix:
        return true()
    below = prefix + "/"
    return or_(
        table.c.path == prefix,
        func.substr(table.c.path, 1, len(below)) == below,
    )


def _entries(conn: Connection, table: Table, owner: Any, prefix: str) -> dict[str, BlobRef]:
    rows = conn.execute(
        select(table.c.path, table.c.digest, table.c.size)
        .where(owner, _under(table, prefix))
        .order_by(table.c.path)
    )
    return {row.path: BlobRef(row.digest, row.size) for row in rows}


# -- runs ------------------------------------------------------------------------


def run_entries(conn: Connection, run_id: str, prefix: str = "") -> dict[str, BlobRef]:
    """The run's manifest entries at or below ``prefix``, by path."""
    return _entries(conn, run_artifacts, run_artifacts.c.run_id == run_id, prefix)


def run_paths(conn: Connection, run_id: str) -> set[str]:
    rows = conn.execute(select(run_artifacts.c.path).where(run_artifacts.c.run_id == run_id))
    return {row.path for row in rows}


def upsert_run_entries(conn: Connection, run_id: str, entries: dict[str, BlobRef]) -> None:
    """Sets the given paths of the run's manifest, replacing what they held."""
    paths = list(entries)
    for start in range(0, len(paths), _DELETE_CHUNK):
        conn.execute(
            delete(run_artifacts).where(
                run_artifacts.c.run_id == run_id,
                run_artifacts.c.path.in_(paths[start : start + _DELETE_CHUNK]),
            )
        )
    if entries:
        conn.execute(
            insert(run_artifacts),
            [
                {"run_id": run_id, "path": path, "digest": ref.digest, "size": ref.size}
                for path, ref in entries.items()
            ],
        )


# -- model versions --------------------------------------------------------------


def version_id(conn: Connection, name: str, version: int) -> int:
    """The row id of version ``version`` of model ``name``; raises ``NotFound``."""
    found = conn.execute(
        select(model_versions.c.version_id)
        .join(registered_models, registered_models.c.model_id == model_versions.c.model_id)
        .where(registered_models.c.name == name, model_versions.c.version == version)
    ).scalar()
    if found is None:
        raise NotFound(f"version {version} of registered model '{name}' does not exist")
    return int(found)


def version_entries(conn: Connection, version_id: int, prefix: str = "") -> dict[str, BlobRef]:
    """The version's manifest entries at or below ``prefix``, by path."""
    owner = model_version_artifacts.c.version_id == version_id
    return _entries(conn, model_version_artifacts, owner, prefix)


# -- all manifests ---------------------------------------------------------------


def referenced_digests(conn: Connection) -> set[str]:
    """Every digest some run, version or logged model manifest names."""
    query = union(
        select(run_artifacts.c.digest),
        select(model_version_artifacts.c.digest),
        select(logged_model_artifacts.c.digest),
    )
    return {row[0] for row in conn.execute(query)}


def users_of(conn: Connection, digests: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(digest, "run <id>: <path>" or "model <name> v<n>: <path>")`` for each use."""
    wanted = list(digests)
    for start in range(0, len(wanted), _DELETE_CHUNK):
        chunk = wanted[start : start + _DELETE_CHUNK]
        runs = select(run_artifacts.c.digest, run_artifacts.c.run_id, run_artifacts.c.path).where(
            run_artifacts.c.digest.in_(chunk)
        )
        for row in conn.execute(runs):
            yield row.digest, f"run {row.run_id}: {row.path}"
        versions = (
            select(
                model_version_artifacts.c.digest,
                registered_models.c.name,
                model_versions.c.version,
                model_version_artifacts.c.path,
            )
            .join(
                model_versions,
                model_versions.c.version_id == model_version_artifacts.c.version_id,
            )
            .join(registered_models, registered_models.c.model_id == model_versions.c.model_id)
            .where(model_version_artifacts.c.digest.in_(chunk))
        )
        for row in conn.execute(versions):
            yield row.digest, f"model {row.name} v{row.version}: {row.path}"


# -- who may read a blob by its digest -------------------------------------------


def record_upload(conn: Connection, digest: str, user_id: int, now: int) -> None:
    """Notes that ``user_id`` sent the bytes of ``digest`` (the first time counts)."""
    row = {"digest": digest, "user_id": user_id, "creation_time": now}
    upsert(conn, blob_uploads, [row], ("digest", "user_id"), ())


def _granted(resource_type: str, id_column: Any, user_id: int) -> Any:
    return and_(
        permissions.c.resource_type == resource_type,
        permissions.c.resource_id == id_column,
        permissions.c.user_id == user_id,
    )


def readable_digests(conn: Connection, digests: Iterable[str], user_id: int) -> set[str]:
    """The digests among ``digests`` the user uploaded, or that a run or model version
    they hold a role on names; one query per 2,000 distinct digests."""
    wanted = sorted(set(digests))
    found: set[str] = set()
    for start in range(0, len(wanted), _ACCESS_CHUNK):
        chunk = wanted[start : start + _ACCESS_CHUNK]
        uploaded = select(blob_uploads.c.digest).where(
            blob_uploads.c.user_id == user_id, blob_uploads.c.digest.in_(chunk)
        )
        in_runs = (
            select(run_artifacts.c.digest)
            .join(runs, runs.c.run_id == run_artifacts.c.run_id)
            .join(permissions, _granted(EXPERIMENT, runs.c.experiment_id, user_id))
            .where(run_artifacts.c.digest.in_(chunk))
        )
        in_versions = (
            select(model_version_artifacts.c.digest)
            .join(
                model_versions,
                model_versions.c.version_id == model_version_artifacts.c.version_id,
            )
            .join(permissions, _granted(MODEL, model_versions.c.model_id, user_id))
            .where(model_version_artifacts.c.digest.in_(chunk))
        )
        found.update(conn.execute(union(uploaded, in_runs, in_versions)).scalars())
    return found
