"""The artifacts benchmark's CPU accounting: whose processors an op's time went to."""

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SPIN = """
import sys, time
while time.process_time() < 0.3:
    pass
print("spun", flush=True)
sys.stdin.read()
"""
PARENT = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {SPIN!r}], stdin=sys.stdin)
child.wait()
"""


def _module(folder: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


harness = _module(BENCHMARKS / "workloads", "harness")
phase_artifacts = _module(BENCHMARKS, "phase_artifacts")


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_tree_cpu_counts_the_cpu_of_a_descendant():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "spun"  # the grandchild used 0.3 s of CPU
        assert parent.pid in harness.process_tree(parent.pid)
        assert len(harness.process_tree(parent.pid)) == 2
        assert harness.tree_cpu_seconds(parent.pid) >= 0.25
    finally:
        parent.communicate("")


def test_recorder_adds_each_op_cpu_under_the_watched_name():
    rec = harness.Recorder(cpu_of={"client": os.getpid()})
    rec.call("spin", _spin, 0.2)
    rec.call("spin", _spin, 0.2)
    rec.call("idle", lambda: None)

    assert rec.results["spin"]["cpu_client"] >= 0.3
    assert rec.results["spin"]["ops"] == 2
    assert rec.results["idle"]["cpu_client"] < rec.results["spin"]["cpu_client"]


def test_recorder_without_watched_processes_records_time_only():
    rec = harness.Recorder()
    rec.call("op", lambda: None)
    assert set(rec.results["op"]) == {"ops", "seconds"}


def test_cpu_lines_show_client_and_server_cpu_beside_the_wall_time():
    results = {
        "cp": {"upload large file": {"ops": 1, "seconds": 1.0}},
        "modelreg-embedded": {
            "upload large file": {"ops": 1, "seconds": 1.1, "cpu_client": 1.05}
        },
        "modelreg-server": {
            "upload large file": {
                "ops": 1, "seconds": 2.5, "cpu_client": 1.8, "cpu_server": 2.4
            }
        },
    }  # fmt: skip

    lines = phase_artifacts.cpu_lines(results, 2)

    assert lines == [
        "CPU seconds on 2 cores, upload large file: modelreg embedded client 1.05 "
        "(wall 1.10); modelreg server client 1.80 + server 2.40 (wall 2.50)"
    ]
