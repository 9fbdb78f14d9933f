"""HTTP load on one URL: sequential keep-alive latency and concurrent throughput.

The same tool drives both servers: threads, each with its own
``httpx.Client`` (one keep-alive connection per thread). The generator runs
in Python too, so on a small machine it competes with the server for CPU;
``client_cpu`` (CPU seconds of this process per wall second) shows how much.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx

WARMUP_REQUESTS = 5
TIMEOUT_S = 30.0


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


def concurrent(url: str, clients: int, seconds: float) -> LoadResult:
    """``clients`` threads GET ``url`` in a loop for ``seconds`` after a short warm-up."""
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
