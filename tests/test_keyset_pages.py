"""Paged lists continue from the last row shown (keyset), on every backend (#17 point 3).

Walking a list page by page gives every row once, in the order one big page
gives, however the rows tie on the ordering, lack the ordered value or hold
NaN; a token belongs to its search and a forged one is refused.
"""

from __future__ import annotations

import math

import pytest

from modelreg.entities import Metric
from modelreg.errors import InvalidArgument


def _walk(search, page_size):
    """Every item of a paged search, page by page."""
    items, token = [], None
    while True:
        page = search(max_results=page_size, page_token=token)
        items.extend(page)
        token = page.token
        if not token:
            return items


@pytest.fixture
def runs(client):
    """An experiment of 11 runs: metric m ties in pairs, two runs lack it, one holds NaN."""
    experiment = client.create_experiment("keyset")
    for i in range(11):
        run_id = client.create_run(experiment, start_time=1_000 + i // 3).info.run_id
        if i < 8:
            value = math.nan if i == 7 else float(i // 2)
            client.log_batch(run_id, metrics=[Metric("m", value, 0, 0)])
        client.set_tag(run_id, "team", "a" if i % 2 else "b")
    return experiment


def _ids(found):
    return [r.info.run_id for r in found]


@pytest.mark.parametrize(
    "order_by",
    [None, ["metrics.m DESC"], ["metrics.m ASC"], ["tags.team ASC"], ["start_time ASC"]],
)
def test_walking_runs_page_by_page_gives_what_one_page_gives(client, runs, order_by):
    whole = client.search_runs([runs], order_by=order_by, max_results=100)

    walked = _walk(lambda **kw: client.search_runs([runs], order_by=order_by, **kw), 2)

    assert _ids(walked) == _ids(whole)
    assert len(set(_ids(walked))) == 11


@pytest.mark.parametrize("direction", ["DESC", "ASC"])
def test_runs_without_the_ordered_metric_come_last_in_either_direction(client, runs, direction):
    order = [f"metrics.m {direction}"]

    walked = _walk(lambda **kw: client.search_runs([runs], order_by=order, **kw), 3)

    values = [r.data.metrics.get("m") for r in walked]
    numbers = values[:7]
    assert all(v is not None and not math.isnan(v) for v in numbers)
    assert numbers == sorted(numbers, reverse=direction == "DESC")
    assert all(v is None or math.isnan(v) for v in values[7:])


def test_a_filter_on_the_ordered_metric_pages_through_its_matches(client, runs):
    def search(**kw):
        return client.search_runs([runs], "metrics.m >= 1", order_by=["metrics.m DESC"], **kw)

    walked = _walk(search, 2)

    assert [r.data.metrics["m"] for r in walked] == [3.0, 2.0, 2.0, 1.0, 1.0]


def test_walking_versions_and_models_page_by_page(client):
    source = f"runs:/{client.create_run('0').info.run_id}/model"
    for name in ("b-model", "a-model", "c-model"):
        client.create_registered_model(name)
        for _ in range(3):
            client.create_model_version(name, source)

    versions = _walk(lambda **kw: client.search_model_versions(**kw), 2)
    models = _walk(lambda **kw: client.search_registered_models(**kw), 2)

    assert [(v.name, v.version) for v in versions] == [
        (name, number) for name in ("a-model", "b-model", "c-model") for number in (3, 2, 1)
    ]
    assert [m.name for m in models] == ["a-model", "b-model", "c-model"]


def test_walking_experiments_page_by_page(client):
    for name in ("x", "y", "z"):
        client.create_experiment(name)
    whole = client.search_experiments(max_results=100)

    walked = _walk(lambda **kw: client.search_experiments(**kw), 1)

    assert [e.experiment_id for e in walked] == [e.experiment_id for e in whole]


def test_a_token_of_one_ordering_is_refused_by_another(client, runs):
    page = client.search_runs([runs], order_by=["metrics.m DESC"], max_results=2)

    with pytest.raises(InvalidArgument, match="page_token"):
        client.search_runs([runs], order_by=["start_time ASC"], page_token=page.token)


@pytest.mark.parametrize("token", ["not-a-token", "eyJhZnRlciI6IFt0cnVlXX0="])
def test_a_forged_token_is_refused(client, runs, token):
    with pytest.raises(InvalidArgument, match="page_token"):
        client.search_runs([runs], page_token=token)
