"""The fluent API: active runs, nesting, end states, the active experiment."""

import pytest

import modelreg
from modelreg.errors import Conflict, InvalidArgument, NotFound

CAPTURED_TAGS = ("modelreg.environment",)


@pytest.fixture
def fluent(client):
    modelreg.set_experiment("fluent")
    return client


def test_start_run_block_ends_finished_and_logs_everything(fluent):
    with modelreg.start_run() as run:
        modelreg.log_param("learning_rate", 1e-4)
        modelreg.log_params({"batch_size": 32})
        modelreg.log_metric("accuracy", 0.9)
        modelreg.log_metrics({"f1": 0.8, "loss": 0.1}, step=3)
        modelreg.set_tag("team", "x")
        modelreg.set_tags({"stage": "dev"})

    stored = fluent.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.params == {"learning_rate": "0.0001", "batch_size": "32"}
    assert stored.data.metrics == {"accuracy": 0.9, "f1": 0.8, "loss": 0.1}
    # start_run adds the code version and environment tags (see test_code_version.py).
    logged = {k: v for k, v in stored.data.tags.items() if k not in CAPTURED_TAGS}
    assert logged == {"team": "x", "stage": "dev"}


def test_run_that_raises_ends_failed(fluent):
    with pytest.raises(ValueError):
        with modelreg.start_run() as run:
            raise ValueError("training diverged")

    assert fluent.get_run(run.info.run_id).info.status == "FAILED"
    assert modelreg.active_run() is None


def test_keyboard_interrupt_ends_killed(fluent):
    with pytest.raises(KeyboardInterrupt):
        with modelreg.start_run() as run:
            raise KeyboardInterrupt

    assert fluent.get_run(run.info.run_id).info.status == "KILLED"


def test_runs_go_to_the_active_experiment(fluent):
    with modelreg.start_run() as run:
        pass

    assert fluent.get_experiment(run.info.experiment_id).name == "fluent"


def test_nested_run_records_its_parent(fluent):
    with modelreg.start_run() as parent:
        with modelreg.start_run(nested=True) as child:
            assert modelreg.active_run().info.run_id == child.info.run_id
        assert modelreg.active_run().info.run_id == parent.info.run_id

    assert fluent.get_run(child.info.run_id).data.tags["modelreg.parentRunId"] == parent.info.run_id


def test_second_run_without_nested_is_refused(fluent):
    with modelreg.start_run():
        with pytest.raises(Conflict, match="nested=True"):
            modelreg.start_run()


def test_logging_without_an_active_run_starts_one(fluent):
    modelreg.log_metric("m", 1.0)
    run = modelreg.active_run()
    modelreg.end_run()

    assert fluent.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_resuming_a_run_by_id_keeps_its_data(fluent):
    with modelreg.start_run() as run:
        modelreg.log_param("p", "1")
    with modelreg.start_run(run_id=run.info.run_id):
        modelreg.log_metric("m", 2.0)

    stored = fluent.get_run(run.info.run_id)
    assert stored.data.params == {"p": "1"} and stored.data.metrics == {"m": 2.0}
    assert stored.info.status == "FINISHED"


def test_set_experiment_needs_exactly_one_argument(fluent):
    with pytest.raises(InvalidArgument, match="exactly one"):
        modelreg.set_experiment()


def test_set_experiment_refuses_a_deleted_experiment(fluent):
    experiment_id = fluent.create_experiment("gone")
    fluent.delete_experiment(experiment_id)

    with pytest.raises(InvalidArgument, match="deleted"):
        modelreg.set_experiment("gone")


def test_get_tracking_uri_returns_what_was_set(fluent, tracking_uri):
    assert modelreg.get_tracking_uri() == tracking_uri


def test_last_active_run_is_the_run_that_just_ended(fluent):
    with modelreg.start_run() as run:
        modelreg.log_metric("m", 3.0)

    assert modelreg.last_active_run().info.run_id == run.info.run_id


def test_the_run_shows_its_final_status_and_end_time_after_the_block(fluent):
    with modelreg.start_run() as run:
        modelreg.log_metric("accuracy", 0.9)

    assert run.info.status == "FINISHED"
    assert run.info.end_time is not None and run.info.end_time >= run.info.start_time
    assert run.data.metrics == {"accuracy": 0.9}


def test_the_run_of_a_block_that_raised_shows_failed(fluent):
    with pytest.raises(ValueError), modelreg.start_run() as run:
        raise ValueError("diverged")

    assert (run.info.status, run.info.end_time is not None) == ("FAILED", True)


def test_search_runs_takes_experiment_names(fluent):
    with modelreg.start_run(run_name="in-fluent"):
        pass
    modelreg.set_experiment("other")

    found = modelreg.search_runs(experiment_names=["fluent"], output_format="list")

    assert [r.info.run_name for r in found] == ["in-fluent"]


def test_search_runs_refuses_an_unknown_experiment_name(fluent):
    with pytest.raises(NotFound, match="experiment 'nowhere' does not exist"):
        modelreg.search_runs(experiment_names=["nowhere"])


def test_search_runs_returns_a_dataframe_of_runs_by_default(fluent):
    import pandas

    with modelreg.start_run(run_name="tabled") as run:
        modelreg.log_params({"lr": 0.1})
        modelreg.log_metric("auc", 0.8)

    frame = modelreg.search_runs()

    assert list(frame["run_name"]) == ["tabled"]
    assert (frame["metrics.auc"][0], frame["params.lr"][0]) == (0.8, "0.1")
    assert frame["start_time"][0] == pandas.Timestamp(run.info.start_time, unit="ms", tz="UTC")


def test_search_runs_without_runs_is_an_empty_dataframe_with_the_run_columns(fluent):
    frame = modelreg.search_runs()

    assert frame.empty and "run_id" in frame.columns


def test_client_search_runs_says_it_wants_ids_when_given_a_name(fluent):
    with pytest.raises(InvalidArgument, match="takes experiment ids, and 'fluent' is not one"):
        fluent.search_runs(["fluent"])
