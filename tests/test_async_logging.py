"""Asynchronous logging: calls return at once, values are written in batches, none is lost."""

import os
import subprocess
import sys
import textwrap

import pytest

import modelreg
from modelreg.async_logging import RunOperations
from modelreg.entities import Param
from modelreg.errors import InvalidArgument


@pytest.fixture
def fluent(client):
    modelreg.set_experiment("async")
    return client


def test_queued_values_are_all_written_in_order_by_the_end_of_the_run(fluent):
    with modelreg.start_run() as run:
        for step in range(300):
            modelreg.log_metric("loss", 1 / (step + 1), step=step, synchronous=False)
        modelreg.log_param("lr", "0.1", synchronous=False)
        modelreg.log_params({"batch": "32"}, synchronous=False)
        modelreg.set_tags({"team": "risk"}, synchronous=False)
        modelreg.log_metrics({"f1": 0.8}, step=3, synchronous=False)

    history = fluent.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(300))
    assert run.data.params == {"lr": "0.1", "batch": "32"}
    assert run.data.tags["team"] == "risk" and run.data.metrics["f1"] == 0.8


def test_a_later_value_of_a_tag_wins_as_it_would_synchronously(fluent):
    with modelreg.start_run() as run:
        for value in ("a", "b", "c"):
            modelreg.set_tag("state", value, synchronous=False)

    assert run.data.tags["state"] == "c"


def test_wait_returns_once_the_values_are_stored(fluent):
    with modelreg.start_run() as run:
        operations = modelreg.log_metric("accuracy", 0.9, synchronous=False)
        assert isinstance(operations, RunOperations)
        operations.wait()
        assert fluent.get_run(run.info.run_id).data.metrics == {"accuracy": 0.9}


def test_a_failure_is_raised_by_wait_and_not_again_by_end_run(fluent):
    with modelreg.start_run() as run:
        modelreg.log_param("lr", "0.1")
        operations = modelreg.log_param("lr", "0.2", synchronous=False)
        with pytest.raises(InvalidArgument, match="lr"):
            operations.wait()

    assert run.info.status == "FINISHED"


def test_a_failure_no_one_waited_for_is_raised_by_end_run_once_the_run_ended(fluent):
    with pytest.raises(InvalidArgument, match="lr"):
        with modelreg.start_run() as run:
            modelreg.log_param("lr", "0.1")
            modelreg.log_param("lr", "0.2", synchronous=False)

    ended = fluent.get_run(run.info.run_id)
    assert ended.info.status == "FINISHED"
    assert ended.data.params == {"lr": "0.1"}


def test_a_failing_call_loses_none_of_the_calls_queued_with_it(fluent):
    with pytest.raises(InvalidArgument, match="lr"):
        with modelreg.start_run() as run:
            modelreg.log_param("lr", "0.1")
            for step in range(200):
                modelreg.log_metric("loss", float(step), step=step, synchronous=False)
                if step == 100:
                    modelreg.log_param("lr", "0.2", synchronous=False)

    assert len(fluent.get_metric_history(run.info.run_id, "loss")) == 200


def test_the_setting_makes_logging_asynchronous_unless_a_call_says_otherwise(fluent, monkeypatch):
    monkeypatch.setenv("MODELREG_ASYNC_LOGGING", "1")
    with modelreg.start_run() as run:
        assert isinstance(modelreg.log_metric("m", 1.0), RunOperations)
        assert modelreg.log_metric("n", 2.0, synchronous=True) is None
        assert fluent.get_run(run.info.run_id).data.metrics["n"] == 2.0

    assert run.data.metrics == {"m": 1.0, "n": 2.0}


def in_a_process_that_exits_in_its_run(tmp_path, body):
    """Runs ``body`` in a new Python process, inside a run it never ends, on a SQLite store."""
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    script = f"import modelreg\nmodelreg.set_tracking_uri({uri!r})\nrun = modelreg.start_run()\n"
    env = {"MODELREG_ARTIFACTS_URI": str(tmp_path / "artifacts"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return uri, done


def test_values_queued_by_a_process_that_exits_without_ending_its_run_are_written(tmp_path):
    uri, done = in_a_process_that_exits_in_its_run(
        tmp_path,
        """
        for step in range(200):
            modelreg.log_metric("loss", float(step), step=step, synchronous=False)
        print(run.info.run_id)
        """,
    )
    assert done.returncode == 0, done.stderr

    history = modelreg.Client(uri).get_metric_history(done.stdout.strip(), "loss")
    assert len(history) == 200


def test_a_param_queued_twice_with_two_values_is_refused_as_it_would_be_synchronously(fluent):
    with pytest.raises(InvalidArgument, match="lr"):
        with modelreg.start_run() as run:
            modelreg.log_param("lr", "0.1", synchronous=False)
            modelreg.log_param("lr", "0.2", synchronous=False)

    assert fluent.get_run(run.info.run_id).data.params == {"lr": "0.1"}


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda: modelreg.log_metric("loss", "high", synchronous=False), "must be a number"),
        (lambda: modelreg.log_metric("../x", 1.0, synchronous=False), "must not start"),
        (lambda: modelreg.log_metric("loss", 1.0, step="x", synchronous=False), "step"),
        (lambda: modelreg.log_param("lr", None, synchronous=False), "must not be None"),
        (lambda: modelreg.set_tag("", "x", synchronous=False), "must not be empty"),
    ],
)
def test_a_malformed_value_is_refused_at_its_call_and_not_queued(fluent, call, problem):
    with modelreg.start_run() as run:
        with pytest.raises(InvalidArgument, match=problem):
            call()

    assert run.info.status == "FINISHED"


def test_a_failure_left_at_exit_is_reported_on_stderr(tmp_path):
    _, done = in_a_process_that_exits_in_its_run(
        tmp_path,
        """
        modelreg.log_param("lr", "0.1")
        modelreg.log_param("lr", "0.2", synchronous=False)
        """,
    )

    assert "asynchronous logging to run" in done.stderr and "lr" in done.stderr


def test_client_calls_queue_too_and_set_terminated_writes_them_first(client):
    run_id = client.create_run(client.create_experiment("client")).info.run_id
    for step in range(100):
        client.log_metric(run_id, "loss", float(step), step=step, synchronous=False)
    client.log_param(run_id, "lr", "0.1", synchronous=False)
    client.set_tag(run_id, "team", "risk", synchronous=False)

    client.set_terminated(run_id)

    run = client.get_run(run_id)
    assert len(client.get_metric_history(run_id, "loss")) == 100
    assert (run.data.params, run.data.tags["team"]) == ({"lr": "0.1"}, "risk")


def test_set_terminated_raises_a_failure_no_one_saw_once_the_run_has_ended(client):
    run_id = client.create_run(client.create_experiment("client")).info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_batch(run_id, params=[Param("lr", "0.2")], synchronous=False)

    with pytest.raises(InvalidArgument, match="lr"):
        client.set_terminated(run_id, "FAILED")

    assert client.get_run(run_id).info.status == "FAILED"


FORK_SCRIPT = """
import os, signal, sys, threading, time
import modelreg
from modelreg import async_logging

released = threading.Event()


class Held(modelreg.Client):
    # The writer's log_batch (synchronous) waits to be released: a call stays in flight.
    def log_batch(self, *args, synchronous=None, **kwargs):
        if synchronous:
            released.wait()
        return super().log_batch(*args, synchronous=synchronous, **kwargs)


uri = f"sqlite:///{sys.argv[1]}"
client, held = modelreg.Client(uri), Held(uri)
experiment = client.create_experiment("forked")
parent_run = client.create_run(experiment).info.run_id
child_run = client.create_run(experiment).info.run_id

held.log_metric(parent_run, "loss", 1.0, step=0, synchronous=False)
while async_logging._writer._queue.qsize():  # taken by the writer, which waits
    time.sleep(0.01)
held.log_metric(parent_run, "loss", 2.0, step=1, synchronous=False)  # queued

pid = os.fork()
if pid == 0:
    signal.alarm(30)  # a child that hangs is killed: the parent sees the signal
    client.log_metric(child_run, "child", 1.0, synchronous=False)
    failure = async_logging.finish(child_run)
    os._exit(0 if failure is None else 3)

released.set()
_, status = os.waitpid(pid, 0)
assert async_logging.finish(parent_run) is None
steps = [m.step for m in client.get_metric_history(parent_run, "loss")]
child = len(client.get_metric_history(child_run, "child"))
print(os.waitstatus_to_exitcode(status), steps, child)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_writes_its_own_calls_not_those_its_parent_queued(tmp_path):
    # A child forked while calls are queued (a data loader's workers) inherits the
    # queue: it must neither wait for its parent's calls nor write them a second time.
    done = subprocess.run(
        [sys.executable, "-c", FORK_SCRIPT, str(tmp_path / "store.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split(maxsplit=1) == ["0", "[0, 1] 1\n"]
