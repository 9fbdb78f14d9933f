"""Progress bars for long transfers, shown only on a terminal and only for big files."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MIN_BYTES_FOR_BAR = 8 * 1024 * 1024


@contextmanager
def transfer_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(nbytes)``; draws a Rich bar on stderr when it is a terminal."""
    if total < MIN_BYTES_FOR_BAR or not sys.stderr.isatty():
        yield lambda _n: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TransferSpeedColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
