"""The local read-through blob cache: a blob read twice comes from the store once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pytest

from modelreg.blobs import reading_store
from modelreg.blobs.cache import BlobCache, CachingBlobStore, default_cache_dir
from modelreg.blobs.local import LocalBlobStore
from modelreg.blobs.s3 import S3BlobStore
from modelreg.errors import IntegrityError


class CountingStore(LocalBlobStore):
    """A real local store that counts the reads made from it."""

    reads = 0

    def open(self, digest: str) -> BinaryIO:
        self.reads += 1
        return super().open(digest)


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    return CountingStore(tmp_path / "store")


@pytest.fixture
def cached(store: CountingStore, tmp_path: Path) -> CachingBlobStore:
    return CachingBlobStore(store, BlobCache(tmp_path / "cache"))


def test_a_cache_hit_reads_nothing_from_the_store(
    cached: CachingBlobStore, store: CountingStore, tmp_path: Path
) -> None:
    ref = store.put_bytes(b"model weights")
    cached.get_file(ref.digest, tmp_path / "first.bin")
    reads_after_first = store.reads
    cached.get_file(ref.digest, tmp_path / "second.bin")
    assert (reads_after_first, store.reads) == (1, 1)
    assert (tmp_path / "second.bin").read_bytes() == b"model weights"


def test_open_also_reads_through_the_cache(cached: CachingBlobStore, store: CountingStore) -> None:
    ref = store.put_bytes(b"abc")
    for _ in range(3):
        with cached.open(ref.digest) as f:
            assert f.read() == b"abc"
    assert store.reads == 1


def test_a_damaged_cache_entry_is_fetched_again(
    cached: CachingBlobStore, store: CountingStore, tmp_path: Path
) -> None:
    ref = store.put_bytes(b"good bytes")
    cached.get_file(ref.digest, tmp_path / "a.bin")
    cached.cache.path(ref.digest).write_bytes(b"bit rot!!!")
    cached.get_file(ref.digest, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"good bytes"
    assert store.reads == 2


def test_corrupt_store_bytes_are_not_cached(
    cached: CachingBlobStore, store: CountingStore, tmp_path: Path
) -> None:
    ref = store.put_bytes(b"original")
    store.path(ref.digest).chmod(0o644)
    store.path(ref.digest).write_bytes(b"tampered")
    with pytest.raises(IntegrityError):
        cached.get_file(ref.digest, tmp_path / "out.bin")
    assert ref.digest not in cached.cache
    assert not (tmp_path / "out.bin").exists()


def test_writes_go_to_the_store_not_the_cache(
    cached: CachingBlobStore, store: CountingStore
) -> None:
    ref = cached.put_bytes(b"new")
    assert store.exists(ref.digest) and ref.digest not in cached.cache


def test_remote_stores_are_read_through_the_cache(s3_uri: str, tmp_path: Path) -> None:
    reader = reading_store(S3BlobStore(s3_uri))
    assert isinstance(reader, CachingBlobStore)
    assert reader.cache.root == Path(os.environ["MODELREG_CACHE_DIR"])


def test_a_local_store_is_read_directly(store: CountingStore) -> None:
    assert reading_store(store) is store


def test_the_default_cache_is_in_the_user_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("MODELREG_CACHE_DIR")
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("modelreg")) / "blobs"
