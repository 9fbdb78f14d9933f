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


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join("/proc", entry, "stat")) as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children.get(p, []))
    return pids


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` and its live descendants."""
    ticks = 0
    for p in process_tree(pid):
        try:
            with open(os.path.join("/proc", str(p), "stat")) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class Recorder:
    """Collects per-operation timings as ``{op: {"ops", "seconds"}}`` in first-seen order.

    An op that failed holds ``{"error": message}``; one the library does not
    offer holds ``{"unavailable": message}``. The runner prints those cells as
    "error" and "n/a". With ``keep_samples`` every call's time is also kept,
    in ``"samples"``, for medians. With ``cpu_of`` (a name to a process id),
    the CPU seconds each of those process trees used during the op are added
    up in ``"cpu_<name>"``: where an op's time went, beside its wall time.
    """

    def __init__(self, keep_samples: bool = False, cpu_of: dict[str, int] | None = None) -> None:
        self.results: dict[str, dict[str, Any]] = {}
        self.keep_samples = keep_samples
        self.cpu_of = cpu_of or {}

    def call(self, op: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Calls ``fn``, adding its wall time to ``op``; records a failure, raises SectionFailed."""
        cpu_before = {name: tree_cpu_seconds(pid) for name, pid in self.cpu_of.items()}
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
            for name, pid in self.cpu_of.items():
                used = tree_cpu_seconds(pid) - cpu_before[name]
                entry[f"cpu_{name}"] = entry.get(f"cpu_{name}", 0.0) + used
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
