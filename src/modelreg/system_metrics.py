"""System metrics of a run: CPU, memory, disk, network and NVIDIA GPUs, sampled by a
daemon thread while the run is active and logged to it as ``system/…`` metrics, under
MLflow's names (GPUs: see :mod:`modelreg.gpu_metrics`).

``start_run(log_system_metrics=True)`` (or :func:`enable_system_metrics_logging`, or
``MODELREG_ENABLE_SYSTEM_METRICS_LOGGING=true``) turns it on; it needs ``psutil``
(``pip install 'modelreg[system-metrics]'``). Every interval (10 s by default) one
sample is taken; every ``samples_before_logging`` samples their mean is logged, with
steps 0, 1, 2 … Network figures count from the run's start.
"""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from typing import Any

from modelreg import settings
from modelreg.entities import Metric
from modelreg.errors import InvalidArgument, ModelregError, ModelregWarning

_MB = 1_000_000
PREFIX = "system/"


def is_system_metric(key: str) -> bool:
    """Whether a metric is one of the machine's (CPU, memory, …), not of the model.

    >>> is_system_metric("system/cpu_utilization_percentage"), is_system_metric("loss")
    (True, False)
    """
    return key.startswith(PREFIX)


# What enable/disable and the setters chose in this process; None defers to the
# environment, then to the defaults.
_enabled: bool | None = None
_interval: float | None = None
_samples_per_log: int | None = None
_node_id: str | None = None


def enable_system_metrics_logging() -> None:
    """Makes every run ``start_run`` starts log system metrics (unless it says
    ``log_system_metrics=False``)."""
    global _enabled
    _enabled = True


def disable_system_metrics_logging() -> None:
    """Stops runs started from now on logging system metrics (unless they ask)."""
    global _enabled
    _enabled = False


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Seconds between two samples for runs started from now on; ``None`` puts back
    the default (10). Raises ``InvalidArgument`` unless a positive number."""
    global _interval
    _interval = None if interval is None else _check_interval(interval)


def set_system_metrics_samples_before_logging(samples: int | None) -> None:
    """How many samples are averaged into each logged point; ``None`` puts back the
    default (1). Raises ``InvalidArgument`` unless a positive integer."""
    global _samples_per_log
    _samples_per_log = None if samples is None else _check_samples(samples)


def set_system_metrics_node_id(node_id: str | None) -> None:
    """Names this machine in the metric keys (``system/<node_id>/…``), so the nodes
    of a distributed run log apart; ``None`` for none."""
    global _node_id
    _node_id = node_id or None


def wanted(log_system_metrics: bool | None) -> bool:
    """Whether a run started with this ``start_run`` argument logs system metrics."""
    if log_system_metrics is not None:
        return log_system_metrics
    if _enabled is not None:
        return _enabled
    flag = settings.SYSTEM_METRICS.get() or ""
    return flag.lower() in ("1", "true", "yes")


def start(client: Any, run_id: str) -> SystemMetricsMonitor | None:
    """A monitor logging to ``run_id``, or ``None`` (with a warning) without psutil."""
    try:
        import psutil
    except ImportError:
        warnings.warn(
            "system metrics are not logged: they need psutil "
            "(pip install 'modelreg[system-metrics]')",
            ModelregWarning,
            stacklevel=3,
        )
        return None
    interval = _interval or _check_interval(settings.SYSTEM_METRICS_INTERVAL.get() or 10)
    per_log = _samples_per_log or _check_samples(settings.SYSTEM_METRICS_SAMPLES.get() or 1)
    node_id = _node_id or settings.SYSTEM_METRICS_NODE_ID.get()
    prefix = f"{PREFIX}{node_id}/" if node_id else PREFIX
    from modelreg.gpu_metrics import Gpus

    return SystemMetricsMonitor(psutil, client, run_id, interval, per_log, prefix, Gpus.open())


class SystemMetricsMonitor:
    """Samples the machine every ``interval`` seconds (and ``gpus``, a
    ``modelreg.gpu_metrics.Gpus``, when it has some) and logs the mean of each
    ``per_log`` samples to the run, until :meth:`stop`."""

    def __init__(
        self,
        psutil: Any,
        client: Any,
        run_id: str,
        interval: float,
        per_log: int,
        prefix: str,
        gpus: Any = None,
    ) -> None:
        self._psutil = psutil
        self._client = client
        self._run_id = run_id
        self._interval = interval
        self._per_log = per_log
        self._prefix = prefix
        self._gpus = gpus
        self._stop = threading.Event()
        psutil.cpu_percent()  # the next call measures from here
        self._network_start = psutil.net_io_counters()
        name = f"modelreg-system-metrics-{run_id[:8]}"
        self._thread = threading.Thread(target=self._watch, name=name, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        samples: list[dict[str, float]] = []
        step = 0
        while not self._stop.wait(self._interval):
            samples.append(self._sample())
            if len(samples) < self._per_log:
                continue
            now = int(time.time() * 1000)
            metrics = [
                Metric(self._prefix + key, mean, now, step) for key, mean in means(samples).items()
            ]
            samples = []
            try:
                self._client.log_batch(self._run_id, metrics=metrics)
            except ModelregError:
                continue  # a blip (server restarting): the next point may get through
            step += 1

    def _sample(self) -> dict[str, float]:
        psutil = self._psutil
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage(os.path.abspath(os.sep))
        network = psutil.net_io_counters()
        gpus = self._gpus.sample() if self._gpus is not None else {}
        return gpus | {
            "cpu_utilization_percentage": psutil.cpu_percent(),
            "system_memory_usage_megabytes": memory.used / _MB,
            "system_memory_usage_percentage": memory.percent,
            "disk_usage_percentage": disk.percent,
            "disk_usage_megabytes": disk.used / _MB,
            "disk_available_megabytes": disk.free / _MB,
            "network_receive_megabytes": (network.bytes_recv - self._network_start.bytes_recv)
            / _MB,
            "network_transmit_megabytes": (network.bytes_sent - self._network_start.bytes_sent)
            / _MB,
        }

    def stop(self) -> None:
        """Stops sampling and waits for a point being logged, so none lands after the
        run ends."""
        self._stop.set()
        self._thread.join(timeout=30)
        if self._gpus is not None:
            self._gpus.close()


def means(samples: list[dict[str, float]]) -> dict[str, float]:
    """Each reading's mean over the samples that have it (a GPU may miss one now and then).

    >>> means([{"cpu": 10.0, "gpu_0_power_usage_watts": 50.0}, {"cpu": 20.0}])
    {'cpu': 15.0, 'gpu_0_power_usage_watts': 50.0}
    """
    totals: dict[str, list[float]] = {}
    for sample in samples:
        for key, value in sample.items():
            totals.setdefault(key, []).append(value)
    return {key: sum(values) / len(values) for key, values in sorted(totals.items())}


def _check_interval(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise InvalidArgument(
            f"system metrics sampling interval must be seconds > 0, got {value!r}"
        )
    return seconds


def _check_samples(value: Any) -> int:
    text = str(value)
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise InvalidArgument(
            f"system metrics samples before logging must be an integer >= 1, got {value!r}"
        )
    return int(text)
