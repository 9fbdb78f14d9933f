"""Timing and bookkeeping shared by both sides of the benchmark.

Standard library only: this module runs inside the MLflow virtual
environment as well as in modelreg's interpreter. Side scripts import it from
their own folder (``python workloads/<side>.py`` puts it on ``sys.path``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

SETTLE_CHUNK = 16 * 2**20


class SectionFailed(Exception):
    """Raised by :meth:`Recorder.call` after an operation failed and was recorded."""


class Recorder:
    """Collects per-operation timings as ``{op: {"ops", "seconds"}}`` in first-seen order.

    An op that failed holds ``{"error": message}``; one the library does not
    offer holds ``{"unavailable": message}``. The runner prints those cells as
    "error" and "n/a". With ``keep_samples`` every call's time is also kept,
    in ``"samples"``, for medians.
    """

    def __init__(self, keep_samples: bool = False) -> None:
        self.results: dict[str, dict[str, Any]] = {}
        self.keep_samples = keep_samples

    def call(self, op: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Calls ``fn``, adding its wall time to ``op``; records a failure, raises SectionFailed."""
        start = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            self.results[op] = {"error": f"{type(exc).__name__}: {exc}"}
            raise SectionFailed(op) from exc
        elapsed = time.perf_counter() - start
        entry = self.results.setdefault(op, {"ops": 0, "seconds": 0.0})
        if "error" not in entry:
            entry["ops"] += 1
            entry["seconds"] += elapsed
            if self.keep_samples:
                entry.setdefault("samples", []).append(elapsed)
        return result

    def api(self, op: str, client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        """Like :meth:`call` for ``client.method``; a library without that method gives "n/a"."""
        fn = getattr(client, method, None)
        if fn is None:
            self.results[op] = {"unavailable": f"{type(client).__name__} has no {method}()"}
            raise SectionFailed(op)
        return self.call(op, fn, *args, **kwargs)

    def section(self, fn: Callable[[], None]) -> None:
        """Runs one independent part of a workload; a failure in it leaves the others running."""
        try:
            fn()
        except SectionFailed:
            pass
        except Exception as exc:  # a bug outside the timed calls: still report, still go on
            self.results[f"{fn.__name__} (untimed code)"] = {
                "error": f"{type(exc).__name__}: {exc}"
            }


def settle_disk(folder: str, nbytes: int) -> None:
    """Writes and deletes ``nbytes`` of zeros in ``folder``, untimed, before a timed write.

    On some virtual machines (this project's CI among them) writing into the
    page cache costs ~2.5 s/GiB when nothing was freed on that filesystem in
    the last seconds, and ~0.2 s/GiB right after a delete. Whichever
    contender wrote first would pay that; doing this before every timed
    transfer puts all of them, cp included, in the same state.
    """
    path = os.path.join(folder, ".settle-disk")
    zeros = bytes(SETTLE_CHUNK)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for _ in range(-(-nbytes // SETTLE_CHUNK)):
            os.write(fd, zeros)
    finally:
        os.close(fd)
        os.unlink(path)
