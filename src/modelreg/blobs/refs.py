"""What a blob store hands back: a blob's reference, and the progress callback of transfers."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

__all__ = ["AbandonedUpload", "BlobRef", "Progress"]

Progress = Callable[[int], None]
"""Called with the number of bytes just moved, repeatedly, as a transfer goes on."""


class BlobRef(NamedTuple):
    """What a store holds after a put: the SHA-256 hex digest and the size in bytes."""

    digest: str
    size: int


class AbandonedUpload(NamedTuple):
    """What an upload cut short left behind: where, the bytes it holds, and for how many
    seconds nothing touched it."""

    where: str
    size: int
    idle_seconds: float
