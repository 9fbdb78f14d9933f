"""search_runs: the filter language, ordering, paging and its errors."""

import pytest

from modelreg.entities import Metric, Param, RunTag
from modelreg.errors import InvalidArgument
from modelreg.store import run_search


@pytest.fixture
def experiment(client):
    experiment_id = client.create_experiment("search")
    for i, (acc, lr, team) in enumerate(
        [(0.95, "0.001", "x"), (0.80, "0.01", "x"), (0.92, "0.001", "y")]
    ):
        run = client.create_run(experiment_id, run_name=f"run-{i}", start_time=1000 + i)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("accuracy", acc, 0, 0)],
            params=[Param("lr", lr)],
            tags=[RunTag("team", team)],
        )
        if i != 1:
            client.set_terminated(run.info.run_id)
    return experiment_id


def names(runs):
    return [r.info.run_name for r in runs]


def test_filter_combining_metrics_params_tags_and_attributes(client, experiment):
    found = client.search_runs(
        [experiment],
        "metrics.accuracy > 0.9 and params.lr = '0.001' and tags.team = 'x' "
        "and attributes.status = 'FINISHED'",
    )

    assert names(found) == ["run-0"]


def test_or_and_parentheses(client, experiment):
    found = client.search_runs(
        [experiment], "(tags.team = 'y' or metrics.accuracy < 0.85) and params.lr != '0.1'"
    )

    assert sorted(names(found)) == ["run-1", "run-2"]


def test_like_ilike_and_in(client, experiment):
    assert sorted(names(client.search_runs([experiment], "run_name LIKE 'run-%'"))) == [
        "run-0",
        "run-1",
        "run-2",
    ]
    assert names(client.search_runs([experiment], "attributes.run_name ILIKE 'RUN-1'")) == ["run-1"]
    assert sorted(names(client.search_runs([experiment], "tags.team IN ('y')"))) == ["run-2"]


def test_like_is_case_sensitive(client, experiment):
    assert names(client.search_runs([experiment], "run_name LIKE 'RUN-%'")) == []


def test_order_by_metric_descending(client, experiment):
    found = client.search_runs([experiment], order_by=["metrics.accuracy DESC"])

    assert names(found) == ["run-0", "run-2", "run-1"]


def test_default_order_is_newest_first(client, experiment):
    assert names(client.search_runs([experiment])) == ["run-2", "run-1", "run-0"]


def test_paging_walks_all_results_once(client, experiment):
    first = client.search_runs([experiment], max_results=2)
    second = client.search_runs([experiment], max_results=2, page_token=first.token)

    assert len(first) == 2 and len(second) == 1
    assert second.token is None
    assert set(names(first) + names(second)) == {"run-0", "run-1", "run-2"}


def test_deleted_runs_are_hidden_unless_asked_for(client, experiment):
    victim = client.search_runs([experiment], "run_name = 'run-1'")[0].info.run_id
    client.delete_run(victim)

    assert "run-1" not in names(client.search_runs([experiment]))
    assert names(client.search_runs([experiment], run_view_type="DELETED_ONLY")) == ["run-1"]


def test_huge_max_results_is_capped_not_an_error(client, experiment):
    assert len(client.search_runs([experiment], max_results=10**9)) == 3


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ("metrics.accuracy >", "position 18"),
        ("metrics.accuracy > 0.9 and", "position 26"),
        ("metrics.accuracy ~ 1", "unexpected character '~'"),
        ("(metrics.accuracy > 1", "expected '\\)'"),
        ("params.lr = 0.001", "quote the value"),
        ("metrics.accuracy > 'high'", "numeric"),
        ("bogus.x = '1'", "unknown field"),
        ("attributes.color = 'red'", "unknown run attribute"),
    ],
)
def test_malformed_filters_raise_invalid_argument_saying_where(client, experiment, bad, where):
    with pytest.raises(InvalidArgument, match=where):
        client.search_runs([experiment], bad)


def test_forged_page_token_is_refused(client, experiment):
    with pytest.raises(InvalidArgument, match="page_token"):
        client.search_runs([experiment], page_token="not-a-token")


@pytest.mark.parametrize("length", [99, 100, 101, 500])
def test_equality_on_long_values_matches_the_whole_value_not_its_indexed_prefix(client, length):
    # Values are indexed by their first 100 characters: two values sharing them
    # must still be told apart, whatever side of that length they fall on.
    experiment_id = client.create_experiment("long-values")
    value = "é" * length
    names_by_value = {}
    for suffix in ("", "a", "b"):
        run = client.create_run(experiment_id, run_name=f"run{suffix}")
        client.log_batch(
            run.info.run_id,
            params=[Param("p", value + suffix)],
            tags=[RunTag("t", value + suffix)],
        )
        names_by_value[value + suffix] = f"run{suffix}"

    for key in ("params.p", "tags.t"):
        for wanted in names_by_value:
            found = client.search_runs([experiment_id], f"{key} = '{wanted}'")
            assert names(found) == [names_by_value[wanted]], (key, len(wanted))
        both = f"{key} IN ('{value}', '{value}b')"
        assert sorted(names(client.search_runs([experiment_id], both))) == ["run", "runb"]


AWKWARD_TEXT = ["plain", 'quote " and \\ backslash', "模型 ✓ größe", "line\nbreak\ttab", "{}", ""]


def test_each_found_run_carries_its_own_params_and_tags_whatever_their_text(client):
    experiment_id = client.create_experiment("awkward")
    logged = {}
    for i, text in enumerate(AWKWARD_TEXT):
        run_id = client.create_run(experiment_id, run_name=f"awkward-{i}").info.run_id
        params = {f"größe/{i}": text, "shared": str(i)}
        client.log_batch(
            run_id,
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag("模型", text)],
            metrics=[Metric("m", i + 0.1, 0, 0)],
        )
        logged[run_id] = params
    bare = client.create_run(experiment_id, run_name="bare").info.run_id

    found = {run.info.run_id: run.data for run in client.search_runs([experiment_id])}

    assert {run_id: data.params for run_id, data in found.items() if run_id != bare} == logged
    for i, (run_id, data) in enumerate((r, found[r]) for r in logged):
        assert data.tags["模型"] == AWKWARD_TEXT[i]
        assert data.metrics == {"m": i + 0.1}
        assert client.get_run(run_id).data.params == logged[run_id]
    assert (found[bare].params, found[bare].metrics) == ({}, {})
    assert client.get_run(bare).data.params == {}


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.accuracy > 0.9", ["run-2", "run-0"]),
        ("params.lr = '0.001' and tags.team = 'x'", ["run-0"]),
        ("metrics.accuracy >= 0.8 and attributes.status = 'FINISHED'", ["run-2", "run-0"]),
        ("tags.team IN ('y', 'z')", ["run-2"]),
        ("metrics.accuracy < 0.9 or params.lr = '0.001'", ["run-2", "run-1", "run-0"]),
    ],
)
@pytest.mark.parametrize("rare_below", [0, 1000], ids=["runs-in-order", "from-the-term-index"])
def test_a_filtered_page_is_the_same_whichever_index_drives_it(
    client, experiment, monkeypatch, filter_string, expected, rare_below
):
    # The index-driven page is SQLite's; the server process does not see the patch.
    monkeypatch.setattr(run_search, "_RARE", rare_below)
    found, token = [], None
    while True:
        page = client.search_runs([experiment], filter_string, max_results=1, page_token=token)
        found += names(page)
        token = page.token
        if not token:
            break

    assert found == expected
