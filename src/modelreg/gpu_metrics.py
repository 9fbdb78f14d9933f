"""NVIDIA GPUs' use, for a run's system metrics (see :mod:`modelreg.system_metrics`).

Read through NVML, the driver's management library, with ``nvidia-ml-py`` (in the
``system-metrics`` extra). On a machine without the package, the driver or a GPU
there is nothing to read and nothing is said: CPU, memory, disk and network are
still sampled. Keys are MLflow's, one set per GPU: ``gpu_0_utilization_percentage``,
``gpu_0_memory_usage_megabytes`` and ``_percentage``, ``gpu_0_power_usage_watts``
and ``_percentage``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MB = 1_000_000


class Gpus:
    """The machine's NVIDIA GPUs, open in NVML until :meth:`close`."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self._nvml = nvml
        self._handles = handles

    @classmethod
    def open(cls) -> Gpus | None:
        """The GPUs, or ``None`` where NVML or a GPU is missing."""
        try:
            import pynvml
        except ImportError:
            return None
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError:  # no driver: not a GPU machine
            return None
        try:
            count = pynvml.nvmlDeviceGetCount()
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except pynvml.NVMLError:
            handles = []
        if not handles:
            _shutdown(pynvml)
            return None
        return cls(pynvml, handles)

    def sample(self) -> dict[str, float]:
        """Each GPU's readings now; a reading a GPU does not give (power on some boards)
        is left out, the others kept."""
        readings: dict[str, float] = {}
        for index, handle in enumerate(self._handles):
            for name, read in self._readers(handle).items():
                try:
                    readings[f"gpu_{index}_{name}"] = read()
                except self._nvml.NVMLError:
                    continue
        return readings

    def _readers(self, handle: Any) -> dict[str, Callable[[], float]]:
        nvml = self._nvml

        def memory() -> Any:
            return nvml.nvmlDeviceGetMemoryInfo(handle)

        def power_percentage() -> float:
            limit = nvml.nvmlDeviceGetEnforcedPowerLimit(handle)
            return 100 * nvml.nvmlDeviceGetPowerUsage(handle) / limit if limit else 0.0

        def memory_percentage() -> float:
            used = memory()
            return 100 * used.used / used.total

        return {
            "utilization_percentage": lambda: float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
            "memory_usage_megabytes": lambda: memory().used / _MB,
            "memory_usage_percentage": memory_percentage,
            "power_usage_watts": lambda: nvml.nvmlDeviceGetPowerUsage(handle) / 1000,
            "power_usage_percentage": power_percentage,
        }

    def close(self) -> None:
        """Lets NVML go (it counts its users)."""
        _shutdown(self._nvml)


def _shutdown(nvml: Any) -> None:
    try:
        nvml.nvmlShutdown()
    except nvml.NVMLError:
        pass  # already shut: nothing held
