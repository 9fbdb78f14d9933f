"""A metric's history sampled for a chart: a bounded number of points however long the
history, keeping its extent, its extremes and its direction; whole when it fits."""

from __future__ import annotations

import math

import pytest

import modelreg
from modelreg.entities import Metric
from modelreg.errors import InvalidArgument, NotFound

# The sampling is SQL (integer division, grouping): both databases, embedded.
pytestmark = pytest.mark.parametrize("tracking_uri", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def tracking(tracking_uri):
    return modelreg.Client(tracking_uri)._backend.tracking


@pytest.fixture
def run_id(tracking_uri) -> str:
    return modelreg.Client(tracking_uri).create_run("0").info.run_id


def log(tracking_uri, run_id, values, key="loss", steps=None, start=1_700_000_000_000):
    client = modelreg.Client(tracking_uri)
    steps = range(len(values)) if steps is None else steps
    metrics = [
        Metric(key, v, start + i, s) for i, (s, v) in enumerate(zip(steps, values, strict=True))
    ]
    for at in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[at : at + 1000])


def test_a_history_that_fits_comes_back_whole_in_step_order(tracking, tracking_uri, run_id):
    log(tracking_uri, run_id, [0.5, 0.25, 0.75], steps=[2, 0, 1])

    found = tracking.sample_metric_history(run_id, "loss")

    assert (found.points, found.total, found.axis, found.sampled) == (
        [(0, 0.25), (1, 0.75), (2, 0.5)],
        3,
        "step",
        False,
    )


def test_a_long_history_is_sampled_to_the_points_asked_keeping_its_extent_and_extremes(
    tracking, tracking_uri, run_id
):
    values = [math.sin(step / 50) + (3.0 if step == 2_345 else 0.0) for step in range(5_000)]
    log(tracking_uri, run_id, values)

    found = tracking.sample_metric_history(run_id, "loss", max_points=100)

    assert found.sampled and found.total == 5_000 and len(found.points) <= 100
    steps = [step for step, _ in found.points]
    assert steps == sorted(steps) and (steps[0], steps[-1]) == (0, 4_999)
    drawn = [value for _, value in found.points]
    assert max(drawn) == max(values) and min(drawn) == min(values)  # the spike is kept


def test_a_falling_curve_is_drawn_falling(tracking, tracking_uri, run_id):
    log(tracking_uri, run_id, [1 / (1 + step) for step in range(3_000)])

    found = tracking.sample_metric_history(run_id, "loss", max_points=50)

    drawn = [value for _, value in found.points]
    assert found.sampled and drawn == sorted(drawn, reverse=True)


def test_nan_and_infinities_are_left_out_of_the_chart(tracking, tracking_uri, run_id):
    log(tracking_uri, run_id, [1.0, math.nan, math.inf, -math.inf, 2.0])

    found = tracking.sample_metric_history(run_id, "loss")

    assert (found.points, found.total) == ([(0, 1.0), (4, 2.0)], 2)


def test_a_metric_logged_without_steps_is_drawn_over_time(tracking, tracking_uri, run_id):
    log(tracking_uri, run_id, [0.9, 0.7, 0.6], steps=[0, 0, 0])

    found = tracking.sample_metric_history(run_id, "loss")
    by_step = tracking.sample_metric_history(run_id, "loss", axis="step")

    assert (found.axis, found.points) == ("time", [(0, 0.9), (1, 0.7), (2, 0.6)])
    assert by_step.axis == "step" and {step for step, _ in by_step.points} == {0}


def test_a_long_history_without_steps_is_sampled_over_time(tracking, tracking_uri, run_id):
    log(tracking_uri, run_id, [float(i % 7) for i in range(2_000)], steps=[0] * 2_000)

    found = tracking.sample_metric_history(run_id, "loss", max_points=40)

    assert found.axis == "time" and found.sampled and len(found.points) <= 40
    assert (found.points[0][0], found.points[-1][0]) == (0, 1_999)


def test_a_metric_never_logged_is_empty_and_an_unknown_run_is_not_found(tracking, run_id):
    assert tracking.sample_metric_history(run_id, "loss").points == []
    with pytest.raises(NotFound):
        tracking.sample_metric_history("0" * 32, "loss")


@pytest.mark.parametrize(
    ("options", "named"), [({"max_points": 1}, "max_points"), ({"axis": "epoch"}, "axis")]
)
def test_a_bad_sample_request_is_refused_naming_the_field(tracking, run_id, options, named):
    with pytest.raises(InvalidArgument, match=named):
        tracking.sample_metric_history(run_id, "loss", **options)
