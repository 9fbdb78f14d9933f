"""HTTP load on one URL: sequential keep-alive latency and concurrent throughput.

Sequential: one ``httpx.Client`` (one keep-alive connection) in this process,
one request after the other; with a single thread nothing waits for the GIL.

Concurrent: ``wrk`` (C, event loops on WRK_THREADS threads, one keep-alive
connection per client), the same tool for both servers. Python threads are
the fallback where wrk cannot be had: there every thread that has its response
waits for the GIL (up to several 5 ms switch intervals with 16 threads) before
it reads the clock, so their p99 is mostly the generator's own, and they take
a good part of a core away from the server on a small machine.
``client_cpu`` (the generator's CPU seconds per wall second) shows how much.

wrk's own latency figures can be inconsistent on a loaded machine: its mean
times its rate can exceed its connection count, which Little's law forbids
for a closed loop (upstream wg/wrk issues #114 and #438). So during the
measured wrk run one more keep-alive connection, a *probe* in this process,
GETs the same URL one request after the other and times each one itself;
``probe_p99_ms`` is what one client among the others saw, and ``in_flight``
(wrk's mean × rate ÷ connections, ~1 when wrk's latencies are sound) says how
far wrk's figures can be trusted. ``load_avg`` is the machine's one-minute
load average when the run started, for a shared machine's noise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import httpx

WARMUP_REQUESTS = 5
TIMEOUT_S = 30.0
WRK_THREADS = 2
WRK_WARMUP_S = 1  # wrk takes whole seconds; warms every server worker, as the threads' warm-up did
# wrk formats times in these units (its units.c), percentiles and the average alike.
TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_TIME = r"([\d.]+)(us|ms|s|m|h)"


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int
    errors: int
    per_second: float
    p50_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    client_cpu: float
    first_error: str | None = None
    probe_p99_ms: float | None = None
    in_flight: float | None = None
    load_avg: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list (``q`` in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _summary(
    clients: int, wall: float, cpu: float, latencies: list[float], errors: list[str]
) -> LoadResult:
    latencies.sort()
    ok = len(latencies)
    return LoadResult(
        clients=clients,
        seconds=wall,
        requests=ok,
        errors=len(errors),
        per_second=ok / wall if wall > 0 else 0.0,
        p50_ms=_ms(percentile(latencies, 50)),
        p99_ms=_ms(percentile(latencies, 99)),
        mean_ms=_ms(sum(latencies) / ok) if ok else None,
        client_cpu=cpu / wall if wall > 0 else 0.0,
        first_error=errors[0] if errors else None,
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _get(client: httpx.Client, url: str, latencies: list[float], errors: list[str]) -> None:
    start = time.perf_counter()
    try:
        response = client.get(url)
        response.read()
    except httpx.HTTPError as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
        return
    elapsed = time.perf_counter() - start
    if response.status_code == 200:
        latencies.append(elapsed)
    else:
        errors.append(f"HTTP {response.status_code}: {response.text[:200]}")


def sequential(url: str, requests: int) -> LoadResult:
    """``requests`` GETs one after the other on one keep-alive connection."""
    latencies: list[float] = []
    errors: list[str] = []
    with httpx.Client(timeout=TIMEOUT_S) as client:
        for _ in range(WARMUP_REQUESTS):
            client.get(url)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for _ in range(requests):
            _get(client, url, latencies, errors)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return _summary(1, wall, cpu, latencies, errors)


def threaded(url: str, clients: int, seconds: float) -> LoadResult:
    """``clients`` Python threads GET ``url`` in a loop for ``seconds`` after a short warm-up.

    The fallback where wrk is missing: its latencies include the GIL waits (see the module).
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    deadline = [0.0]

    def worker(i: int) -> None:
        with httpx.Client(timeout=TIMEOUT_S) as client:
            for _ in range(WARMUP_REQUESTS):
                try:
                    client.get(url)
                except httpx.HTTPError:
                    pass
            ready.wait()
            go.wait()
            while time.perf_counter() < deadline[0]:
                _get(client, url, latencies[i], errors[i])

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    deadline[0] = wall0 + seconds
    go.set()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return _summary(
        clients, wall, cpu, [x for xs in latencies for x in xs], [e for es in errors for e in es]
    )


# ---- wrk


class LoadFailed(RuntimeError):
    """wrk did not run, or printed something other than its report."""


def ensure_wrk(log: Callable[[str], object] = print) -> str | None:
    """Path of ``wrk``, installing Debian's package when it is missing; None when it cannot."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None:
        log("wrk is not installed and there is no apt-get to install it; install wrk yourself")
        return None
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo"):
        prefix = ["sudo", "-n"]  # never prompts: a benchmark run must not hang on a password
    else:
        log("wrk is not installed, and installing it needs root (no sudo here)")
        return None
    log("installing wrk (Debian package) for the throughput phase's concurrent load")
    apt = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    for args in (["update", "-qq"], ["install", "-y", "-qq", "wrk"]):
        proc = subprocess.run([*apt, *args], capture_output=True, text=True)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines() or ["(no output)"]
            log(f"could not install wrk: apt-get {args[0]} exited {proc.returncode}: {lines[-1]}")
            return None
    return shutil.which("wrk")


def wrk(
    url: str,
    connections: int,
    seconds: float,
    executable: str = "wrk",
    threads: int = WRK_THREADS,
    script: str | None = None,
) -> LoadResult:
    """``connections`` keep-alive connections GET ``url`` for ``seconds`` (whole seconds).

    ``script`` is a wrk Lua script (``-s``), e.g. one that makes every request a POST
    with a body. A WRK_WARMUP_S run comes first and is discarded. ``client_cpu`` is
    wrk's CPU time (all its threads) per wall second of the measured run.
    """
    options = ("-s", script) if script else ()
    _run_wrk(executable, url, connections, WRK_WARMUP_S, threads, options)
    load_avg = os.getloadavg()[0]
    with _Probe(None if script else url) as probe:
        output, wall, cpu = _run_wrk(
            executable, url, connections, max(1, round(seconds)), threads, options
        )
    result = parse_wrk(output, connections)
    result.client_cpu = cpu / wall if wall > 0 else 0.0
    result.load_avg = load_avg
    result.probe_p99_ms = _ms(percentile(sorted(probe.latencies), 99))
    if result.mean_ms is not None:
        result.in_flight = result.mean_ms / 1000 * result.per_second / connections
    return result


class _Probe:
    """One more keep-alive connection timing sequential GETs of ``url`` while it is open
    (none for a scripted wrk run, whose requests it could not repeat)."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.latencies: list[float] = []
        self._errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        assert self.url is not None
        with httpx.Client(timeout=TIMEOUT_S) as client:
            while not self._stop.is_set():
                _get(client, self.url, self.latencies, self._errors)

    def __enter__(self) -> _Probe:
        if self.url is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.url is not None:
            self._thread.join()


def _run_wrk(
    executable: str,
    url: str,
    connections: int,
    seconds: int,
    threads: int,
    options: tuple[str, ...] = (),
) -> tuple[str, float, float]:
    """wrk's report, the wall seconds it ran and its CPU seconds (user + system)."""
    cmd = [
        executable,
        f"-t{min(threads, connections)}",  # wrk refuses more threads than connections
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={TIMEOUT_S:.0f}s",
        "--latency",
        *options,
        url,
    ]
    # Files, not pipes: nothing can block wrk while it is waited for below.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        exited = _wait_unreaped(proc.pid, seconds + TIMEOUT_S + 10)
        wall = time.perf_counter() - start
        # Its /proc entry holds the final CPU times only until it is reaped.
        cpu = _cpu_seconds(proc.pid) if exited else 0.0
        if not exited:
            proc.kill()
        returncode = proc.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if not exited:
        raise LoadFailed(f"wrk did not finish within {seconds + TIMEOUT_S + 10:.0f} s")
    if returncode != 0:
        raise LoadFailed(f"wrk exited {returncode}: {(stderr or stdout).strip()}")
    return stdout, wall, cpu


def _wait_unreaped(pid: int, timeout_s: float) -> bool:
    """Waits until ``pid`` exits without reaping it; False if it is still running at the end."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
            return True
        time.sleep(0.02)
    return False


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name (field 2) may hold spaces; fields 14 and 15 follow the last ")".
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse_wrk(output: str, connections: int) -> LoadResult:
    """A LoadResult from the report of ``wrk --latency`` (``client_cpu`` left at 0).

    ``requests`` counts successful responses: wrk's total minus its "Non-2xx or 3xx
    responses" (status 400 and above); ``errors`` those plus its socket errors
    (connect, read, write, timeout). wrk's Requests/sec counts every response, so
    ``per_second`` is scaled down to the successful ones.
    """
    total_text, *duration = _find(output, r"^\s*(\d+) requests in " + _TIME + ",", "requests in")
    total = int(total_text)
    (rate,) = _find(output, r"^Requests/sec:\s+([\d.]+)\s*$", "Requests/sec")
    mean = _find(output, r"^\s*Latency\s+" + _TIME + r"\s", "Latency (thread stats)")
    p50 = _find(output, r"^\s*50(?:\.0+)?%\s+" + _TIME + r"\s*$", "50% (run wrk with --latency)")
    p99 = _find(output, r"^\s*99(?:\.0+)?%\s+" + _TIME + r"\s*$", "99% (run wrk with --latency)")
    non_2xx_match = re.search(r"^\s*Non-2xx or 3xx responses: (\d+)", output, re.M)
    non_2xx = int(non_2xx_match.group(1)) if non_2xx_match else 0
    socket_match = re.search(
        r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output, re.M
    )
    socket_errors = sum(map(int, socket_match.groups())) if socket_match else 0
    ok = total - non_2xx
    problems = [m.group(0).strip() for m in (non_2xx_match, socket_match) if m]
    return LoadResult(
        clients=connections,
        seconds=_wrk_ms(*duration) / 1000,
        requests=ok,
        errors=non_2xx + socket_errors,
        per_second=float(rate) * ok / total if total else 0.0,
        # With no response at all wrk prints 0.00us; there is no latency to report.
        p50_ms=_wrk_ms(*p50) if total else None,
        p99_ms=_wrk_ms(*p99) if total else None,
        mean_ms=_wrk_ms(*mean) if total else None,
        client_cpu=0.0,
        first_error=f"wrk: {'; '.join(problems)}" if problems else None,
    )


def _wrk_ms(number: str, unit: str) -> float:
    return float(number) * TIME_UNITS_MS[unit]


def _find(output: str, pattern: str, what: str) -> tuple[str, ...]:
    match = re.search(pattern, output, re.M)
    if match is None:
        raise LoadFailed(f"no {what!r} line in wrk's output:\n{output.strip()}")
    return match.groups()
