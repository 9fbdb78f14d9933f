"""Artifact routes: blobs by digest (streamed up and down, with Range) and manifests.

A client uploads a file by asking ``HEAD /api/v1/blobs/{digest}`` first and
sending ``PUT`` only when the server lacks it; then it records the file's
path with ``POST /api/v1/runs/{run_id}/artifacts``. Bytes are hashed on
arrival and refused when they do not match the digest in the URL.

With ``--auth``, a blob a non-admin may not read (see
``ArtifactService.may_read_blob``) answers exactly as a missing one. A PUT
of such a blob is read and hashed in full, as proof that the caller holds
the bytes, then lets them read it; the stored blob is not rewritten.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from modelreg.actor import acting_as
from modelreg.api.operations import API_PREFIX
from modelreg.api.route_permissions import USER, on_model, on_run
from modelreg.blobs import BlobRef, check_digest
from modelreg.blobs.s3_direct import direct_store
from modelreg.errors import InvalidArgument
from modelreg.server.api import json_response
from modelreg.server.guard import Guard
from modelreg.server.identity import actor_for
from modelreg.server.transfers import add_transfer_routes, readable_and_stored, receive_blob
from modelreg.server.uploads import consume_body

CHUNK = 1024 * 1024
DIRECT_HEADER = "x-modelreg-direct"


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class RecordArtifactsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entries: dict[str, ManifestEntry] = Field(max_length=100_000)


def _manifest_json(entries: dict[str, BlobRef]) -> dict[str, Any]:
    return {"entries": {p: {"digest": r.digest, "size": r.size} for p, r in entries.items()}}


class _BlobFileResponse(FileResponse):
    # Starlette reads each chunk on a worker thread; at its default 64 KiB the
    # thread hops, not the disk, bounded a download's speed.
    chunk_size = CHUNK


def build_artifact_router(backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, tags=["artifacts"])
    blobs = backend.blobs
    artifacts = backend.artifacts
    direct = direct_store(blobs)

    @router.head("/blobs/{digest}")
    @guard.requires(USER)
    def blob_exists(digest: str) -> Response:
        """200 with the size when the server holds the blob (and the caller may read
        it), 404 otherwise."""
        digest = check_digest(digest)
        # Access first: a missing and a refused blob cost the same query.
        if not artifacts.may_read_blob(digest) or not blobs.exists(digest):
            return Response(status_code=404)
        return Response(headers={"Content-Length": str(blobs.size(digest))})

    @router.get("/blobs/{digest}")
    @guard.requires(USER)
    def get_blob(digest: str, request: Request) -> Response:
        """The blob's bytes; honours a ``Range`` header. A client that sends
        ``X-Modelreg-Direct: 1`` to a server whose S3 store allows it is redirected
        (307) to a short-lived presigned S3 URL instead."""
        digest = check_digest(digest)
        artifacts.require_blob_access(digest)
        if direct is not None and request.headers.get(DIRECT_HEADER) == "1":
            blobs.size(digest)  # raises NotFound naming the blob
            return RedirectResponse(direct.download_url(digest), status_code=307)
        headers = {"Content-Disposition": f'attachment; filename="{digest}"'}
        local_path = getattr(blobs, "path", None)
        if local_path is not None:
            path = local_path(digest)
            if not path.exists():
                blobs.size(digest)  # raises NotFound naming the blob
            return _BlobFileResponse(path, media_type="application/octet-stream", headers=headers)
        size = blobs.size(digest)
        start, end = _byte_range(request.headers.get("range"), size)
        stream = blobs.open(digest)
        _skip(stream, start)

        def chunks() -> Any:
            remaining = end - start + 1
            with stream:
                while remaining > 0:
                    data = stream.read(min(CHUNK, remaining))
                    if not data:
                        break
                    remaining -= len(data)
                    yield data

        status = 206 if request.headers.get("range") else 200
        headers["Content-Length"] = str(end - start + 1)
        headers["Accept-Ranges"] = "bytes"
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return StreamingResponse(
            chunks(), status_code=status, media_type="application/octet-stream", headers=headers
        )

    @router.put("/blobs/{digest}")
    @guard.requires(USER)
    async def put_blob(digest: str, request: Request) -> Response:
        """Stores the request body as a blob; it must hash to ``digest``."""
        digest = check_digest(digest)
        return await consume_body(request, lambda body: store_blob(digest, body))

    def store_blob(digest: str, body: BinaryIO) -> Response:
        """``put_blob`` in a worker thread, ``body`` arriving as it is read."""
        if readable_and_stored(backend, digest):
            return json_response({"digest": digest, "size": blobs.size(digest), "stored": False})
        # A blob held but not readable by the caller is received whole (proof of
        # possession); the answer is the one a new blob gets, so it tells nobody
        # what others uploaded.
        ref = receive_blob(backend, digest, body)
        return json_response({"digest": ref.digest, "size": ref.size, "stored": True}, 201)

    @router.post("/runs/{run_id}/artifacts")
    @guard.requires(on_run("edit"))
    def record_artifacts(run_id: str, body: RecordArtifactsRequest, request: Request) -> Response:
        """Records uploaded blobs as files of the run (all of them or none)."""
        entries = {p: BlobRef(e.digest, e.size) for p, e in body.entries.items()}
        with acting_as(actor_for(request)):
            backend.artifacts.record_artifacts(run_id, entries)
        return json_response({})

    @router.get("/runs/{run_id}/manifest")
    @guard.requires(on_run("read"))
    def run_manifest(run_id: str, path: str = Query("")) -> Response:
        """Every file of the run under ``path``: path → digest and size."""
        return json_response(_manifest_json(backend.artifacts.manifest(run_id, path)))

    @router.get("/registered-models/{name}/versions/{version}/manifest")
    @guard.requires(on_model("read"))
    def version_manifest(name: str, version: int, path: str = Query("")) -> Response:
        """Every file of a model version under ``path``: path → digest and size."""
        return json_response(
            _manifest_json(backend.artifacts.version_manifest(name, version, path))
        )

    add_transfer_routes(router, backend, guard)
    return router


def _byte_range(header: str | None, size: int) -> tuple[int, int]:
    if not header:
        return 0, max(size - 1, 0)
    try:
        unit, _, spec = header.partition("=")
        first, _, last = spec.split(",")[0].strip().partition("-")
        if unit.strip() != "bytes":
            raise ValueError
        if first == "":
            start, end = max(size - int(last), 0), size - 1
        else:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        if start > end or start >= size:
            raise ValueError
    except ValueError:
        raise InvalidArgument(
            f"Range header {header!r:.80} is not a satisfiable byte range"
        ) from None
    return start, end


def _skip(stream: Any, count: int) -> None:
    while count > 0:
        data = stream.read(min(CHUNK, count))
        if not data:
            return
        count -= len(data)
