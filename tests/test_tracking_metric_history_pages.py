"""A metric's history in keyset pages: every value once, in order, however it is paged."""

import math

import pytest

from modelreg.entities import Metric
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def run_id(client):
    return client.create_run("0").info.run_id


def points(history):
    return [(m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value) for m in history]


def all_pages(client, run_id, key, size):
    found, token = [], None
    while True:
        page = client.get_metric_history(run_id, key, max_results=size, page_token=token)
        found.extend(page)
        token = page.token
        if token is None:
            return found


def test_pages_join_into_the_whole_history_in_step_order(client, run_id):
    metrics = [Metric("loss", 1.0 / (s + 1), 1000 + s, s) for s in reversed(range(23))]
    client.log_batch(run_id, metrics=metrics)

    paged = all_pages(client, run_id, "loss", 5)

    assert points(paged) == points(client.get_metric_history(run_id, "loss"))
    assert [m.step for m in paged] == list(range(23))


def test_a_point_logged_many_times_is_one_point_on_pages_of_any_size(client, run_id):
    twins = [Metric("m", 0.5, 7, 3)] * 5
    client.log_batch(run_id, metrics=[Metric("m", 0.1, 1, 1), *twins, Metric("m", 0.9, 9, 4)])

    for size in (1, 2, 3, 4):
        assert points(all_pages(client, run_id, "m", size)) == [
            (1, 1, 0.1),
            (3, 7, 0.5),
            (4, 9, 0.9),
        ], f"pages of {size}"


def test_nan_twins_at_one_step_are_each_returned_once_across_pages(client, run_id):
    # A NaN is no value a point could be told apart by, so its repeats are all kept.
    twins = [Metric("m", math.nan, 7, 3)] * 4
    client.log_batch(run_id, metrics=[Metric("m", 0.1, 1, 1), *twins, Metric("m", 0.9, 9, 4)])

    for size in (1, 2, 3):
        assert points(all_pages(client, run_id, "m", size)) == [
            (1, 1, 0.1),
            *[(3, 7, "nan")] * 4,
            (4, 9, 0.9),
        ], f"pages of {size}"


def test_nan_and_infinities_page_like_any_value(client, run_id):
    values = [math.nan, math.inf, -math.inf, math.nan, 2.0]
    client.log_batch(run_id, metrics=[Metric("odd", v, 5, 0) for v in values])

    paged = all_pages(client, run_id, "odd", 1)

    assert sorted(map(str, (m.value for m in paged))) == sorted(map(str, values))


def test_without_a_page_size_the_whole_history_comes_back_with_no_token(client, run_id):
    client.log_batch(run_id, metrics=[Metric("acc", 0.5, 1, s) for s in range(3)])

    history = client.get_metric_history(run_id, "acc")

    assert len(history) == 3 and history.token is None


def test_a_page_token_of_another_list_is_refused(client, run_id):
    client.log_batch(run_id, metrics=[Metric("acc", 0.5, 1, s) for s in range(3)])
    other = client.search_runs(["0"], max_results=1).token or "e30="

    with pytest.raises(InvalidArgument, match="page_token"):
        client.get_metric_history(run_id, "acc", max_results=1, page_token=other)


def test_a_forged_page_token_is_refused(client, run_id):
    with pytest.raises(InvalidArgument, match="page_token"):
        client.get_metric_history(run_id, "acc", max_results=1, page_token="%%%")


def test_a_page_size_below_one_is_refused_naming_it(client, run_id):
    with pytest.raises(InvalidArgument, match="max_results"):
        client.get_metric_history(run_id, "acc", max_results=0)


def test_a_page_of_an_unknown_run_raises_not_found(client):
    with pytest.raises(NotFound):
        client.get_metric_history("0123456789abcdef" * 2, "m", max_results=5)
