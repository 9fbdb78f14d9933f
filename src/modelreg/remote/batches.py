"""Many small files to a server in a few requests (``POST /api/v1/blobs/batch``).

One request asks which digests the server lacks; the missing files then go
up in batches of a few MiB, each one body naming its blobs on a first JSON
line and carrying their bytes back to back. A tokenizer folder of hundreds of
files costs a handful of round trips instead of two per file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from modelreg.blobs.base import BlobRef, map_in_threads
from modelreg.blobs.streams import hash_file
from modelreg.operations import API_PREFIX
from modelreg.remote.http import HttpSession

BATCH_MAX_FILE = 1024 * 1024
"""Files below this size go in batches; bigger ones in requests of their own."""
BATCH_BYTES = 8 * 1024 * 1024
BATCH_FILES = 1000


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
    first_path = {}
    for path, ref in zip(paths, refs, strict=True):
        if ref.digest in missing:
            first_path.setdefault(ref.digest, (path, ref))
    batches = _batches(list(first_path.values()))

    def send(batch: list[tuple[str | os.PathLike[str], BlobRef]]) -> None:
        head = json.dumps({"blobs": [[ref.digest, ref.size] for _, ref in batch]}).encode()
        body = b"".join([head, b"\n", *(_read(path) for path, _ in batch)])
        # Bytes, so a dropped connection is retried: the batch is idempotent.
        http.request("POST", f"{API_PREFIX}/blobs/batch", content=body, repeatable=True)

    map_in_threads(send, batches, min(threads, 4))
    return refs


def _batches(
    items: list[tuple[str | os.PathLike[str], BlobRef]],
) -> list[list[tuple[str | os.PathLike[str], BlobRef]]]:
    batches: list[list[tuple[str | os.PathLike[str], BlobRef]]] = []
    size = 0
    for item in items:
        if not batches or size + item[1].size > BATCH_BYTES or len(batches[-1]) >= BATCH_FILES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item[1].size
    return batches


def _read(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as f:
        return f.read()
