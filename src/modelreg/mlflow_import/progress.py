"""One progress bar per phase (experiments, runs, logged models, models), with counts and bytes.

Bars are drawn on stderr when it is a terminal; otherwise each phase prints
one line when it ends, so logs of a long import still show where it is.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from modelreg.artifact_files import human_size


@dataclass
class Phase:
    """Counts of one phase, updated from worker threads."""

    name: str
    total: int
    done: int = 0
    skipped: int = 0
    bytes: int = 0


class Progress:
    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        self.phase: Phase | None = None
        self.finished: list[Phase] = []

    @contextmanager
    def start(self, name: str, total: int) -> Iterator[Phase]:
        phase = self.phase = Phase(name, total)
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            with Bar(
                TextColumn("{task.description:<14}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[bytes]}"),
                TimeElapsedColumn(),
                transient=False,
            ) as bar:
                self._bar, self._task = bar, bar.add_task(name, total=total, bytes="")
                try:
                    yield phase
                finally:
                    self._bar = None
        else:
            yield phase
            print(
                f"{name}: {phase.done} of {phase.total} ({phase.skipped} already there), "
                f"{human_size(phase.bytes)}",
                file=sys.stderr,
            )
        self.finished.append(phase)

    def advance(self, skipped: bool = False) -> None:
        with self._lock:
            if self.phase is None:
                return
            self.phase.done += 1
            self.phase.skipped += skipped
            if self._bar is not None:
                self._bar.update(self._task, completed=self.phase.done)

    def add_bytes(self, n: int) -> None:
        with self._lock:
            if self.phase is None:
                return
            self.phase.bytes += n
            if self._bar is not None:
                self._bar.update(self._task, bytes=human_size(self.phase.bytes))
