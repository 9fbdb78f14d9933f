"""Routes for big and many files: resumable chunked uploads, batches of small blobs.

Chunked upload of a big file (see ``blobs.staging``)::

    POST /api/v1/uploads                        declare: digest, size, chunk_size, chunks
         -> {"upload_id", "received": [chunk indexes the server has]}  or {"stored": true}
    PUT  /api/v1/blobs/chunks/{upload_id}/{i}   chunk i's bytes, checked against its digest
    POST /api/v1/uploads/{upload_id}/complete   the declaration again: the whole blob is
                                                checked, then made visible
    DELETE /api/v1/uploads/{upload_id}          give up

On a server on S3 that allows it (``blobs.s3_direct``), the declaration's
answer also carries ``parts``: a presigned S3 URL per missing chunk, which
the client PUTs to S3 itself instead of to the chunk route.

Many small files::

    POST /api/v1/uploads/missing                which of these digests must be sent
    POST /api/v1/blobs/batch                    one body: a JSON line naming [digest, size]
                                                pairs, then their bytes back to back
    POST /api/v1/downloads                      the other way: a JSON line of sizes, then
                                                the bytes of the digests asked for

Every route requires an authenticated user (checked before any body is
read), and an upload belongs to the user who declared it: another user's
upload id answers 404. A blob the server holds but the caller may not read
is received in full, as the single PUT does, as proof of possession.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from modelreg.api.route_permissions import USER
from modelreg.blobs import BlobRef, check_digest
from modelreg.blobs.s3_direct import direct_store
from modelreg.blobs.staging import MAX_CHUNKS, UploadPlan, UploadStaging
from modelreg.blobs.streams import LimitedReader, copy_hashing
from modelreg.errors import InvalidArgument, NotFound
from modelreg.server.api import json_response
from modelreg.server.guard import Guard
from modelreg.server.identity import actor_for
from modelreg.server.uploads import consume_body

DIGEST = r"^[0-9a-f]{64}$"
BATCH_MAX_BLOBS = 10_000
BATCH_MAX_BLOB_BYTES = 64 * 1024 * 1024
BATCH_MAX_HEAD_BYTES = 2 * 1024 * 1024
_READ_BUFFER = 1024 * 1024


class BeginUploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digest: str = Field(pattern=DIGEST)
    size: int = Field(ge=1)
    chunk_size: int = Field(ge=1)
    chunks: list[str] = Field(max_length=MAX_CHUNKS)


class MissingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digests: list[str] = Field(max_length=100_000)


def receive_blob(backend: Any, digest: str, body: BinaryIO) -> BlobRef:
    """Stores ``body`` as blob ``digest`` (or, when the server holds it but the caller may
    not read it, reads it all as proof of possession); lets the caller read it from now on.

    Raises ``InvalidArgument`` when the bytes do not hash to ``digest``.
    """
    blobs, artifacts = backend.blobs, backend.artifacts
    ref = copy_hashing(body) if blobs.exists(digest) else blobs.put_stream(body)
    if ref.digest != digest:
        raise InvalidArgument(
            f"the uploaded bytes hash to {ref.digest}, not to {digest} named in the request; "
            "the upload was damaged or the digest is wrong"
        )
    artifacts.note_upload(digest)
    return ref


def readable_and_stored(backend: Any, digest: str) -> bool:
    """Whether the server holds blob ``digest`` and the caller may read it."""
    return backend.artifacts.may_read_blob(digest) and backend.blobs.exists(digest)


def add_transfer_routes(router: APIRouter, backend: Any, guard: Guard) -> None:
    """Adds the routes above to ``router`` (prefixed ``/api/v1``)."""
    staging = UploadStaging.for_store(backend.blobs)
    direct = direct_store(backend.blobs)

    @router.post("/uploads")
    @guard.requires(USER)
    def begin_upload(body: BeginUploadRequest, request: Request) -> Response:
        """Declares a chunked upload, or finds it again; says which chunks the server has
        and, when uploads go straight to S3, where to PUT each other one."""
        if readable_and_stored(backend, body.digest):
            return json_response({"stored": True, "digest": body.digest, "size": body.size})
        plan = _plan(body, request)
        answer: dict[str, Any] = {"stored": False, "upload_id": plan.upload_id}
        if direct is not None and direct.accepts(plan.check()):
            answer["received"], answer["parts"] = direct.begin(plan)
        else:
            answer["received"] = staging.begin(plan)[1]
        return json_response(answer, 201)

    @router.put("/blobs/chunks/{upload_id}/{index}")
    @guard.requires(USER)
    async def put_chunk(upload_id: str, index: int, request: Request) -> Response:
        """Stores chunk ``index`` of an upload; 400 unless the body is exactly its length.
        Its bytes are checked when the upload completes."""
        plan = await anyio.to_thread.run_sync(staging.plan, upload_id, actor_for(request))
        plan.span(index)  # an unknown chunk is refused before its body is read
        await consume_body(request, lambda body: staging.put_chunk(plan, index, body))
        return json_response({"index": index}, 201)

    @router.post("/uploads/{upload_id}/complete")
    @guard.requires(USER)
    def complete_upload(upload_id: str, body: BeginUploadRequest, request: Request) -> Response:
        """Checks the assembled blob against its digest and stores it; 409 naming the chunks
        to send again when some are missing or damaged. The body repeats the declaration."""
        plan = _plan(body, request)
        if plan.upload_id != upload_id:
            raise NotFound(f"no upload '{upload_id}' of this blob; declare it again")
        try:
            if direct is not None and direct.accepts(plan.check()):
                ref = direct.complete(plan)
            else:
                ref = staging.complete(plan, backend.blobs)
        except NotFound:
            # Completed already (a retry whose first answer was lost): the blob is there.
            if not readable_and_stored(backend, plan.digest):
                raise
            ref = BlobRef(plan.digest, plan.size)
        backend.artifacts.note_upload(ref.digest)
        return json_response({"digest": ref.digest, "size": ref.size, "stored": True})

    @router.delete("/uploads/{upload_id}")
    @guard.requires(USER)
    def abort_upload(upload_id: str, request: Request) -> Response:
        """Forgets an unfinished upload and its bytes."""
        staging.abort(upload_id, actor_for(request))
        return json_response({})

    @router.post("/uploads/missing")
    @guard.requires(USER)
    def missing_blobs(body: MissingRequest) -> Response:
        """The digests among ``digests`` the caller must send: those the server lacks or
        the caller may not read."""
        digests = [check_digest(d) for d in body.digests]
        return json_response(
            {"missing": [d for d in digests if not readable_and_stored(backend, d)]}
        )

    @router.post("/downloads")
    @guard.requires(USER)
    def get_batch(body: MissingRequest) -> Response:
        """Several small blobs in one answer: a JSON line ``{"sizes": [...]}``, then their
        bytes back to back, in the order asked. A blob the caller may not read answers
        404 for the whole request, as a missing one does."""
        digests = [check_digest(d) for d in body.digests]
        sizes = []
        for digest in digests:
            backend.artifacts.require_blob_access(digest)
            sizes.append(backend.blobs.size(digest))
            if sizes[-1] > BATCH_MAX_BLOB_BYTES:
                raise InvalidArgument(
                    f"blob {digest} has {sizes[-1]} bytes, too many for a batch (at most "
                    f"{BATCH_MAX_BLOB_BYTES}); fetch it on its own"
                )

        def chunks() -> Iterator[bytes]:
            yield json.dumps({"sizes": sizes}).encode() + b"\n"
            for digest in digests:
                with backend.blobs.open(digest) as f:
                    while data := f.read(_READ_BUFFER):
                        yield data

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    @router.post("/blobs/batch")
    @guard.requires(USER)
    async def put_batch(request: Request) -> Response:
        """Stores several small blobs sent in one body; all are checked, each is kept once
        its bytes match (a damaged one is refused with the rest of the batch unread)."""
        refs = await consume_body(request, lambda body: _store_batch(backend, body))
        return json_response({"blobs": [{"digest": r.digest, "size": r.size} for r in refs]}, 201)


def _plan(body: BeginUploadRequest, request: Request) -> UploadPlan:
    return UploadPlan(
        actor_for(request), body.digest, body.size, body.chunk_size, tuple(body.chunks)
    )


def _store_batch(backend: Any, raw: BinaryIO) -> list[BlobRef]:
    body = io.BufferedReader(cast(Any, raw), _READ_BUFFER)
    entries = _batch_head(body.readline(BATCH_MAX_HEAD_BYTES))
    refs = []
    for digest, size in entries:
        part = LimitedReader(body, size)
        refs.append(receive_blob(backend, digest, cast(BinaryIO, part)))
        if part.left:
            raise InvalidArgument(f"the batch body ended inside blob {digest}")
    if body.read(1):
        raise InvalidArgument("the batch body is longer than the blobs it names")
    return refs


def _batch_head(line: bytes) -> list[tuple[str, int]]:
    """The ``[digest, size]`` pairs of a batch's first line; ``InvalidArgument`` if bad."""
    if not line.endswith(b"\n"):
        raise InvalidArgument(
            f"a batch starts with one JSON line of at most {BATCH_MAX_HEAD_BYTES} bytes"
        )
    try:
        pairs = json.loads(line)["blobs"]
        entries = [(check_digest(d), int(s)) for d, s in pairs]
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument(
            'a batch starts with {"blobs": [[digest, size], ...]} on one line'
        ) from None
    if len(entries) > BATCH_MAX_BLOBS:
        raise InvalidArgument(f"a batch holds at most {BATCH_MAX_BLOBS} blobs")
    for digest, size in entries:
        if not 0 <= size <= BATCH_MAX_BLOB_BYTES:
            raise InvalidArgument(
                f"blob {digest} of {size} bytes cannot go in a batch (at most "
                f"{BATCH_MAX_BLOB_BYTES}); upload it on its own"
            )
    return entries
