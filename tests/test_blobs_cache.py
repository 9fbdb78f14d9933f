"""The local read-through blob cache: a blob read twice comes from the store once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import pytest

from conftest import IN_CI
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
    with cached.open(ref.digest):  # fills the cache
        pass
    cached.cache.path(ref.digest).write_bytes(b"bit rot!!!")
    cached.get_file(ref.digest, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"good bytes"
    assert store.reads == 2


@pytest.fixture
def cached_elsewhere(store: CountingStore, tmp_path: Path) -> Iterator[CachingBlobStore]:
    """A cache on another filesystem than the downloads (``/dev/shm``), where no hard link
    can join them."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        if IN_CI:  # CI's machine has one: losing these tests there must fail, not skip
            pytest.fail("no second filesystem at /dev/shm for the cross-filesystem cache tests")
        pytest.skip("needs a second filesystem at /dev/shm")
    root = Path(tempfile.mkdtemp(prefix="modelreg-cache-", dir=shm))
    yield CachingBlobStore(store, BlobCache(root))
    shutil.rmtree(root, ignore_errors=True)


def test_a_download_to_a_named_file_takes_its_disk_space_once(
    cached: CachingBlobStore, tmp_path: Path
) -> None:
    ref = cached.store.put_bytes(b"big model")
    cached.get_file(ref.digest, tmp_path / "model.bin")
    assert (tmp_path / "model.bin").read_bytes() == b"big model"
    assert ref.digest not in cached.cache
    assert (tmp_path / "model.bin").stat().st_nlink == 2  # the cache's link, not a copy


def _delete(f: Path) -> None:
    f.unlink()


def _replace(f: Path) -> None:
    f.with_name("other.bin").write_bytes(b"something else")
    os.replace(f.with_name("other.bin"), f)


def _edit(f: Path) -> None:
    f.write_bytes(b"edited by the user")


@pytest.mark.parametrize(
    ("cache", "alter", "store_reads"),
    [
        ("cached", _delete, 1),  # the cache's hard link keeps the bytes
        ("cached", _replace, 1),
        ("cached_elsewhere", _edit, 2),  # only a note of where the first download was
        ("cached_elsewhere", _delete, 2),
    ],
    ids=["linked-deleted", "linked-replaced", "elsewhere-edited", "elsewhere-deleted"],
)
def test_what_a_second_download_reads_from_the_store_once_the_first_is_gone(
    request: pytest.FixtureRequest,
    store: CountingStore,
    tmp_path: Path,
    cache: str,
    alter,
    store_reads: int,
) -> None:
    cached = request.getfixturevalue(cache)
    ref = store.put_bytes(b"weights v1")
    cached.get_file(ref.digest, tmp_path / "a.bin")
    alter(tmp_path / "a.bin")
    cached.get_file(ref.digest, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"weights v1"
    assert store.reads == store_reads


def test_concurrent_downloads_of_one_blob_leave_one_good_link_and_no_temporary_files(
    cached: CachingBlobStore, store: CountingStore, tmp_path: Path
) -> None:
    weights = os.urandom(256 * 1024)
    ref = store.put_bytes(weights)
    targets = [tmp_path / f"copy-{i}.bin" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda target: cached.get_file(ref.digest, target), targets))
    assert all(t.read_bytes() == weights for t in targets)
    assert not list(cached.cache.root.rglob("*.part"))
    reads = store.reads
    for target in targets:
        target.unlink()

    cached.get_file(ref.digest, tmp_path / "again.bin")

    assert (tmp_path / "again.bin").read_bytes() == weights
    assert store.reads == reads


@pytest.mark.parametrize("same_metadata", [False, True], ids=["resized", "same-metadata"])
def test_a_first_download_edited_in_place_fails_its_digest_check_and_is_fetched_again(
    cached: CachingBlobStore, store: CountingStore, tmp_path: Path, same_metadata: bool
) -> None:
    ref = store.put_bytes(b"weights v1")
    first = tmp_path / "a.bin"
    cached.get_file(ref.digest, first)
    before = first.stat()
    with open(first, "r+b") as f:  # in place: the cache's hard link sees the edit too
        f.write(b"W" if same_metadata else b"edited by the user")
    if same_metadata:
        os.utime(first, ns=(before.st_atime_ns, before.st_mtime_ns))

    cached.get_file(ref.digest, tmp_path / "b.bin")

    assert (tmp_path / "b.bin").read_bytes() == b"weights v1"
    assert store.reads == 2
    (tmp_path / "b.bin").unlink()
    cached.get_file(ref.digest, tmp_path / "c.bin")  # from the second download's link
    assert (tmp_path / "c.bin").read_bytes() == b"weights v1" and store.reads == 2


def test_reading_a_blob_once_downloaded_copies_the_download_into_the_cache(
    cached: CachingBlobStore, store: CountingStore, tmp_path: Path
) -> None:
    ref = store.put_bytes(b"weights")
    cached.get_file(ref.digest, tmp_path / "a.bin")
    with cached.open(ref.digest) as f:
        assert f.read() == b"weights"
    assert store.reads == 1
    assert ref.digest in cached.cache
    assert cached.cache.path(ref.digest).stat().st_nlink == 1  # a copy the user cannot edit


def test_downloading_again_over_the_first_download_reads_the_store_once(
    cached: CachingBlobStore, store: CountingStore, tmp_path: Path
) -> None:
    ref = store.put_bytes(b"weights")
    for _ in range(3):
        cached.get_file(ref.digest, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == b"weights"
    assert store.reads == 1
    assert (tmp_path / "a.bin").stat().st_nlink == 2


def test_a_cache_folder_that_cannot_be_written_does_not_fail_a_download(
    store: CountingStore, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    cached = CachingBlobStore(store, BlobCache(blocker / "cache"))
    ref = store.put_bytes(b"weights")
    cached.get_file(ref.digest, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == b"weights"
    assert (tmp_path / "a.bin").stat().st_nlink == 1


def test_a_cache_on_another_filesystem_serves_an_unchanged_first_download(
    cached_elsewhere: CachingBlobStore, store: CountingStore, tmp_path: Path
) -> None:
    ref = store.put_bytes(b"weights")
    cached_elsewhere.get_file(ref.digest, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").stat().st_nlink == 1
    assert ref.digest not in cached_elsewhere.cache
    cached_elsewhere.get_file(ref.digest, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"weights"
    assert store.reads == 1


@pytest.mark.parametrize("note", ["", "{not json", '{"path": 3}', '["a list"]', '{"x": 1}'])
def test_an_unreadable_note_means_a_fetch(
    cached_elsewhere: CachingBlobStore, store: CountingStore, tmp_path: Path, note: str
) -> None:
    ref = store.put_bytes(b"weights")
    cached_elsewhere.get_file(ref.digest, tmp_path / "a.bin")
    cached_elsewhere.cache._note_path(ref.digest).write_text(note)
    cached_elsewhere.get_file(ref.digest, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"weights"
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
