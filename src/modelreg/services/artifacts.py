"""Run and model-version artifacts: manifests of path → blob, on top of a blob store.

A run's artifacts are rows ``(run_id, path, digest, size)``; the bytes are
blobs named by their SHA-256, stored once however many paths, runs or versions
use them. A registered version copies the manifest entries it needs, so its
bytes outlive the run. Bytes are stored before the manifest rows that name
them are written (in one transaction), so a crash leaves at most an
unreferenced blob, which :meth:`ArtifactService.gc` removes.

Artifact paths are manifest keys, relative POSIX paths; they are checked by
:func:`check_artifact_path` before being stored and again before being joined
onto a download folder.

On a server with ``--auth`` a digest is not a key to a blob: a non-admin may
read a blob by its digest, or name it in a manifest, only if they uploaded
its bytes (:meth:`ArtifactService.note_upload`) or a run or model version
they may read holds it. To them, a blob they may not read is a blob the
server does not have.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from modelreg.artifact_files import (
    FileInfo,
    ManifestDownloads,
    check_artifact_path,
    check_binary_stream,
    local_file,
    local_files,
    one_level,
)
from modelreg.blobs import BlobRef, BlobStore, check_digest
from modelreg.blobs.base import map_in_threads
from modelreg.blobs.refs import AbandonedUpload
from modelreg.blobs.staging import RESUME_SECONDS, UploadStaging
from modelreg.errors import Conflict, InvalidArgument, NotFound
from modelreg.services.principal import current_principal, restricted_user_id
from modelreg.services.run_model_links import check_model_id
from modelreg.store import artifacts as store
from modelreg.store import logged_models as logged_store
from modelreg.store.tracking import get_run_info, require_active_run
from modelreg.timeutil import now_ms
from modelreg.validation import check_int

__all__ = ["ArtifactService", "BlobProblem"]

GC_GRACE_SECONDS = 3600
_THREADS = 8
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BlobProblem:
    """A blob that is ``"missing"`` or ``"corrupt"``, and the artifacts that use it."""

    digest: str
    problem: str
    used_by: tuple[str, ...] = ()


class ArtifactService(ManifestDownloads):
    """Logging, listing and downloading artifacts; garbage collection and verification."""

    def __init__(self, db: Any, blobs: BlobStore, tracking: Any) -> None:
        self.db = db
        self.blobs = blobs
        self.tracking = tracking

    # -- logging ---------------------------------------------------------------

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> BlobRef:
        """Stores the file ``local_path`` as ``<artifact_path>/<its name>`` of the run.

        Raises ``NotFound`` for an unknown run, ``InvalidArgument`` for a
        deleted run, a bad path or a ``local_path`` that is not a file, and
        ``Conflict`` when the path is already a folder of the run's artifacts.
        """
        path, source = local_file(local_path, artifact_path)
        self._require_active(run_id)
        ref = self.blobs.put_file(source)
        self._record(run_id, {path: ref})
        return ref

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> dict[str, BlobRef]:
        """Stores every file below ``local_dir`` under ``artifact_path``, keeping the layout.

        All files are uploaded first, then recorded in one transaction: a
        failure records none of them. Returns the new manifest entries.
        Raises as :meth:`log_artifact` does.
        """
        files = local_files(local_dir, artifact_path)
        self._require_active(run_id)
        refs = self._put_files(files)
        self._record(run_id, refs)
        return refs

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> BlobRef:
        """Stores ``data`` as the file ``artifact_file`` of the run (``log_text``, ``log_dict``).

        Raises as :meth:`log_artifact` does.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidArgument(f"data must be bytes, got {type(data).__name__}")
        path = check_artifact_path(artifact_file, "artifact_file")
        self._require_active(run_id)
        ref = self.blobs.put_bytes(bytes(data))
        self._record(run_id, {path: ref})
        return ref

    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> BlobRef:
        """Stores what ``stream`` reads, to its end, as the file ``artifact_file`` of the
        run, without holding it in memory. Raises as :meth:`log_artifact` does, and
        ``InvalidArgument`` for a text stream."""
        path = check_artifact_path(artifact_file, "artifact_file")
        check_binary_stream(stream)
        self._require_active(run_id)
        ref = self.blobs.put_stream(stream)
        self._record(run_id, {path: ref})
        return ref

    def _require_active(self, run_id: str) -> None:
        with self.db.read() as conn:
            require_active_run(conn, _check_run_id(run_id))

    def _put_files(self, files: dict[str, Path]) -> dict[str, BlobRef]:
        refs = self.blobs.put_files(list(files.values()), threads=_THREADS)
        return dict(zip(files, refs, strict=True))

    def record_artifacts(self, run_id: str, entries: dict[str, BlobRef]) -> None:
        """Records blobs already in the store as files of the run, all of them or none.

        This is how a remote client logs: it uploads the blobs, then names
        them. Raises ``InvalidArgument`` for a bad path or digest, or when a
        blob is missing from the store (or, with ``--auth``, is one the
        caller may not read: see :meth:`may_read_blob`) or has another size,
        and as :meth:`log_artifact` for the run.
        """
        checked = {
            check_artifact_path(p): BlobRef(check_digest(r.digest), r.size)
            for p, r in entries.items()
        }
        self._require_active(run_id)
        self._check_stored(checked)
        self._record(run_id, checked)

    def _check_stored(self, checked: dict[str, BlobRef]) -> None:
        """Raises ``InvalidArgument`` unless every blob is stored with its size and the
        caller may read it (one it may not is refused exactly as a missing one)."""
        readable = self._readable({ref.digest for ref in checked.values()})

        def check_stored(item: tuple[str, BlobRef]) -> None:
            path, ref = item
            size = None
            # A blob the caller may not read is refused exactly as a missing one.
            if readable is None or ref.digest in readable:
                try:
                    size = self.blobs.size(ref.digest)
                except NotFound:
                    pass
            if size is None:
                raise InvalidArgument(
                    f"artifact '{path}' names blob {ref.digest}, which was never uploaded"
                )
            if size != ref.size:
                raise InvalidArgument(
                    f"artifact '{path}' says blob {ref.digest} has {ref.size} bytes; it has {size}"
                )

        _run_all(check_stored, list(checked.items()))

    # -- logged models ---------------------------------------------------------------

    def log_model_artifacts(
        self, model_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> dict[str, BlobRef]:
        """Stores every file below ``local_dir`` as a file of the logged model (under
        ``artifact_path``), keeping the layout; all are uploaded, then recorded together.
        Raises ``NotFound`` for an unknown model and as :meth:`log_artifacts` for the
        files."""
        files = local_files(local_dir, artifact_path)
        self._require_model(model_id)
        refs = self._put_files(files)
        self._record_model(model_id, refs)
        return refs

    def record_logged_model_artifacts(
        self, model_id: str, entries: dict[str, dict[str, Any]]
    ) -> None:
        """Records blobs already in the store (``path: {"digest", "size"}``) as files of
        the logged model, all or none: how a remote client logs them. Raises ``NotFound``
        for an unknown model and ``InvalidArgument`` as :meth:`record_artifacts` does."""
        if not isinstance(entries, dict):
            raise InvalidArgument("entries must map a path to its digest and size")
        checked: dict[str, BlobRef] = {}
        for path, entry in entries.items():
            if not isinstance(entry, dict):
                raise InvalidArgument(f'entry \'{path:.200}\' must be {{"digest", "size"}}')
            size = check_int(entry.get("size"), f"size of '{path:.200}'", minimum=0)
            checked[check_artifact_path(path)] = BlobRef(check_digest(entry.get("digest")), size)
        self._require_model(model_id)
        self._check_stored(checked)
        self._record_model(model_id, checked)

    def _require_model(self, model_id: str) -> None:
        with self.db.read() as conn:
            logged_store.require_model(conn, check_model_id(model_id))

    def _record_model(self, model_id: str, entries: dict[str, BlobRef]) -> None:
        with self.db.write() as conn:
            logged_store.require_model(conn, model_id)
            logged_store.upsert_entries(conn, model_id, entries)
            logged_store.set_fields(conn, model_id, now_ms())

    def _record(self, run_id: str, entries: dict[str, BlobRef]) -> None:
        with self.db.write() as conn:
            require_active_run(conn, run_id)
            _check_no_file_folder_clash(store.run_paths(conn, run_id), entries)
            store.upsert_run_entries(conn, run_id, entries)

    # -- blobs by digest ---------------------------------------------------------

    def _readable(self, digests: set[str]) -> set[str] | None:
        """Which of ``digests`` the caller may read by digest; ``None``: all of them."""
        user_id = restricted_user_id()
        if user_id is None:
            return None
        with self.db.read() as conn:
            return store.readable_digests(conn, digests, user_id)

    def may_read_blob(self, digest: str) -> bool:
        """Whether the caller may read blob ``digest`` (the blob need not exist).

        Always true embedded, without auth and for admins; otherwise the
        caller must have uploaded it or may read a run or version holding it."""
        readable = self._readable({check_digest(digest)})
        return readable is None or digest in readable

    def require_blob_access(self, digest: str) -> None:
        """Raises ``NotFound`` unless the caller may read blob ``digest``, with the very
        message of a missing blob, so a refusal says nothing about what the server holds."""
        if not self.may_read_blob(digest):
            raise NotFound(f"blob {digest} is not in the artifact store")

    def note_upload(self, digest: str) -> None:
        """Records that the authenticated caller sent the bytes of blob ``digest``, which
        lets them read it and name it in manifests from then on. Nothing embedded or
        without auth, where nobody is told apart."""
        principal = current_principal()
        if principal is None or principal.user_id is None or principal.user_id < 0:
            return
        with self.db.write() as conn:
            store.record_upload(conn, check_digest(digest), principal.user_id, now_ms())

    # -- reading ---------------------------------------------------------------

    def manifest(self, run_id: str, path: str = "") -> dict[str, BlobRef]:
        """The run's artifacts at or below ``path`` (default: all): path → ``(digest, size)``.

        Raises ``NotFound`` for an unknown run, ``InvalidArgument`` for a bad path.
        """
        prefix = check_artifact_path(path or "", "path", allow_root=True)
        with self.db.read() as conn:
            self._require_run(conn, run_id)
            return store.run_entries(conn, run_id, prefix)

    def version_manifest(self, model_name: str, version: int, path: str = "") -> dict[str, BlobRef]:
        """A model version's artifacts at or below ``path``: path → ``(digest, size)``.

        Raises ``NotFound`` for an unknown version, ``InvalidArgument`` for a bad path.
        """
        prefix = check_artifact_path(path or "", "path", allow_root=True)
        version = check_int(version, "version", minimum=1)
        with self.db.read() as conn:
            return store.version_entries(conn, store.version_id(conn, model_name, version), prefix)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly inside ``path`` (the root by default), sorted.

        A ``path`` that is a file or holds nothing gives ``[]``. Raises
        ``NotFound`` for an unknown run and ``InvalidArgument`` for a bad path.
        """
        prefix = check_artifact_path(path or "", "path", allow_root=True)
        with self.db.read() as conn:
            self._require_run(conn, run_id)
            entries = store.run_entries(conn, run_id, prefix)
        return one_level(entries, prefix)

    def _require_run(self, conn: Connection, run_id: str) -> None:
        get_run_info(conn, _check_run_id(run_id))

    # -- housekeeping ----------------------------------------------------------

    def gc(self, dry_run: bool = False, grace_seconds: float = GC_GRACE_SECONDS) -> list[str]:
        """Deletes blobs no run or version manifest names; returns their digests, sorted.

        Blobs written less than ``grace_seconds`` ago are spared: an upload
        stores its blob a moment before the manifest row naming it. With
        ``dry_run`` nothing is deleted.
        """
        with self.db.read() as conn:
            referenced = store.referenced_digests(conn)
        doomed = sorted(
            digest
            for digest in self.blobs.iter_digests()
            if digest not in referenced
            and (grace_seconds <= 0 or self.blobs.blob_age_seconds(digest) >= grace_seconds)
        )
        if not dry_run:
            for digest in doomed:
                self.blobs.delete(digest)
                log.info("gc deleted blob %s, which no run or version names", digest)
        return doomed

    def remove_abandoned_uploads(
        self, idle_seconds: float = GC_GRACE_SECONDS, dry_run: bool = False
    ) -> list[AbandonedUpload]:
        """Removes what uploads cut short left behind, once nothing touched it for
        ``idle_seconds``: a killed writer's temporary files and incomplete multipart
        uploads in the store, and chunked uploads staged for the server, which are kept
        for ``RESUME_SECONDS`` at least so they can be resumed. Returns what it removed
        (with ``dry_run``, what it would remove), oldest first."""
        found = self.blobs.remove_abandoned_uploads(idle_seconds, dry_run=dry_run)
        staging = UploadStaging.for_store(self.blobs)
        found += staging.remove_abandoned(max(idle_seconds, RESUME_SECONDS), dry_run=dry_run)
        if not dry_run:
            for upload in found:
                log.info("gc removed %s, left by an upload cut short", upload.where)
        return sorted(found, key=lambda upload: -upload.idle_seconds)

    def verify(self, progress: Callable[[int, int], None] | None = None) -> list[BlobProblem]:
        """Re-hashes every stored blob, several at once, and checks every referenced one
        exists; ``progress(checked, total)`` is called as blobs are checked.

        Returns the problems found (corrupt or missing blobs, with the
        artifacts using them), sorted by digest; an empty list means all is well.
        """
        with self.db.read() as conn:
            referenced = store.referenced_digests(conn)
        stored = sorted(self.blobs.iter_digests())
        checked = [0]
        lock = threading.Lock()  # so progress hears 1, 2, 3 … in order

        def intact(digest: str) -> bool:
            ok = self.blobs.verify(digest)
            if progress is not None:
                with lock:
                    checked[0] += 1
                    progress(checked[0], len(stored))
            return ok

        problems = {d: "missing" for d in referenced.difference(stored)}
        for digest, ok in zip(stored, map_in_threads(intact, stored, _THREADS), strict=True):
            if not ok:
                problems[digest] = "corrupt"
        with self.db.read() as conn:
            users: dict[str, list[str]] = {}
            for digest, use in store.users_of(conn, problems):
                users.setdefault(digest, []).append(use)
        return [
            BlobProblem(digest, problems[digest], tuple(sorted(users.get(digest, ()))))
            for digest in sorted(problems)
        ]


def _check_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not run_id:
        raise InvalidArgument(f"run_id must be a non-empty string, got {run_id!r:.40}")
    return run_id


def _check_no_file_folder_clash(existing: set[str], new: Iterable[str]) -> None:
    """A path cannot be both a file and a folder of the same manifest."""
    new_paths = set(new)
    files = existing | new_paths
    folders = {p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)}
    for path in sorted(new_paths):
        if path in folders:
            raise Conflict(f"artifact path '{path}' is already a folder of this run's artifacts")
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent in files:
                raise Conflict(
                    f"artifact path '{path}' cannot be stored: '{parent}' is a file "
                    "of this run's artifacts"
                )


def _run_all(fn: Callable[[Any], None], jobs: list[Any]) -> None:
    map_in_threads(fn, jobs, _THREADS)
