"""Runs: create, params, metrics with steps, tags, batches, termination, deletion."""

import math

import pytest

from modelreg.entities import Metric, Param, RunTag
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def run_id(client):
    return client.create_run(client.create_experiment("runs")).info.run_id


def test_create_run_starts_running_with_a_name_and_user(client):
    run = client.create_run("0", run_name="first", tags={"team": "a"})

    fetched = client.get_run(run.info.run_id)

    assert fetched.info.status == "RUNNING"
    assert fetched.info.run_name == "first"
    assert fetched.info.user_id
    assert fetched.data.tags == {"team": "a"}


def test_run_without_a_name_gets_a_readable_one(client):
    assert client.create_run("0").info.run_name.count("-") == 2


def test_create_run_in_unknown_experiment_raises_not_found(client):
    with pytest.raises(NotFound, match="experiment '4242'"):
        client.create_run("4242")


def test_get_run_of_unknown_id_raises_not_found(client):
    with pytest.raises(NotFound, match="run 'deadbeef'"):
        client.get_run("deadbeef")


def test_params_are_stored_as_strings(client, run_id):
    client.log_param(run_id, "lr", 1e-4)
    client.log_param(run_id, "batch_size", 32)

    assert client.get_run(run_id).data.params == {"lr": "0.0001", "batch_size": "32"}


def test_relogging_a_param_with_the_same_value_is_accepted(client, run_id):
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")

    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_relogging_a_param_with_a_different_value_is_refused(client, run_id):
    client.log_param(run_id, "lr", "0.1")

    with pytest.raises(InvalidArgument, match="param 'lr'.*immutable"):
        client.log_param(run_id, "lr", "0.2")
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_param_value_over_6000_characters_is_refused(client, run_id):
    with pytest.raises(InvalidArgument, match="6000"):
        client.log_param(run_id, "big", "x" * 6001)


def test_param_value_of_exactly_6000_characters_is_kept(client, run_id):
    client.log_param(run_id, "big", "x" * 6000)

    assert len(client.get_run(run_id).data.params["big"]) == 6000


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "empty"),
        ("k" * 251, "250"),
        ("a/../b", r"'\.\.'"),
        ("/abs", "start with '/'"),
        ("semi;colon", "characters"),
        ("new\nline", "characters"),
    ],
)
def test_bad_keys_are_refused_with_the_reason(client, run_id, key, problem):
    with pytest.raises(InvalidArgument, match=problem):
        client.log_metric(run_id, key, 1.0)


def test_keys_mlflow_allows_round_trip_and_are_found_by_search(client, run_id):
    keys = ["eval:loss", "system/cpu utilization", "val-loss.1", "größe_2"]
    client.log_batch(
        run_id,
        metrics=[Metric(k, 1.0, 0, 0) for k in keys],
        params=[Param(k, "v") for k in keys],
        tags=[RunTag(k, "t") for k in keys],
    )

    data = client.get_run(run_id).data
    assert sorted(data.metrics) == sorted(data.params) == sorted(keys)
    assert {k: data.tags[k] for k in keys} == dict.fromkeys(keys, "t")
    experiment_id = client.get_run(run_id).info.experiment_id
    found = client.search_runs(
        [experiment_id], "metrics.`eval:loss` = 1 and params.`eval:loss` = 'v'"
    )
    assert [r.info.run_id for r in found] == [run_id]


def test_the_mlflow_run_name_tag_renames_the_run(client, run_id):
    # MLflow's set_tag("mlflow.runName", ...) is how its UI and clients rename a run.
    client.set_tag(run_id, "mlflow.runName", "renamed")

    run = client.get_run(run_id)
    assert (run.info.run_name, run.data.tags["mlflow.runName"]) == ("renamed", "renamed")


def test_renaming_a_run_keeps_its_mlflow_run_name_tag_in_step(client, run_id):
    client.set_tag(run_id, "mlflow.runName", "first")

    client.update_run(run_id, name="second")

    run = client.get_run(run_id)
    assert (run.info.run_name, run.data.tags["mlflow.runName"]) == ("second", "second")


def test_a_run_name_tag_too_long_for_a_name_is_refused_and_nothing_is_written(client, run_id):
    with pytest.raises(InvalidArgument, match="run_name"):
        client.log_batch(
            run_id, params=[Param("p", "1")], tags=[RunTag("mlflow.runName", "n" * 251)]
        )

    assert client.get_run(run_id).data.params == {}


def test_unicode_keys_and_values_round_trip(client, run_id):
    client.set_tag(run_id, "größe", "模型 ✓")

    assert client.get_run(run_id).data.tags["größe"] == "模型 ✓"


def test_metric_history_keeps_every_step_and_latest_is_the_highest_step(client, run_id):
    for step, value in [(0, 0.5), (2, 0.9), (1, 0.7)]:
        client.log_metric(run_id, "acc", value, step=step, timestamp=1000 + step)

    history = client.get_metric_history(run_id, "acc")

    assert [(m.step, m.value) for m in history] == [(0, 0.5), (1, 0.7), (2, 0.9)]
    assert client.get_run(run_id).data.metrics["acc"] == 0.9


@pytest.mark.parametrize("one_batch", [False, True], ids=["calls", "one-batch"])
@pytest.mark.parametrize(
    ("points", "latest"),
    [
        ([(5, 10, 1.0), (3, 90, 2.0)], 1.0),  # a higher step wins over a later time
        ([(5, 10, 1.0), (5, 90, 2.0)], 2.0),  # then the later time
        ([(5, 10, 3.0), (5, 10, 2.0)], 3.0),  # then the higher value, as on MLflow
        ([(5, 10, 2.0), (5, 10, 3.0)], 3.0),
        ([(5, 10, math.nan), (5, 10, 2.0)], math.nan),  # a NaN neither wins nor loses a tie
        ([(5, 10, 2.0), (5, 10, math.nan)], 2.0),
        ([(5, 10, 2.0), (6, 0, math.nan)], math.nan),
    ],
)
def test_the_latest_value_is_the_highest_step_then_time_then_value(
    client, run_id, points, latest, one_batch
):
    metrics = [Metric("m", value, timestamp, step) for step, timestamp, value in points]
    if one_batch:
        client.log_batch(run_id, metrics=metrics)
    else:
        for metric in metrics:
            client.log_batch(run_id, metrics=[metric])

    got = client.get_run(run_id).data.metrics["m"]

    assert got == latest or (math.isnan(got) and math.isnan(latest))


def test_a_point_logged_again_is_kept_once_in_the_history(client, run_id):
    points = [Metric("loss", 0.5, 1000, 1), Metric("loss", 0.4, 1001, 2)]
    client.log_batch(run_id, metrics=points)
    client.log_batch(run_id, metrics=points)  # a retried request
    client.log_batch(run_id, metrics=[Metric("loss", 0.5, 1000, 1)] * 3)
    client.log_metric(run_id, "loss", 0.45, step=2, timestamp=1001)  # another value: kept

    history = client.get_metric_history(run_id, "loss")

    assert [(m.step, m.value) for m in history] == [(1, 0.5), (2, 0.4), (2, 0.45)]
    assert client.get_run(run_id).data.metrics["loss"] == 0.45


def test_nan_and_infinities_are_stored_faithfully(client, run_id):
    client.log_metric(run_id, "nan", math.nan)
    client.log_metric(run_id, "pinf", math.inf)
    client.log_metric(run_id, "ninf", -math.inf)

    metrics = client.get_run(run_id).data.metrics

    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] == math.inf and metrics["ninf"] == -math.inf


@pytest.mark.parametrize("value", ["0.5", None, True, [1.0]])
def test_non_numeric_metric_values_are_refused(client, run_id, value):
    with pytest.raises(InvalidArgument, match="metric 'm' must be a number"):
        client.log_metric(run_id, "m", value)


def test_numpy_scalars_are_accepted_as_metric_values(client, run_id):
    import numpy as np

    client.log_metric(run_id, "m", np.float32(0.25))

    assert client.get_run(run_id).data.metrics["m"] == 0.25


def test_log_batch_writes_everything_in_one_call(client, run_id):
    client.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 10, 0), Metric("m", 2.0, 11, 1)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "x")],
    )

    run = client.get_run(run_id)

    assert (run.data.metrics, run.data.params, run.data.tags) == (
        {"m": 2.0},
        {"p": "1"},
        {"t": "x"},
    )


def test_failed_log_batch_writes_nothing(client, run_id):
    client.log_param(run_id, "p", "1")

    with pytest.raises(InvalidArgument):
        client.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, 10, 0)],
            params=[Param("q", "2"), Param("p", "changed")],
            tags=[RunTag("t", "x")],
        )

    run = client.get_run(run_id)
    assert (run.data.metrics, run.data.params, run.data.tags) == ({}, {"p": "1"}, {})


def test_batch_with_more_than_10000_items_is_refused(client, run_id):
    with pytest.raises(InvalidArgument, match="10000"):
        client.log_batch(run_id, metrics=[Metric("m", 1.0, 0, i) for i in range(10_001)])


def test_tags_overwrite_and_can_be_deleted(client, run_id):
    client.set_tag(run_id, "t", "1")
    client.set_tag(run_id, "t", "2")
    assert client.get_run(run_id).data.tags == {"t": "2"}

    client.delete_tag(run_id, "t")

    assert client.get_run(run_id).data.tags == {}


def test_deleting_a_missing_tag_raises_not_found(client, run_id):
    with pytest.raises(NotFound, match="tag 'nope'"):
        client.delete_tag(run_id, "nope")


def test_set_terminated_records_status_and_end_time(client, run_id):
    client.set_terminated(run_id, "FAILED")

    info = client.get_run(run_id).info

    assert info.status == "FAILED"
    assert info.end_time is not None and info.end_time >= info.start_time


def test_unknown_status_is_refused(client, run_id):
    with pytest.raises(InvalidArgument, match="status 'DONE'"):
        client.set_terminated(run_id, "DONE")


def test_deleted_run_refuses_logging_and_can_be_restored(client, run_id):
    client.delete_run(run_id)

    with pytest.raises(InvalidArgument, match="deleted"):
        client.log_metric(run_id, "m", 1.0)
    client.restore_run(run_id)
    client.log_metric(run_id, "m", 1.0)

    assert client.get_run(run_id).data.metrics == {"m": 1.0}


def test_logging_to_an_unknown_run_raises_not_found(client):
    with pytest.raises(NotFound):
        client.log_param("0123456789abcdef", "p", "1")


def test_metric_history_of_unknown_run_raises_not_found(client):
    with pytest.raises(NotFound):
        client.get_metric_history("0123456789abcdef", "m")
