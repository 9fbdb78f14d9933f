"""Content-addressed blob storage (sha256), on a local folder or S3.

>>> store = open_blob_store("/data/artifacts")        # or file:///…, s3://bucket/prefix
>>> ref = store.put_file("model.bin")                 # BlobRef(digest='9f86…', size=1234)
>>> store.get_file(ref.digest, "/tmp/model.bin")      # verified against the digest
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from modelreg.blobs.base import BlobStore, check_digest
from modelreg.blobs.refs import BlobRef
from modelreg.errors import InvalidArgument
from modelreg.uris import without_credentials

if TYPE_CHECKING:
    from modelreg.blobs.cache import BlobCache

__all__ = ["BlobRef", "BlobStore", "check_digest", "open_blob_store", "reading_store"]


def open_blob_store(uri: str) -> BlobStore:
    """The blob store at ``uri``: a folder path, ``file://`` URI or ``s3://bucket/prefix``.

    Raises ``InvalidArgument`` for any other scheme.
    """
    uri = str(uri)
    scheme = urlparse(uri).scheme.lower()
    if scheme == "s3":
        from modelreg.blobs.s3 import S3BlobStore

        return S3BlobStore(uri)
    if scheme == "file":
        from modelreg.blobs.local import LocalBlobStore

        return LocalBlobStore(unquote(urlparse(uri).path))
    if scheme == "" or (len(scheme) == 1 and uri[1:3] in (":\\", ":/")):  # C:\ on Windows
        from modelreg.blobs.local import LocalBlobStore

        return LocalBlobStore(uri)
    raise InvalidArgument(
        f"artifact store URI '{without_credentials(uri)}' has an unsupported scheme "
        f"'{scheme}'; "
        "use a folder, file:// or s3://bucket/prefix"
    )


def reading_store(store: BlobStore, cache: BlobCache | None = None) -> BlobStore:
    """``store`` read through the local blob cache when it is a remote store, else itself."""
    if not store.cacheable:
        return store
    from modelreg.blobs.cache import BlobCache, CachingBlobStore

    return CachingBlobStore(store, cache or BlobCache())
