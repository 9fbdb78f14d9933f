"""The artifacts phase: one large file and many small files, up and down, against `cp`.

The data (``large.bin`` of ``--artifact-mb`` random MiB and ``--small-files``
random 4 KiB files) is written once to a temporary folder on the same disk
and read by every contender, so all read it from the page cache alike.
Contenders: plain ``cp`` (the physical limit), ``cp`` followed by an fsync of
the copies (``sync FILE…``, since modelreg fsyncs every blob), modelreg
embedded (SQLite + local folder), modelreg through its server, and MLflow
through ``mlflow server`` with its artifact proxy. Downloads run twice: on an
empty modelreg blob cache ("cold"), then again ("cached").

:func:`run_sizes` runs the phase once per large-file size (1 GiB, and 4 GiB
with ``--artifact-4gib``), each size a table of its own; every cell shows its
speed as a fraction of ``cp``'s and of ``cp`` + ``sync``'s, and the verdicts
hold the large-file transfers to 0.7x ``cp`` + ``sync`` (modelreg fsyncs
every blob, so that is the like-for-like limit).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import report
import servers
import sides

sys.path.insert(0, str(sides.WORKLOADS))
from harness import settle_disk  # noqa: E402 (the workloads folder is not a package)

SMALL_FILE_BYTES = 4096
CHUNK = 16 * 2**20
# Free space needed beyond the data: a store copy, a download and a cache copy at once.
DISK_FACTOR = 4
DISK_MARGIN_BYTES = 2 * 2**30
TARGET_CP_FRACTION = 0.7  # large-file speed as a fraction of cp + sync's
TARGET_RATIO = 10.0  # where MLflow is slower than cp
# (contender key, label); cp ones are measured here, the others by the side scripts.
CONTENDERS = (
    ("cp", "cp"),
    ("cp+sync", "cp + sync"),
    ("modelreg-embedded", "modelreg embedded"),
    ("modelreg-server", "modelreg server"),
    ("mlflow-server", "MLflow server"),
)
OPS = (
    "upload large file",
    "upload small files",
    "download large file (cold)",
    "download large file (cached)",
    "download small files (cold)",
    "download small files (cached)",
)
# Contender key -> the server target it runs against (None: embedded).
SERVER_OF = {"modelreg-server": "modelreg-pg", "mlflow-server": "mlflow-sqlite"}


class NotEnoughDisk(Exception):
    pass


def write_data(root: Path, large_mb: int, small_files: int) -> None:
    """Writes ``large.bin`` (random bytes) and ``small/`` (random 4 KiB files) into ``root``."""
    with open(root / "large.bin", "wb") as f:
        left = large_mb * 2**20
        while left:
            n = min(CHUNK, left)
            f.write(os.urandom(n))
            left -= n
    small = root / "small"
    small.mkdir()
    for i in range(small_files):
        (small / f"file-{i:05d}.bin").write_bytes(os.urandom(SMALL_FILE_BYTES))


def _cp_results(data: Path, work: Path, fsync: bool) -> dict[str, Any]:
    """cp of the large file and the small-file folder, up (data -> store) and down (store -> dst).

    cp has no cache, so its "cached" downloads repeat the cold figure.
    """
    out: dict[str, Any] = {}
    store, dst = work / "store", work / "dst"
    store.mkdir()
    for what, name, cp in (
        ("large file", "large.bin", ["cp"]),
        ("small files", "small", ["cp", "-r"]),
    ):
        dst.mkdir(exist_ok=True)
        for op, src, target in (
            (f"upload {what}", data / name, store / name),
            (f"download {what} (cold)", store / name, dst / name),
        ):
            settle_disk(str(work), 2 * _size(src))
            out[op] = {
                "ops": 1,
                "seconds": _timed_copy([*cp, str(src), str(target)], target, fsync),
            }
        shutil.rmtree(dst, ignore_errors=True)
        out[f"download {what} (cached)"] = out[f"download {what} (cold)"]
    shutil.rmtree(store, ignore_errors=True)
    return out


def _floors(large: Path) -> dict[str, float]:
    """Seconds to read the large file from the page cache, and to SHA-256 it: with
    cp + sync's time they show where an upload's or a download's time can go."""
    floors = {}
    for name, work in (("read", None), ("sha256", hashlib.sha256)):
        digest = work() if work else None
        started = time.perf_counter()
        with open(large, "rb", buffering=0) as f:
            while chunk := f.read(CHUNK):
                if digest is not None:
                    digest.update(chunk)
        floors[name] = time.perf_counter() - started
    return floors


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _timed_copy(cmd: list[str], target: Path, fsync: bool) -> float:
    """Runs ``cmd``, then (with ``fsync``) ``sync`` on every file it wrote; both are timed."""
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    if fsync:
        files = (
            [target] if target.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
        )
        subprocess.run(["sync", *map(str, files)], check=True)
    return time.perf_counter() - started


def run_sizes(
    sizes_mb: list[int], small_files: int, workers: int, mlflow_python: Path, log
) -> dict[str, Any]:
    """:func:`run` for each large-file size in turn: ``{"sizes": [data, …]}``."""
    out = []
    for large_mb in sizes_mb:
        try:
            out.append(run(large_mb, small_files, workers, mlflow_python, log))
        except NotEnoughDisk as exc:
            out.append({"large_mb": large_mb, "error": str(exc)})
    return {"sizes": out}


def run(large_mb: int, small_files: int, workers: int, mlflow_python: Path, log) -> dict[str, Any]:
    """Every contender's timings: ``{"results": {contender: {op: entry}}, "memory": …}``."""
    tmp_root = Path(tempfile.gettempdir())
    needed = large_mb * 2**20 * DISK_FACTOR + DISK_MARGIN_BYTES
    free = shutil.disk_usage(tmp_root).free
    if free < needed:
        raise NotEnoughDisk(
            f"{tmp_root} has {free / 2**30:.1f} GiB free; the artifacts phase needs "
            f"{needed / 2**30:.1f} GiB for {large_mb} MiB (use --artifact-mb)"
        )
    data: dict[str, Any] = {
        "large_mb": large_mb,
        "small_files": small_files,
        "workers": workers,
        "cpus": os.cpu_count(),
        "free_gib_before": free / 2**30,
        "results": {},
        "memory": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-data-") as data_tmp:
        data_dir = Path(data_tmp)
        started = time.perf_counter()
        write_data(data_dir, large_mb, small_files)
        log(f"  artifacts: data written in {time.perf_counter() - started:.1f} s")
        for key, fsync in (("cp", False), ("cp+sync", True)):
            with tempfile.TemporaryDirectory(prefix="bench-artifacts-cp-") as work:
                data["results"][key] = _cp_results(data_dir, Path(work), fsync)
        data["floors"] = _floors(data_dir / "large.bin")
        log("  artifacts: cp done")
        for key in ("modelreg-embedded", "modelreg-server", "mlflow-server"):
            result, memory = _run_contender(key, data_dir, workers, mlflow_python)
            data["results"][key] = result
            data["memory"][key] = memory
            log(f"  artifacts: {key} done")
    return data


def _run_contender(
    key: str, data_dir: Path, workers: int, mlflow_python: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    side = "mlflow" if key.startswith("mlflow") else "modelreg"
    python, script, env = sides.side(side, mlflow_python)
    args = ["--data", str(data_dir)]
    target = SERVER_OF.get(key)
    memory: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix=f"bench-artifacts-{key}-") as tmp:
        # Whatever the client caches lands in this folder, never in the user's cache.
        env = {**env, "MODELREG_CACHE_DIR": str(Path(tmp, "client-cache"))}
        if target is None:
            result = sides.run_workload(python, script, "artifacts", 1, env, args)
        else:
            try:
                server_env = sides.side(side, mlflow_python)[2]
                with servers.start_target(
                    target, workers, Path(tmp), mlflow_python, server_env
                ) as srv:
                    args += ["--tracking-uri", srv.url, "--server-pid", str(srv.process.pid)]
                    with srv.peak_memory():
                        result = sides.run_workload(python, script, "artifacts", 1, env, args)
                    memory["server_peak_rss_mb"] = srv.peak_rss_mb
                    memory["server_processes"] = srv.memory().processes
            except servers.ServerFailed as exc:
                result = {"process": {"error": f"server did not start: {exc}"}}
    process = result.pop("_process", {})
    if "peak_rss_mb" in process:
        memory["client_peak_rss_mb"] = process["peak_rss_mb"]
    return result, memory


# ---- rendering


def _cell(entry: dict[str, Any] | None, limits: tuple[float | None, float | None]) -> str:
    """Seconds, and the speed as fractions of cp's and cp + sync's when given."""
    if entry is None:
        return "[dim]not run[/]"
    if "error" in entry:
        return "[red]error[/]"
    if "unavailable" in entry:
        return "n/a"
    s = report.seconds(entry)
    if s is None:
        return ""
    text = f"{s:.3f}" if s < 1 else f"{s:.2f}"
    fractions = "/".join(f"{limit / s:.2f}" for limit in limits if limit is not None)
    return f"{text} ({fractions}x)" if fractions else text


def render(console: Console, data: dict[str, Any]) -> None:
    """Renders :func:`run_sizes`'s data (one table per size) or :func:`run`'s."""
    for one in data.get("sizes", [data]):
        if "error" in one:
            console.print(f"[red]artifacts, {one['large_mb']} MiB: {one['error']}[/]")
        else:
            _render_one(console, one)


def _render_one(console: Console, data: dict[str, Any]) -> None:
    results = data["results"]
    mib = data["large_mb"]
    t = Table(
        title=f"artifacts: {mib} MiB file and {data['small_files']} x 4 KiB files; seconds "
        f"(speed as a fraction of cp / of cp + sync); servers with {data['workers']} workers"
    )
    t.add_column("op")
    for _, label in CONTENDERS:
        t.add_column(label, justify="right")
    t.add_column("MLflow / modelreg server", justify="right")
    for op in OPS:
        cp = report.seconds(results.get("cp", {}).get(op))
        cp_sync = report.seconds(results.get("cp+sync", {}).get(op))
        cells = [
            _cell(
                results.get(key, {}).get(op),
                (None, None) if key.startswith("cp") else (cp, cp_sync),
            )
            for key, _ in CONTENDERS
        ]
        r = report.ratio(
            report.seconds(results.get("modelreg-server", {}).get(op)),
            report.seconds(results.get("mlflow-server", {}).get(op)),
        )
        t.add_row(op, *cells, report.ratio_cell(r))
    console.print(t)
    mem = data.get("memory", {})
    parts = []
    for key, label in CONTENDERS:
        m = mem.get(key, {})
        if "client_peak_rss_mb" in m:
            parts.append(f"{label} client {m['client_peak_rss_mb']:.0f} MB")
        if "server_peak_rss_mb" in m:
            parts.append(
                f"{label} {m['server_peak_rss_mb']:.0f} MB in {m['server_processes']} processes"
            )
    if parts:
        console.print("peak RSS: " + "; ".join(parts))
    floors, cp_sync = (
        data.get("floors"),
        report.seconds(results.get("cp+sync", {}).get("upload large file")),
    )
    if floors and cp_sync is not None:
        console.print(
            f"where the time goes ({mib} MiB): reading it from the page cache "
            f"{floors['read']:.2f} s, SHA-256 of it on one core {floors['sha256']:.2f} s, "
            f"cp + sync {cp_sync:.2f} s; hashing overlapped with writing needs at least "
            f"{max(floors['sha256'], cp_sync):.2f} s, one after the other "
            f"{floors['sha256'] + cp_sync:.2f} s"
        )
    for line in cpu_lines(results, data.get("cpus")):
        console.print(line)
    for key, label in CONTENDERS:
        for op, entry in results.get(key, {}).items():
            if "error" in entry:
                console.print(f"[red]artifacts/{label}/{op}: {entry['error']}[/]")
    for line in verdicts(data):
        console.print(line)


def cpu_lines(results: dict[str, Any], cpus: int | None) -> list[str]:
    """Per large-file op, the CPU seconds each contender's client and server used: with
    the wall time beside it, whether an op waited on the disk or on the processors."""
    lines = []
    for op in (o for o in OPS if "large" in o):
        parts = []
        for key, label in CONTENDERS:
            entry = results.get(key, {}).get(op, {})
            if "cpu_client" not in entry:
                continue
            text = f"{label} client {entry['cpu_client']:.2f}"
            if "cpu_server" in entry:
                text += f" + server {entry['cpu_server']:.2f}"
            parts.append(f"{text} (wall {entry['seconds']:.2f})")
        if parts:
            lines.append(f"CPU seconds on {cpus} cores, {op}: " + "; ".join(parts))
    return lines


def verdicts(data: dict[str, Any]) -> list[str]:
    """Large-file speed >= 0.7x cp + sync; MLflow/modelreg >= 10x where MLflow is slower
    than cp."""
    results = data["results"]
    lines = []
    for key in ("modelreg-embedded", "modelreg-server", "mlflow-server"):
        for op in OPS:
            if "large" not in op or "cached" in op:
                continue
            cp = report.seconds(results.get("cp", {}).get(op))
            cp_sync = report.seconds(results.get("cp+sync", {}).get(op))
            mine = report.seconds(results.get(key, {}).get(op))
            if cp is None or cp_sync is None or mine is None:
                continue
            frac = cp_sync / mine
            mark = "[green]meets[/]" if frac >= TARGET_CP_FRACTION else "[red]misses[/]"
            lines.append(
                f"{data['large_mb']} MiB {key} {op}: {cp / mine:.2f}x cp's speed, "
                f"{frac:.2f}x cp + sync's: {mark} the {TARGET_CP_FRACTION}x target"
            )
    for op in OPS:
        cp = report.seconds(results.get("cp", {}).get(op))
        ml = report.seconds(results.get("mlflow-server", {}).get(op))
        mr = report.seconds(results.get("modelreg-server", {}).get(op))
        r = report.ratio(mr, ml)
        if cp is None or ml is None or r is None or ml <= cp:
            continue
        mark = "[green]meets[/]" if r >= TARGET_RATIO else "[red]misses[/]"
        lines.append(f"server {op}: MLflow/modelreg {r:.1f}x {mark} the {TARGET_RATIO:.0f}x target")
    return lines
