"""Stores for artifact tests: each database × each artifact store, plus the server.

``embedded_uri`` yields the tracking URI of a fresh embedded store on SQLite
or PostgreSQL, with artifact bytes in a local folder or an S3 bucket (moto);
``any_uri`` adds a ``modelreg server``. Test modules build their ``client``
fixture from one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import fresh_sqlite_store, reset_postgres
from modelreg.blobs import BlobStore
from modelreg.blobs.local import LocalBlobStore

EMBEDDED = ["sqlite-local", "postgres-local", "sqlite-s3", "postgres-s3"]


def _store_uri(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    from modelreg.backend import clear_backend_cache

    clear_backend_cache()
    database, _, artifacts = request.param.partition("-")
    if artifacts == "s3":
        monkeypatch.setenv("MODELREG_ARTIFACTS_URI", request.getfixturevalue("s3_uri"))
    else:
        monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    if database == "sqlite":
        uri = fresh_sqlite_store(request, tmp_path)
    elif database == "postgres":
        uri = request.getfixturevalue("pg_url")
        reset_postgres(uri)
    else:
        reset_postgres(request.getfixturevalue("pg_url"))
        uri = request.getfixturevalue("live_server")
    yield uri
    clear_backend_cache()


@pytest.fixture(params=[pytest.param(p, id=p) for p in EMBEDDED])
def embedded_uri(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh embedded store for each database and artifact store."""
    yield from _store_uri(request, tmp_path, monkeypatch)


@pytest.fixture(params=[pytest.param(p, id=p) for p in [*EMBEDDED, "server"]])
def any_uri(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """``embedded_uri``'s stores and a ``modelreg server``."""
    yield from _store_uri(request, tmp_path, monkeypatch)


@pytest.fixture(params=[pytest.param(p, id=p) for p in EMBEDDED if p.endswith("-s3")])
def s3_backed_uri(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """``embedded_uri``'s stores that keep artifacts in S3."""
    yield from _store_uri(request, tmp_path, monkeypatch)


def blob_store(client) -> BlobStore:
    """The blob store behind an embedded client."""
    return client._backend.blobs


def corrupt_blob(store: BlobStore, digest: str, data: bytes) -> None:
    """Replaces a stored blob's bytes behind the store's back, as bit rot or tampering would."""
    if isinstance(store, LocalBlobStore):
        store.path(digest).chmod(0o644)
        store.path(digest).write_bytes(data)
    else:
        store.client.put_object(Bucket=store.bucket, Key=store.key(digest), Body=data)
