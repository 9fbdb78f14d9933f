"""Sixteen processes writing metrics into one SQLite file at once lose nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from modelreg import Client

PROCESSES = 16
WRITES = 500

WRITER = textwrap.dedent(
    """
    import sys
    from modelreg import Client
    client = Client(sys.argv[1])
    run_id, n, writes = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sys.stdin.readline()  # start together
    for i in range(writes):
        client.log_metric(run_id, "loss", float(n * writes + i), step=n * writes + i)
    """
)


@pytest.mark.slow
def test_sixteen_processes_times_500_metric_writes_on_one_sqlite_file_lose_nothing(tmp_path):
    uri = f"sqlite:///{tmp_path / 'registry.db'}"
    client = Client(uri)
    run_id = client.create_run("0").info.run_id
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, uri, run_id, str(n), str(WRITES)],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    for p in procs:  # every writer has started up; now they all write at once
        p.stdin.write("go\n")
        p.stdin.close()
    errors = [p.stderr.read() for p in procs]
    for p in procs:
        p.wait(timeout=240)

    assert [p.returncode for p in procs] == [0] * PROCESSES, errors
    history = client.get_metric_history(run_id, "loss")
    expected = PROCESSES * WRITES
    assert sorted((m.step, m.value) for m in history) == [(i, float(i)) for i in range(expected)]
    assert client.get_run(run_id).data.metrics["loss"] == float(expected - 1)
