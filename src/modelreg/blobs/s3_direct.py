"""Chunked uploads and downloads that go straight between a client and S3.

When a server on S3 allows it (``MODELREG_S3_DIRECT=1``), a chunked upload
(see ``blobs.staging``) becomes an S3 multipart upload to a staging key,
``<prefix>/uploads/<upload id>``: the server hands out a presigned URL per
missing part, each signed with the part's declared SHA-256 (S3 refuses a
part whose bytes do not match it), and the client PUTs the parts to S3
itself. Declaring the upload again finds the multipart upload and the parts
S3 already holds, so an interrupted upload resumes.

Completion is the server's: it checks that every part is there with its
size, completes the multipart upload at the staging key, and reads the
object back once, hashing the whole of it and each part (memory stays flat),
so the blob's digest is checked on every byte whatever S3 was told. Only
then is the object copied (server-side, inside S3) to its blob key and the
staging object deleted; a damaged upload is deleted instead and must be sent
again. The staging key is outside ``blobs/``, so readers never see it.
Multipart uploads abandoned by their clients are aborted by ``modelreg gc``
once a day passed without a part (``RESUME_SECONDS``), or earlier by an
``AbortIncompleteMultipartUpload`` lifecycle rule of the bucket.

Downloads get a short-lived presigned GET of the blob's key.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from modelreg import settings
from modelreg.blobs.refs import BlobRef
from modelreg.blobs.s3 import S3BlobStore
from modelreg.blobs.staging import UploadPlan
from modelreg.errors import Conflict

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's smallest part but the last
URL_SECONDS = 3600
DOWNLOAD_URL_SECONDS = 300
_READ = 8 * 1024 * 1024


def direct_store(store: Any) -> S3Direct | None:
    """Direct transfers for ``store`` when it is on S3 and ``MODELREG_S3_DIRECT`` allows it."""
    allowed = (settings.S3_DIRECT.get() or "").lower() in ("1", "true", "yes")
    return S3Direct(store) if allowed and isinstance(store, S3BlobStore) else None


class S3Direct:
    """Presigned multipart uploads and presigned downloads for one S3 blob store."""

    def __init__(self, store: S3BlobStore) -> None:
        self.store = store

    def accepts(self, plan: UploadPlan) -> bool:
        """Whether S3 can take the plan's chunks as parts (all but the last ≥ 5 MiB)."""
        return plan.chunk_size >= MIN_PART_SIZE

    def _key(self, plan: UploadPlan) -> str:
        prefix = f"{self.store.prefix}/" if self.store.prefix else ""
        return f"{prefix}uploads/{plan.upload_id}"

    # -- uploading -----------------------------------------------------------------

    def begin(self, plan: UploadPlan) -> tuple[list[int], dict[str, str]]:
        """Starts (or finds again) the multipart upload; returns the chunks S3 holds and a
        presigned URL for each other one, by chunk index."""
        client, key = self.store.client, self._key(plan)
        with self.store.translated_errors(plan.digest):
            upload_id = self._multipart_id(key)
            if upload_id is None:
                upload_id = client.create_multipart_upload(
                    Bucket=self.store.bucket, Key=key, ChecksumAlgorithm="SHA256"
                )["UploadId"]
            held = self._parts(key, upload_id)
            received = [
                i for i in range(len(plan.chunks)) if held.get(i + 1, (0, ""))[0] == plan.span(i)[1]
            ]
            urls = {
                str(i): client.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": self.store.bucket,
                        "Key": key,
                        "UploadId": upload_id,
                        "PartNumber": i + 1,
                        "ChecksumSHA256": _b64(plan.chunks[i]),
                    },
                    ExpiresIn=URL_SECONDS,
                )
                for i in range(len(plan.chunks))
                if i not in received
            }
        return received, urls

    def complete(self, plan: UploadPlan) -> BlobRef:
        """Checks and stores the uploaded blob (see the module docstring).

        Raises ``Conflict`` with ``details["missing"]`` naming the chunks to
        send (all of them once the assembled bytes proved wrong).
        """
        client, key, bucket = self.store.client, self._key(plan), self.store.bucket
        ref = BlobRef(plan.digest, plan.size)
        with self.store.translated_errors(plan.digest):
            upload_id = self._multipart_id(key)
            if upload_id is None:
                raise Conflict(
                    "the upload has no parts on S3; declare it again",
                    details={"missing": list(range(len(plan.chunks)))},
                )
            held = self._parts(key, upload_id)
            missing = [
                i for i in range(len(plan.chunks)) if held.get(i + 1, (0, ""))[0] != plan.span(i)[1]
            ]
            if missing:
                raise Conflict(
                    f"the upload cannot complete: {len(missing)} parts are not on S3",
                    details={"missing": missing},
                )
            client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": n, "ETag": held[n][1]}
                        for n in range(1, len(plan.chunks) + 1)
                    ]
                },
            )
            try:
                bad = self._damaged(plan, key)
                if bad is not None:
                    raise Conflict(
                        f"the uploaded parts {bad} do not hash to their declared digests "
                        "(or the whole to the blob's); send the file again",
                        details={"missing": list(range(len(plan.chunks)))},
                    )
                if not self.store.exists(plan.digest):
                    client.copy(
                        {"Bucket": bucket, "Key": key},
                        bucket,
                        self.store.key(plan.digest),
                        ExtraArgs={"ChecksumAlgorithm": "SHA256"},
                        Config=self.store.transfer_config,
                    )
            finally:
                client.delete_object(Bucket=bucket, Key=key)
        return ref

    def _damaged(self, plan: UploadPlan, key: str) -> list[int] | None:
        """Reads the staged object once: ``None`` when its size, parts and whole match the
        plan; otherwise the damaged parts' indexes (empty when only the whole is off)."""
        body = self.store.client.get_object(Bucket=self.store.bucket, Key=key)["Body"]
        whole, part = hashlib.sha256(), hashlib.sha256()
        size, index, filled, bad = 0, 0, 0, []
        with body:
            while data := body.read(_READ):
                size += len(data)
                whole.update(data)
                view = memoryview(data)
                while view:
                    take = min(len(view), plan.chunk_size - filled)
                    part.update(view[:take])
                    filled += take
                    view = view[take:]
                    if filled == plan.chunk_size or (size == plan.size and not view):
                        if index >= len(plan.chunks) or part.hexdigest() != plan.chunks[index]:
                            bad.append(index)
                        index, filled, part = index + 1, 0, hashlib.sha256()
        if bad or size != plan.size or whole.hexdigest() != plan.digest:
            return bad
        return None

    def _multipart_id(self, key: str) -> str | None:
        found = self.store.client.list_multipart_uploads(Bucket=self.store.bucket, Prefix=key)
        for upload in found.get("Uploads", ()):
            if upload["Key"] == key:
                return str(upload["UploadId"])
        return None

    def _parts(self, key: str, upload_id: str) -> dict[int, tuple[int, str]]:
        """Part number → (size, ETag) of what S3 holds for the multipart upload."""
        pages = self.store.client.get_paginator("list_parts").paginate(
            Bucket=self.store.bucket, Key=key, UploadId=upload_id
        )
        return {
            p["PartNumber"]: (int(p["Size"]), p["ETag"])
            for page in pages
            for p in page.get("Parts", ())
        }

    # -- downloading ---------------------------------------------------------------

    def download_url(self, digest: str) -> str:
        """A presigned GET of the blob, valid for a few minutes."""
        with self.store.translated_errors(digest):
            return str(
                self.store.client.generate_presigned_url(
                    "get_object",
                    Params={"Bucket": self.store.bucket, "Key": self.store.key(digest)},
                    ExpiresIn=DOWNLOAD_URL_SECONDS,
                )
            )


def _b64(digest: str) -> str:
    return base64.b64encode(bytes.fromhex(digest)).decode("ascii")
