"""Prometheus metrics of ``modelreg serve``: requests, latency, errors, version, swaps.

With several workers, ``modelreg serve`` sets ``PROMETHEUS_MULTIPROC_DIR``
before they start, so ``/metrics`` adds up every worker's counts (the
version gauge is reported per worker process, labelled ``pid``).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# Not the default registry: a process may also import the server's metrics.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "modelreg_serve_requests_total",
    "Requests served, by endpoint and status",
    ["endpoint", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "modelreg_serve_request_duration_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
ERRORS = Counter(
    "modelreg_serve_errors_total",
    "Invocations that failed: 'input' (refused with 400) or 'model' (the model raised)",
    ["kind"],
    registry=REGISTRY,
)
VERSION = Gauge(
    "modelreg_serve_model_version",
    "The registered version number serving now",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)
SWAPS = Counter(
    "modelreg_serve_swaps_total",
    "New versions seen: 'swapped' in, or 'refused' (failed to load or to warm)",
    ["outcome"],
    registry=REGISTRY,
)


def observe(endpoint: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, str(status)).inc()
    LATENCY.labels(endpoint).observe(seconds)


def render() -> tuple[bytes, str]:
    """The metrics page and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
