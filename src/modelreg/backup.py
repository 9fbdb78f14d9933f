"""Export a whole registry to a portable archive, and import one into any backend.

An archive is a folder::

    manifest.json              format, schema revision, per-table columns, row count, sha256
    tables/<table>.jsonl       one JSON array per row, in the manifest's column order
    blobs/ab/cdef…             every artifact blob the tables refer to, named by its sha256

It holds everything: experiments, runs, params, full metric histories, tags,
artifact manifests, registered models, versions, aliases, audit events,
governance tables (cards, policies, datasets, lineage, webhooks) and access
control (users, hashed tokens, permissions), read from one consistent
snapshot of the database; not the answers a server keeps for a day for
clients that repeat a request. ``manifest.json`` is written last, so a folder
without it is an export that did not finish.

Digests are checked both ways: export verifies each blob's bytes as it copies
them out of the artifact store, import re-hashes each table file and each
blob before the target sees it, and refuses an archive in which a manifest
names a blob it lacks. The import writes all metadata in one transaction
into an empty registry (a fresh database is migrated first), after the
blobs: a failure leaves the target as it was, at most with unreferenced
blobs that ``modelreg gc`` removes. Ids are kept, so ``models:/`` URIs, run
ids and audit trails mean the same thing after the move.

An archive holds webhook secrets and token hashes: keep it as private as the
database itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelreg.blobs import BlobStore, open_blob_store
from modelreg.blobs.base import blob_key, check_digest, map_in_threads
from modelreg.blobs.streams import check_matches, hash_file
from modelreg.errors import Conflict, IntegrityError, InvalidArgument
from modelreg.store import backup as store
from modelreg.store.database import HEAD_REVISION, Database
from modelreg.store.governance import move_input_tags_out_of_sources, move_shared_descriptions
from modelreg.store.lookalikes import refresh_all_keys
from modelreg.store.modelreg_names import rename_to_modelreg_names
from modelreg.store.registry import refresh_all_top_semvers
from modelreg.timeutil import now_ms

__all__ = ["FORMAT", "FORMAT_VERSION", "Summary", "export_registry", "import_registry"]

FORMAT = "modelreg-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_ARTIFACT_TABLES = {"run_artifacts", "model_version_artifacts"}
_THREADS = 8


@dataclass
class Summary:
    """What an export or import moved: rows per table, and blobs with their total size."""

    path: str
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    blob_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "rows": self.rows,
            "blobs": self.blobs,
            "blob_bytes": self.blob_bytes,
        }


# -- export ----------------------------------------------------------------------------


def export_registry(db_url: str, artifacts_uri: str, dest: str | os.PathLike[str]) -> Summary:
    """Writes the registry at ``db_url`` + ``artifacts_uri`` into the new folder ``dest``.

    Raises ``Conflict`` when ``dest`` exists and is not empty or when the
    database schema is not current, ``IntegrityError`` naming a blob whose
    bytes do not match its digest and ``NotFound`` for a blob the store lacks.
    """
    root = Path(dest)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise Conflict(f"export destination '{root}' exists and is not an empty folder")
    db = Database(db_url)
    blobs = open_blob_store(artifacts_uri)
    try:
        db.ensure_schema(upgrade=False)
        (root / "tables").mkdir(parents=True, exist_ok=True)
        summary = Summary(str(root))
        described: dict[str, Any] = {}
        digests: set[str] = set()
        with store.snapshot(db) as conn:
            for table in store.tables():
                columns = [c.name for c in table.columns]
                count, sha = _write_table(root, table.name, store.rows(conn, table))
                described[table.name] = {"columns": columns, "rows": count, "sha256": sha}
                summary.rows[table.name] = count
                if table.name in _ARTIFACT_TABLES:
                    digests |= _digests_in(root / "tables" / f"{table.name}.jsonl", columns)
    finally:
        db.dispose()
    sizes = map_in_threads(lambda d: _copy_out(blobs, d, root), sorted(digests), _THREADS)
    summary.blobs, summary.blob_bytes = len(sizes), sum(sizes)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": HEAD_REVISION,
        "created": now_ms(),
        "tables": described,
        "blobs": {"count": summary.blobs, "bytes": summary.blob_bytes},
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return summary


def _write_table(root: Path, name: str, rows: Iterator[tuple[Any, ...]]) -> tuple[int, str]:
    h = hashlib.sha256()
    count = 0
    with open(root / "tables" / f"{name}.jsonl", "wb") as out:
        for row in rows:
            line = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            h.update(line)
            out.write(line)
            count += 1
    return count, h.hexdigest()


def _digests_in(path: Path, columns: list[str]) -> set[str]:
    index = columns.index("digest")
    with open(path, "rb") as f:
        return {check_digest(json.loads(line)[index]) for line in f}


def _copy_out(blobs: BlobStore, digest: str, root: Path) -> int:
    target = root / blob_key(digest)
    blobs.get_file(digest, target, what=f"blob {digest}")  # verified against the digest
    return target.stat().st_size


# -- import ----------------------------------------------------------------------------


def import_registry(src: str | os.PathLike[str], db_url: str, artifacts_uri: str) -> Summary:
    """Loads the archive folder ``src`` into the empty registry ``db_url`` + ``artifacts_uri``.

    A database without a schema is migrated first. Raises ``InvalidArgument``
    for a folder that is not a complete archive of a format this version
    reads, ``IntegrityError`` for a table file or blob whose bytes do not
    match its digest or a blob the archive lacks, and ``Conflict`` when the
    target registry already holds data.
    """
    root = Path(src)
    manifest = _read_manifest(root)
    tables = {t.name: t for t in store.tables()}
    described: dict[str, Any] = manifest["tables"]
    for name, info in described.items():
        _check_table(root, name, info, tables)
    digests = _referenced_digests(root, described)
    missing = sorted(d for d in digests if not (root / blob_key(d)).is_file())
    if missing:
        raise IntegrityError(
            f"archive lacks {len(missing)} blob(s) its artifact manifests name, e.g. {missing[0]}"
        )
    db = Database(db_url)
    try:
        db.ensure_schema(upgrade=True)
        with db.read() as conn:
            busy = store.holds_data(conn)
        if busy:
            raise Conflict(
                f"the target registry at {db.safe_url} is not empty ({', '.join(busy)} hold "
                "rows); import into a new database"
            )
        blobs = open_blob_store(artifacts_uri)
        sizes = map_in_threads(lambda d: _copy_in(blobs, d, root), sorted(digests), _THREADS)
        summary = Summary(str(root), blobs=len(sizes), blob_bytes=sum(sizes))
        with db.write() as conn:
            store.remove_default_experiment(conn)
            for table in store.tables():
                info = described.get(table.name)
                if info is not None:
                    summary.rows[table.name] = _load_table(conn, root, table, info["columns"])
            store.advance_sequences(conn)
            # Derived, so recomputed rather than trusted (an archive of a
            # schema before 0006 has no top_semver at all, one before 0010 no keys).
            refresh_all_top_semvers(conn)
            rename_to_modelreg_names(conn)  # an archive written before 0009
            refresh_all_keys(conn)
            move_shared_descriptions(conn)
            move_input_tags_out_of_sources(conn)  # an archive written before 0022
        db.refresh_statistics()
    finally:
        db.dispose()
    return summary


def _read_manifest(root: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except FileNotFoundError:
        raise InvalidArgument(
            f"'{root}' is not a modelreg archive, or its export did not finish: "
            f"it has no {MANIFEST}"
        ) from None
    except ValueError as exc:
        raise InvalidArgument(f"{root / MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidArgument(f"'{root}' is not a modelreg archive")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InvalidArgument(
            f"archive format version {manifest.get('format_version')} is not "
            f"{FORMAT_VERSION}; use the modelreg version that wrote it"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or not all(
        isinstance(info, dict) and {"columns", "rows", "sha256"} <= info.keys()
        for info in tables.values()
    ):
        raise InvalidArgument(f"{root / MANIFEST} does not describe the archive's tables")
    from modelreg.store.migrate import all_revisions

    if manifest.get("schema_revision") not in all_revisions():
        raise InvalidArgument(
            f"archive schema revision {manifest.get('schema_revision')} is newer than this "
            "modelreg knows; upgrade modelreg"
        )
    return manifest


def _check_table(root: Path, name: str, info: dict[str, Any], tables: dict[str, Any]) -> None:
    table = tables.get(name)
    if table is None:
        raise InvalidArgument(f"archive table '{name}' does not exist in this schema")
    unknown = set(info["columns"]) - set(table.columns.keys()) - store.dropped_columns(name)
    if unknown:
        raise InvalidArgument(f"archive table '{name}' has unknown columns {sorted(unknown)}")
    h = hashlib.sha256()
    count = 0
    try:
        with open(root / "tables" / f"{name}.jsonl", "rb") as f:
            for line in f:
                h.update(line)
                count += 1
    except FileNotFoundError:
        raise IntegrityError(f"archive table file tables/{name}.jsonl is missing") from None
    if h.hexdigest() != info["sha256"] or count != info["rows"]:
        raise IntegrityError(
            f"archive table file tables/{name}.jsonl does not match its manifest "
            f"({count} rows, sha256 {h.hexdigest()}; expected {info['rows']} rows, "
            f"sha256 {info['sha256']})"
        )


def _referenced_digests(root: Path, described: dict[str, Any]) -> set[str]:
    digests: set[str] = set()
    for name in _ARTIFACT_TABLES & set(described):
        digests |= _digests_in(root / "tables" / f"{name}.jsonl", described[name]["columns"])
    return digests


def _copy_in(blobs: BlobStore, digest: str, root: Path) -> int:
    path = root / blob_key(digest)
    # Hashed before it is stored, so a damaged blob never reaches the target store.
    check_matches(hash_file(path).digest, digest, f"archive blob {digest}")
    ref = blobs.put_file(path)
    check_matches(ref.digest, digest, f"archive blob {digest}")
    return ref.size


def _load_table(conn: Any, root: Path, table: Any, columns: list[str]) -> int:
    count = 0
    batch: list[Any] = []
    with open(root / "tables" / f"{table.name}.jsonl", "rb") as f:
        for line in f:
            batch.append(json.loads(line))
            if len(batch) >= store.BATCH:
                store.insert_rows(conn, table, columns, batch)
                count += len(batch)
                batch = []
    store.insert_rows(conn, table, columns, batch)
    return count + len(batch)
