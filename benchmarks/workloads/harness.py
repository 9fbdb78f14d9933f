"""Timing and bookkeeping shared by both sides of the benchmark.

Standard library only: this module runs inside the MLflow virtual
environment as well as in modelreg's interpreter. Side scripts import it from
their own folder (``python workloads/<side>.py`` puts it on ``sys.path``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class SectionFailed(Exception):
    """Raised by :meth:`Recorder.call` after an operation failed and was recorded."""


class Recorder:
    """Collects per-operation timings as ``{op: {"ops", "seconds"}}`` in first-seen order.

    An op that failed holds ``{"error": message}``; one the library does not
    offer holds ``{"unavailable": message}``. The runner prints those cells as
    "error" and "n/a".
    """

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

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
