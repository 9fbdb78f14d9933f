"""System metrics: a run that asks (or every run, once enabled) logs CPU, memory, disk and
network use as ``system/…`` metrics while it is active, on every backend, and stops when
it ends."""

from __future__ import annotations

import math
import sys
import time

import pytest

import modelreg
from modelreg.errors import InvalidArgument, ModelregWarning

CPU = "system/cpu_utilization_percentage"
KEYS = {
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}


@pytest.fixture
def fast(client):
    """Samples every 50 ms; the process-wide choices are put back afterwards."""
    modelreg.set_experiment("system")
    modelreg.set_system_metrics_sampling_interval(0.05)
    yield client
    modelreg.set_system_metrics_sampling_interval(None)
    modelreg.set_system_metrics_samples_before_logging(None)
    modelreg.set_system_metrics_node_id(None)
    modelreg.disable_system_metrics_logging()
    from modelreg import system_metrics

    system_metrics._enabled = None


def _points(client, run_id: str, key: str = CPU) -> list:
    return client.get_metric_history(run_id, key)


def _wait_for_points(
    client, run_id: str, count: int, key: str = "system/cpu_utilization_percentage"
):
    deadline = time.monotonic() + 30
    while len(_points(client, run_id, key)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} points of {key} in 30 s"
        time.sleep(0.05)


def test_a_run_asking_for_system_metrics_logs_each_of_them_with_steps(fast):
    with modelreg.start_run(log_system_metrics=True) as run:
        _wait_for_points(fast, run.info.run_id, 2)

    logged = fast.get_run(run.info.run_id).data.metrics
    assert KEYS <= set(logged)
    steps = [p.step for p in _points(fast, run.info.run_id)]
    assert steps == list(range(len(steps)))
    for key in ("system/cpu_utilization_percentage", "system/system_memory_usage_percentage"):
        assert 0 <= logged[key] <= 100
    assert logged["system/system_memory_usage_megabytes"] > 0
    assert logged["system/disk_available_megabytes"] > 0
    assert all(math.isfinite(value) for value in logged.values())


def test_no_point_is_logged_after_the_run_ends(fast):
    with modelreg.start_run(log_system_metrics=True) as run:
        _wait_for_points(fast, run.info.run_id, 1)
    ended = len(_points(fast, run.info.run_id))

    time.sleep(0.3)  # six intervals: points were arriving every one while it ran

    assert len(_points(fast, run.info.run_id)) == ended


def test_a_run_logs_none_unless_it_asks_or_logging_is_enabled(fast):
    with modelreg.start_run() as quiet:
        time.sleep(0.3)
    modelreg.enable_system_metrics_logging()
    with modelreg.start_run() as enabled:
        _wait_for_points(fast, enabled.info.run_id, 1)
    with modelreg.start_run(log_system_metrics=False) as opted_out:
        time.sleep(0.3)

    assert _points(fast, quiet.info.run_id) == []
    assert _points(fast, opted_out.info.run_id) == []


def test_the_environment_variable_enables_it(fast, monkeypatch):
    monkeypatch.setenv("MODELREG_ENABLE_SYSTEM_METRICS_LOGGING", "true")

    with modelreg.start_run() as run:
        _wait_for_points(fast, run.info.run_id, 1)


def test_a_node_id_names_the_machine_in_each_key(fast):
    modelreg.set_system_metrics_node_id("worker-1")

    with modelreg.start_run(log_system_metrics=True) as run:
        key = "system/worker-1/cpu_utilization_percentage"
        _wait_for_points(fast, run.info.run_id, 1, key)

    assert {k.replace("worker-1/", "") for k in fast.get_run(run.info.run_id).data.metrics} == KEYS


def test_several_samples_make_one_point(fast):
    modelreg.set_system_metrics_samples_before_logging(4)

    started = time.monotonic()
    with modelreg.start_run(log_system_metrics=True) as run:
        _wait_for_points(fast, run.info.run_id, 1)
        waited = time.monotonic() - started

    # A point takes four intervals of sampling (0.2 s), not one.
    assert waited >= 0.2


def test_without_psutil_a_run_starts_and_warns_what_to_install(fast, monkeypatch):
    monkeypatch.setitem(sys.modules, "psutil", None)

    with pytest.warns(ModelregWarning, match="modelreg\\[system-metrics\\]"):
        with modelreg.start_run(log_system_metrics=True) as run:
            modelreg.log_metric("loss", 0.5)

    assert fast.get_run(run.info.run_id).data.metrics == {"loss": 0.5}


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf"), "soon"])
def test_a_bad_sampling_interval_is_refused_naming_it(seconds):
    with pytest.raises(InvalidArgument, match="sampling interval"):
        modelreg.set_system_metrics_sampling_interval(seconds)


@pytest.mark.parametrize("samples", [0, -2, 1.5, True, "3x", "³"])
def test_a_bad_sample_count_is_refused_naming_it(samples):
    with pytest.raises(InvalidArgument, match="samples before logging"):
        modelreg.set_system_metrics_samples_before_logging(samples)


def test_a_bad_interval_in_the_environment_is_refused_when_a_run_starts(fast, monkeypatch):
    modelreg.set_system_metrics_sampling_interval(None)
    monkeypatch.setenv("MODELREG_SYSTEM_METRICS_SAMPLING_INTERVAL", "0")

    with pytest.raises(InvalidArgument, match="sampling interval"):
        modelreg.start_run(log_system_metrics=True)


def test_nvidia_gpus_are_sampled_where_the_machine_has_them_and_silently_not_elsewhere(fast):
    import warnings

    from modelreg.gpu_metrics import Gpus

    gpus = Gpus.open()  # None here without an NVIDIA driver (nvidia-ml-py is installed)
    if gpus is not None:
        gpus.close()

    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelregWarning)
        with modelreg.start_run(log_system_metrics=True) as run:
            _wait_for_points(fast, run.info.run_id, 1)

    logged = {k for k in fast.get_run(run.info.run_id).data.metrics if k.startswith("system/gpu_")}
    expected = {
        f"system/gpu_0_{reading}"
        for reading in (
            "utilization_percentage",
            "memory_usage_megabytes",
            "memory_usage_percentage",
        )
    }
    assert expected <= logged if gpus is not None else logged == set()
    assert KEYS <= set(fast.get_run(run.info.run_id).data.metrics)


def test_a_reading_missing_from_some_samples_is_averaged_over_those_that_have_it():
    from modelreg.system_metrics import means

    samples = [{"cpu": 10.0, "gpu_0_power_usage_watts": 50.0}, {"cpu": 20.0}]

    assert means(samples) == {"cpu": 15.0, "gpu_0_power_usage_watts": 50.0}
