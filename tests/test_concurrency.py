"""Concurrent writers lose nothing: processes on one SQLite file, threads on every backend."""

import subprocess
import sys
import textwrap
import threading

from modelreg.entities import Metric

WRITER = textwrap.dedent(
    """
    import sys
    from modelreg import Client
    from modelreg.entities import Metric, Param
    client = Client(sys.argv[1])
    run_id, tag = sys.argv[2], sys.argv[3]
    for step in range(200):
        client.log_batch(run_id, metrics=[Metric(f"m_{tag}", float(step), step, step)])
    for i in range(20):
        run = client.create_run("0", run_name=f"{tag}-{i}")
        client.log_batch(run.info.run_id, params=[Param("p", str(i))])
    """
)


def test_two_processes_logging_into_one_sqlite_file_lose_nothing(sqlite_uri):
    from modelreg import Client

    client = Client(sqlite_uri)
    run_id = client.create_run("0").info.run_id
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, sqlite_uri, run_id, tag],
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]

    assert [p.returncode for p in procs] == [0, 0], errors
    for tag in ("a", "b"):
        assert len(client.get_metric_history(run_id, f"m_{tag}")) == 200
    assert len(client.search_runs(["0"], "run_name LIKE '%-%'", max_results=1000)) == 41


def test_ten_threads_logging_metrics_concurrently_lose_nothing(client):
    run_id = client.create_run("0").info.run_id
    failures = []

    def log(thread: int) -> None:
        try:
            for step in range(50):
                client.log_batch(run_id, metrics=[Metric(f"t{thread}", float(step), step, step)])
                client.log_metric(run_id, "shared", float(step), step=step * 100 + thread)
        except Exception as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=log, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    for i in range(10):
        assert len(client.get_metric_history(run_id, f"t{i}")) == 50
    assert len(client.get_metric_history(run_id, "shared")) == 500
    assert client.get_run(run_id).data.metrics["shared"] == 49.0
