"""The benchmark's load generator: reading wrk's report, and driving a real local server."""

import importlib
import io
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from rich.console import Console

from json_http_server import json_http_server

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _benchmark_module(name: str) -> ModuleType:
    # The benchmark modules import each other by bare name, as run.py's folder is on sys.path.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


loadgen = _benchmark_module("loadgen")
phase_server = _benchmark_module("phase_server")

# Real reports of `wrk -t2 -c16 -d2s --timeout=30s --latency URL` (wrk 4.1.0, Debian)
# against a local http.server; the second one answered every 7th request 404 and
# dropped every 50th connection unanswered.
WRK_OK = """\
Running 2s test @ http://127.0.0.1:18181/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.11ms   19.69ms 219.34ms   97.76%
    Req/Sec    16.61k     6.87k   26.93k    68.75%
  Latency Distribution
     50%  360.00us
     75%  558.00us
     90%  628.00us
     99%  130.97ms
  52920 requests in 2.10s, 7.87MB read
Requests/sec:  25198.88
Transfer/sec:      3.75MB
"""
WRK_ERRORS = """\
Running 2s test @ http://127.0.0.1:18182/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    44.89ms   19.88ms 211.10ms   93.05%
    Req/Sec   151.77     48.22   222.00     56.67%
  Latency Distribution
     50%   43.97ms
     75%   44.07ms
     90%   47.83ms
     99%  142.01ms
  467 requests in 2.00s, 73.58KB read
  Socket errors: connect 0, read 9, write 0, timeout 0
  Non-2xx or 3xx responses: 67
Requests/sec:    233.05
Transfer/sec:     36.72KB
"""


def test_wrk_report_gives_rate_percentiles_and_mean_in_milliseconds():
    result = loadgen.parse_wrk(WRK_OK, 16)

    assert result.clients == 16
    assert result.seconds == pytest.approx(2.10)
    assert result.requests == 52920
    assert result.errors == 0
    assert result.per_second == pytest.approx(25198.88)
    assert result.p50_ms == pytest.approx(0.360)
    assert result.p99_ms == pytest.approx(130.97)
    assert result.mean_ms == pytest.approx(3.11)
    assert result.first_error is None


def test_wrk_error_responses_and_socket_errors_are_errors_not_requests():
    result = loadgen.parse_wrk(WRK_ERRORS, 16)

    assert result.requests == 467 - 67
    assert result.errors == 67 + 9
    assert result.per_second == pytest.approx(233.05 * 400 / 467)
    assert result.first_error == (
        "wrk: Non-2xx or 3xx responses: 67; Socket errors: connect 0, read 9, write 0, timeout 0"
    )


def test_wrk_latencies_in_seconds_are_converted_to_milliseconds():
    report = WRK_ERRORS.replace("99%  142.01ms", "99%    1.20s")

    assert loadgen.parse_wrk(report, 16).p99_ms == pytest.approx(1200.0)


def test_wrk_report_without_the_latency_distribution_is_refused():
    report = "\n".join(line for line in WRK_OK.splitlines() if "%  " not in line)

    with pytest.raises(loadgen.LoadFailed, match="50%"):
        loadgen.parse_wrk(report, 16)


@pytest.fixture
def local_url() -> Iterator[str]:
    with json_http_server() as url:
        yield url


@pytest.fixture
def wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is required in CI (.ci/run installs it)")
        pytest.skip("wrk is not installed")
    return path


def test_wrk_drives_a_local_server_and_reports_its_own_cpu_share(wrk, local_url):
    result = loadgen.wrk(local_url, 4, 1, wrk)

    assert result.requests > 0
    assert result.errors == 0
    assert result.p50_ms <= result.p99_ms
    assert 0 < result.client_cpu <= loadgen.WRK_THREADS


def test_wrk_run_is_cross_checked_by_a_probe_connection_and_littles_law(wrk, local_url):
    result = loadgen.wrk(local_url, 4, 1, wrk)

    assert result.probe_p99_ms is not None and result.probe_p99_ms > 0
    assert result.in_flight is not None and result.in_flight > 0
    assert result.load_avg is not None


def test_wrk_that_cannot_connect_fails_with_its_message(wrk):
    with socket.socket() as unused:  # bound, never listening: connections are refused
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/"

        with pytest.raises(loadgen.LoadFailed, match="unable to connect"):
            loadgen.wrk(url, 4, 1, wrk)


def test_threaded_fallback_counts_the_successful_requests(local_url):
    result = loadgen.threaded(local_url, 2, 0.5)

    assert result.requests > 0
    assert result.errors == 0
    assert result.clients == 2


def _rendered_speed_table(generator: str) -> str:
    row = {"target": phase_server.MODELREG, "workers": 2, "startup_s": 1.0, "upgrade_s": 0.5}
    load = loadgen.parse_wrk(WRK_OK, 16).to_dict()
    memory = {"processes": 3, "rss_mb": 200.0, "pss_mb": 150.0}
    row.update(sequential=load, concurrent=load, idle=memory, loaded=memory)
    data = {"rows": [row], "clients": 16, "seconds": 10.0, "generator": generator}
    data["wrk_threads"] = loadgen.WRK_THREADS
    out = io.StringIO()
    phase_server.render_throughput(Console(file=out, width=300), data)
    return " ".join(out.getvalue().split())  # rich wraps the title to the table's width


def test_throughput_table_names_wrk_as_the_generator():
    text = _rendered_speed_table("wrk")

    assert "16 concurrent keep-alive connections from wrk (2 threads)" in text
    assert "client CPU: wrk's CPU time" in text


def test_throughput_table_says_when_python_threads_stood_in_for_wrk():
    text = _rendered_speed_table("python")

    assert "16 concurrent Python threads (wrk not installed)" in text
    assert "include waits for the GIL" in text
