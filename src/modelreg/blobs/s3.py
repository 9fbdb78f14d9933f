"""Blobs in an S3 bucket (or any S3-compatible store): ``s3://bucket/prefix/blobs/ab/cdef…``.

The endpoint comes from ``MODELREG_S3_ENDPOINT_URL`` (unset: AWS); region and
credentials from the usual AWS variables and files. boto3 is imported only
when a store is first used.

A file is hashed first (streaming), so its final key is known before any byte
is sent; a blob already in the bucket is not sent again. Small blobs go up in
one PUT carrying their SHA-256, which S3 checks against the whole object; big
ones as a multipart upload with a SHA-256 checksum on every part, written
straight to the final key: S3 shows the object only once the upload completes,
and a failed upload is aborted, so a crash never leaves a partial blob visible.
Streams that are not files are spooled to a local temporary file first.
"""

from __future__ import annotations

import base64
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

from modelreg import settings
from modelreg.blobs.base import BlobStore, blob_key, check_digest
from modelreg.blobs.refs import AbandonedUpload, BlobRef, Progress
from modelreg.blobs.staging import RESUME_SECONDS
from modelreg.blobs.streams import (
    check_matches,
    copy_hashing,
    hash_file,
    temp_path_next_to,
    write_all,
)
from modelreg.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
)

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
MULTIPART_THRESHOLD = 64 * 1024 * 1024
MULTIPART_CHUNKSIZE = 16 * 1024 * 1024
MAX_CONCURRENCY = 8


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")``; raises ``InvalidArgument``."""
    if not uri.startswith("s3://"):
        raise InvalidArgument(f"artifact store URI '{uri}' is not an s3:// URI")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InvalidArgument(f"artifact store URI '{uri}' names no bucket; use s3://bucket/prefix")
    return bucket, prefix.strip("/")


class S3BlobStore(BlobStore):
    """A blob store under ``s3://bucket/prefix``."""

    cacheable = True

    def __init__(self, uri: str) -> None:
        self.bucket, self.prefix = parse_s3_uri(uri)
        self.uri = f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    @cached_property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=settings.S3_ENDPOINT_URL.get(),
            config=Config(
                max_pool_connections=MAX_CONCURRENCY * 2,
                retries={"max_attempts": 5, "mode": "standard"},
            ),
        )

    @cached_property
    def _transfer(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=MULTIPART_CHUNKSIZE,
            max_concurrency=MAX_CONCURRENCY,
        )

    @property
    def transfer_config(self) -> Any:
        """How boto3's managed transfers of this store cut and parallelize big objects."""
        return self._transfer

    def key(self, digest: str) -> str:
        """The object key of a blob."""
        return f"{self.prefix}/{blob_key(digest)}" if self.prefix else blob_key(digest)

    # -- writing ---------------------------------------------------------------

    def put_file(
        self, path: str | os.PathLike[str], *, progress: Progress | None = None
    ) -> BlobRef:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe can be read only once
            return super().put_file(path, progress=progress)
        before = _fingerprint(path)
        ref = hash_file(path)
        if self.exists(ref.digest):
            _report(progress, ref.size)
            return ref
        self._upload(path, ref, progress)
        if _fingerprint(path) != before:
            # The bytes sent may not be the bytes hashed (only multipart needs this check:
            # a single PUT is verified by S3 against the whole-object digest).
            self.delete(ref.digest)
            raise Conflict(f"file '{path}' changed while it was being uploaded; log it again")
        return ref

    def put_stream(self, fileobj: BinaryIO, *, progress: Progress | None = None) -> BlobRef:
        fd, spool = tempfile.mkstemp(prefix="modelreg-upload-", suffix=".part")
        try:
            try:
                ref = copy_hashing(fileobj, write_all(fd))
            finally:
                os.close(fd)
            if not self.exists(ref.digest):
                self._upload(spool, ref, progress)
            else:
                _report(progress, ref.size)
            return ref
        finally:
            os.unlink(spool)

    def put_bytes(self, data: bytes) -> BlobRef:
        import hashlib

        ref = BlobRef(hashlib.sha256(data).hexdigest(), len(data))
        if not self.exists(ref.digest):
            with self.translated_errors(ref.digest):
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.key(ref.digest),
                    Body=data,
                    ChecksumSHA256=_b64(ref.digest),
                )
        return ref

    def _upload(
        self, path: str | os.PathLike[str], ref: BlobRef, progress: Progress | None
    ) -> None:
        key = self.key(ref.digest)
        with self.translated_errors(ref.digest):
            if ref.size < MULTIPART_THRESHOLD:
                with open(path, "rb") as body:
                    self.client.put_object(
                        Bucket=self.bucket, Key=key, Body=body, ChecksumSHA256=_b64(ref.digest)
                    )
                _report(progress, ref.size)
            else:
                # s3transfer aborts the multipart upload when any part fails.
                self.client.upload_file(
                    os.fspath(path),
                    self.bucket,
                    key,
                    ExtraArgs={"ChecksumAlgorithm": "SHA256"},
                    Config=self._transfer,
                    Callback=progress,
                )

    def delete(self, digest: str) -> None:
        with self.translated_errors(digest):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(digest))

    # -- reading ---------------------------------------------------------------

    def _head(self, digest: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        key = self.key(digest)
        with self.translated_errors(digest):
            try:
                return self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _status(exc) == 404:
                    return None
                raise

    def exists(self, digest: str) -> bool:
        return self._head(digest) is not None

    def size(self, digest: str) -> int:
        head = self._head(digest)
        if head is None:
            raise _not_found(digest)
        return int(head["ContentLength"])

    def open(self, digest: str) -> BinaryIO:
        with self.translated_errors(digest):
            return self.client.get_object(Bucket=self.bucket, Key=self.key(digest))["Body"]

    def get_file(
        self,
        digest: str,
        dst_path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        what: str | None = None,
    ) -> None:
        # Ranged GETs in parallel into a temporary name, checked, then renamed into place.
        check_digest(digest)
        dst = Path(dst_path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path_next_to(dst)
        try:
            with self.translated_errors(digest):
                self.client.download_file(
                    self.bucket,
                    self.key(digest),
                    str(tmp),
                    Config=self._transfer,
                    Callback=progress,
                )
            check_matches(hash_file(tmp).digest, digest, what or str(dst))
            os.replace(tmp, dst)
        finally:
            tmp.unlink(missing_ok=True)

    def iter_digests(self) -> Iterator[str]:
        root = f"{self.prefix}/blobs/" if self.prefix else "blobs/"
        paginator = self.client.get_paginator("list_objects_v2")
        with self.translated_errors(None):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=root):
                for obj in page.get("Contents", ()):
                    digest = obj["Key"][len(root) :].replace("/", "", 1)
                    if _DIGEST_RE.fullmatch(digest):
                        yield digest

    def blob_age_seconds(self, digest: str) -> float:
        head = self._head(digest)
        if head is None:
            return float("inf")
        return max(0.0, time.time() - head["LastModified"].timestamp())

    def remove_abandoned_uploads(
        self, idle_seconds: float, *, dry_run: bool = False
    ) -> list[AbandonedUpload]:
        """Incomplete multipart uploads under the store's ``blobs/`` (a writer died
        mid-upload) and ``uploads/`` (direct uploads, kept ``RESUME_SECONDS`` at least,
        so they can be resumed); see :meth:`BlobStore.remove_abandoned_uploads`. Other
        keys of the bucket are not looked at."""
        root = f"{self.prefix}/" if self.prefix else ""
        areas = (("blobs/", idle_seconds), ("uploads/", max(idle_seconds, RESUME_SECONDS)))
        found: list[AbandonedUpload] = []
        with self.translated_errors(None):
            for area, idle in areas:
                pages = self.client.get_paginator("list_multipart_uploads").paginate(
                    Bucket=self.bucket, Prefix=root + area
                )
                for upload in (u for page in pages for u in page.get("Uploads", ())):
                    found += self._abandoned(upload, idle, dry_run)
        return found

    def _abandoned(
        self, upload: dict[str, Any], idle_seconds: float, dry_run: bool
    ) -> list[AbandonedUpload]:
        """The multipart upload, aborted unless ``dry_run``, when neither its start nor any
        of its parts is younger than ``idle_seconds``; else nothing."""
        now, key, upload_id = time.time(), upload["Key"], upload["UploadId"]
        if now - upload["Initiated"].timestamp() < idle_seconds:
            return []
        pages = self.client.get_paginator("list_parts").paginate(
            Bucket=self.bucket, Key=key, UploadId=upload_id
        )
        parts = [part for page in pages for part in page.get("Parts", ())]
        touched = max(
            [upload["Initiated"].timestamp(), *(p["LastModified"].timestamp() for p in parts)]
        )
        if now - touched < idle_seconds:
            return []
        if not dry_run:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        where = f"s3://{self.bucket}/{key} (multipart upload)"
        return [AbandonedUpload(where, sum(int(p["Size"]) for p in parts), now - touched)]

    @contextmanager
    def translated_errors(self, digest: str | None) -> Iterator[None]:
        """Turns botocore errors into modelreg errors naming the blob and the bucket."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except ClientError as exc:
            raise _translate(exc, digest, self) from exc
        except NoCredentialsError as exc:
            raise ServiceUnavailable(
                f"no credentials for S3 store {self.uri}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or configure an AWS profile"
            ) from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable(f"S3 store {self.uri} did not answer: {exc}") from exc


def _status(exc: Any) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _translate(exc: Any, digest: str | None, store: S3BlobStore | None = None) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    where = store.uri if store is not None else "the S3 store"
    if code in ("NoSuchKey", "404", "NotFound") and digest is not None:
        return _not_found(digest)
    if code in ("NoSuchBucket",):
        return NotFound(f"bucket of {where} does not exist")
    if code in ("AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return PermissionDenied(f"S3 refused access to {where}: {code}")
    if code in ("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"):
        from modelreg.errors import IntegrityError

        return IntegrityError(f"S3 rejected blob {digest}: the bytes sent do not match it ({code})")
    return ServiceUnavailable(f"S3 store {where} failed: {exc}")


def _not_found(digest: str) -> NotFound:
    return NotFound(f"blob {digest} is not in the artifact store")


def _b64(digest: str) -> str:
    return base64.b64encode(bytes.fromhex(digest)).decode("ascii")


def _fingerprint(path: str | os.PathLike[str]) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _report(progress: Progress | None, size: int) -> None:
    if progress is not None:
        progress(size)
