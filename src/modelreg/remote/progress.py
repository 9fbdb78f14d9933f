"""Progress bars for long transfers, shown only on a terminal and only for big files.

A bar shows the bytes moved, the speed and the time left; a resumed upload
starts where the server's chunks end.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MIN_BYTES_FOR_BAR = 8 * 1024 * 1024


@contextmanager
def transfer_progress(
    description: str, total: int, *, force: bool = False
) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(nbytes)``; draws a Rich bar on stderr when it is a terminal
    (or with ``force``) and ``total`` is at least ``MIN_BYTES_FOR_BAR``."""
    if total < MIN_BYTES_FOR_BAR or not (force or sys.stderr.isatty()):
        yield lambda _n: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
