"""Many small files to and from a server in a few requests.

Up (``POST /api/v1/blobs/batch``): one request asks which digests the server
lacks; the missing files then go up in batches of a few MiB, each one body
naming its blobs on a first JSON line and carrying their bytes back to back.
Down (``POST /api/v1/downloads``): one request names a batch of digests, the
answer gives their sizes on a first JSON line and then their bytes. A
tokenizer folder of hundreds of files costs a handful of round trips instead
of one or two per file.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from typing import Any, BinaryIO, TypeVar, cast

from modelreg.api.operations import API_PREFIX
from modelreg.blobs.base import BlobFetch, map_in_threads
from modelreg.blobs.refs import BlobRef
from modelreg.blobs.streams import LimitedReader, hash_file, write_verified
from modelreg.remote.http import HttpSession, raise_for_error
from modelreg.remote.responses import response_reader

T = TypeVar("T")
_READ_BUFFER = 1024 * 1024

BATCH_MAX_FILE = 1024 * 1024
"""Files below this size go in batches; bigger ones in requests of their own."""
BATCH_BYTES = 8 * 1024 * 1024
BATCH_FILES = 1000
MIN_BATCH_FILES = 50
PARALLEL_BATCHES = 4


def put_small_files(
    http: HttpSession, paths: Sequence[str | os.PathLike[str]], threads: int
) -> list[BlobRef]:
    """Uploads small files the server lacks, in batches; returns every file's ref in order."""
    refs = map_in_threads(hash_file, paths, threads)
    if not refs:
        return refs
    wanted = sorted({ref.digest for ref in refs})
    missing = set(
        http.json(
            "POST", f"{API_PREFIX}/uploads/missing", json={"digests": wanted}, repeatable=True
        )["missing"]
    )
    first_path: dict[str, tuple[str | os.PathLike[str], BlobRef]] = {}
    for path, ref in zip(paths, refs, strict=True):
        if ref.digest in missing:
            first_path.setdefault(ref.digest, (path, ref))
    # The server stores a batch's files one after another, each synced to disk: batches
    # sent side by side let it sync several at once (1000 x 4 KiB: 1.33 -> 0.88 s).
    batches = _batches(list(first_path.values()), PARALLEL_BATCHES)

    def send(batch: list[tuple[str | os.PathLike[str], BlobRef]]) -> None:
        head = json.dumps({"blobs": [[ref.digest, ref.size] for _, ref in batch]}).encode()
        body = b"".join([head, b"\n", *(_read(path) for path, _ in batch)])
        # Bytes, so a dropped connection is retried: the batch is idempotent.
        http.request("POST", f"{API_PREFIX}/blobs/batch", content=body, repeatable=True)

    map_in_threads(send, batches, min(threads, PARALLEL_BATCHES))
    return refs


def get_small_blobs(http: HttpSession, fetches: Sequence[BlobFetch], threads: int) -> None:
    """Writes small blobs to their destinations, fetched in batches
    (``POST /api/v1/downloads``), each verified against its digest on the way."""

    def fetch(batch: list[tuple[BlobFetch, BlobRef]]) -> None:
        digests = [ref.digest for _, ref in batch]
        request = http.client.build_request(
            "POST", f"{API_PREFIX}/downloads", json={"digests": digests}
        )
        response = http.client.send(request, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise_for_error(response)
            body = io.BufferedReader(cast(Any, response_reader(response)), _READ_BUFFER)
            sizes = json.loads(body.readline())["sizes"]
            for (item, ref), size in zip(batch, sizes, strict=True):
                part = cast(BinaryIO, LimitedReader(body, size))
                write_verified(part, item.dst, ref.digest, what=item.what)
        finally:
            response.close()

    map_in_threads(fetch, _batches([(f, f.ref) for f in fetches]), min(threads, 4))


def _batches(items: list[tuple[T, BlobRef]], parts: int = 1) -> list[list[tuple[T, BlobRef]]]:
    """``items`` in groups of at most ``BATCH_FILES`` and (but for one big item)
    ``BATCH_BYTES``, and in at least ``parts`` groups when there are
    ``MIN_BATCH_FILES`` items for each."""
    per_batch = min(BATCH_FILES, max(MIN_BATCH_FILES, -(-len(items) // parts)))
    batches: list[list[tuple[T, BlobRef]]] = []
    size = 0
    for item in items:
        if not batches or size + item[1].size > BATCH_BYTES or len(batches[-1]) >= per_batch:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item[1].size
    return batches


def _read(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as f:
        return f.read()
