"""search_runs: the filter language, ordering, paging and its errors."""

import math

import pytest

from modelreg.datasets import Dataset
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

    assert one_run_a_page(client, experiment, filter_string) == expected


def one_run_a_page(client, experiment_id, filter_string):
    """The names of the runs found, read one page of one run at a time."""
    found, token = [], None
    while True:
        page = client.search_runs([experiment_id], filter_string, max_results=1, page_token=token)
        found += names(page)
        token = page.token
        if not token:
            return found


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("datasets.name = 'eval_b'", ["r1", "r0"]),
        ("datasets.name IN ('eval_b', 'train_a') and datasets.context = 'training'", ["r1", "r0"]),
        ("datasets.name = 'Train_A' and attributes.run_name != 'r0'", ["r2"]),
        ("datasets.name = 'eval_b' or datasets.name = 'Train_A'", ["r2", "r1", "r0"]),
    ],
)
@pytest.mark.parametrize("rare_below", [0, 1000], ids=["runs-in-order", "from-the-term-index"])
def test_a_page_filtered_by_datasets_is_the_same_whichever_index_drives_it(
    client, runs_with_datasets, monkeypatch, filter_string, expected, rare_below
):
    # r0 used both train_a and eval_b: a page must show it once.
    monkeypatch.setattr(run_search, "_RARE", rare_below)
    assert names(client.search_runs([runs_with_datasets], filter_string)) == expected
    assert one_run_a_page(client, runs_with_datasets, filter_string) == expected


# -- datasets. terms: a run matches when any dataset it used passes the term (as on MLflow)

TRAIN = Dataset("train_a", "a" * 64, "s3://bucket/train.parquet")
TRAIN_UPPER = Dataset("Train_A", "b" * 64, "s3://bucket/train-upper.parquet")
EVAL = Dataset("eval_b", "c" * 64, "s3://bucket/eval.parquet")


@pytest.fixture
def runs_with_datasets(client):
    experiment_id = client.create_experiment("search-datasets")
    used = {
        "r0": [(TRAIN, "training"), (EVAL, "evaluation")],
        "r1": [(EVAL, "training")],
        "r2": [(TRAIN_UPPER, "training")],
        "r3": [],
    }
    for i, (name, inputs) in enumerate(used.items()):
        run_id = client.create_run(experiment_id, run_name=name, start_time=1000 + i).info.run_id
        for dataset, context in inputs:
            client.log_inputs(run_id, [dataset], context=context)
    return experiment_id


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("datasets.name = 'train_a'", ["r0"]),
        ("dataset.name = 'train_a'", ["r0"]),
        ("datasets.`name` = 'train_a'", ["r0"]),
        ("datasets.name LIKE 'train%'", ["r0"]),
        ("datasets.name ILIKE 'train_a'", ["r0", "r2"]),
        ("datasets.name NOT LIKE 'train%'", ["r0", "r1", "r2"]),
        ("datasets.name IN ('Train_A', 'nothing')", ["r2"]),
        ("datasets.digest = '" + "c" * 64 + "'", ["r0", "r1"]),
        ("datasets.context = 'evaluation'", ["r0"]),
        ("datasets.context IN ('training')", ["r0", "r1", "r2"]),
    ],
)
def test_a_run_is_found_by_the_name_digest_or_context_of_a_dataset_it_used(
    client, runs_with_datasets, filter_string, expected
):
    assert sorted(names(client.search_runs([runs_with_datasets], filter_string))) == expected


def test_two_dataset_terms_may_be_met_by_two_datasets_of_one_run(client, runs_with_datasets):
    found = client.search_runs(
        [runs_with_datasets], "datasets.name = 'train_a' and datasets.context = 'evaluation'"
    )

    assert names(found) == ["r0"]  # train_a was used for training, eval_b for evaluation


def test_a_negated_dataset_term_needs_a_dataset_that_passes_it(client, runs_with_datasets):
    # r0 used eval_b besides train_a; r3 used no dataset at all, so nothing passes for it.
    assert sorted(
        names(client.search_runs([runs_with_datasets], "datasets.name != 'train_a'"))
    ) == [
        "r0",
        "r1",
        "r2",
    ]
    assert names(
        client.search_runs([runs_with_datasets], "datasets.name NOT IN ('eval_b', 'train_a')")
    ) == ["r2"]


def test_dataset_terms_combine_with_other_fields_or_and_paging(client, runs_with_datasets):
    either = "datasets.name = 'Train_A' or attributes.run_name = 'r3'"
    first = client.search_runs([runs_with_datasets], either, max_results=1)
    second = client.search_runs([runs_with_datasets], either, max_results=1, page_token=first.token)

    assert names(first) + names(second) == ["r3", "r2"]
    assert second.token is None


@pytest.mark.parametrize(
    ("filter_string", "order_by", "message"),
    [
        ("datasets.name > 'a'", None, r"datasets.name cannot be compared with >; use =, !="),
        ("datasets.name IS NULL", None, "datasets.name cannot be compared with IS NULL"),
        ("datasets.source = 'x'", None, "unknown dataset field 'source'; known: context, digest"),
        ("datasets.name = 3", None, "datasets.name holds strings"),
        ("", ["datasets.name"], "runs cannot be ordered by datasets.name"),
    ],
)
def test_dataset_terms_refuse_what_they_cannot_answer_naming_the_field(
    client, runs_with_datasets, filter_string, order_by, message
):
    with pytest.raises(InvalidArgument, match=message):
        client.search_runs([runs_with_datasets], filter_string, order_by=order_by)


def test_a_dataset_is_also_found_by_the_mlflow_digest_its_source_keeps(client):
    """Inputs logged through MLflow's API keep MLflow's short digest in their source; a
    source that is not JSON at all, or whose JSON is cut short, breaks no query."""
    experiment_id = client.create_experiment("search-mlflow-digests")
    sources = {
        "kept": '{"mlflow_dataset": {"digest": "7ffc83d0", "name": "d"}, "tags": {}}',
        "broken": '{"mlflow_dataset": {"digest": "7ffc83d0", "na',
        "plain": "s3://bucket/7ffc83d0",
    }
    for i, (name, source) in enumerate(sources.items()):
        run_id = client.create_run(experiment_id, run_name=name, start_time=1000 + i).info.run_id
        client.log_inputs(run_id, [Dataset("d", f"{i}" * 64, source)])

    def found(filter_string):
        return sorted(names(client.search_runs([experiment_id], filter_string)))

    # SQLite reads the digest of valid JSON only; PostgreSQL from the text's start.
    assert set(found("datasets.digest = '7ffc83d0'")) - {"broken"} == {"kept"}
    assert set(found("datasets.digest LIKE '7ff%'")) - {"broken"} == {"kept"}
    assert set(found("datasets.digest != '7ffc83d0'")) - {"broken"} == {"plain"}
    assert found("datasets.digest = '" + "0" * 64 + "'") == ["kept"]


def test_a_nan_metric_differs_from_every_number_and_matches_no_other_comparison(client):
    experiment_id = client.create_experiment("nan-search")
    for name, value in (("number", 0.5), ("nan", math.nan)):
        run_id = client.create_run(experiment_id, run_name=name).info.run_id
        client.log_metric(run_id, "m", value)

    def found(filter_string):
        return sorted(names(client.search_runs([experiment_id], filter_string)))

    assert found("metrics.m != 0.9") == ["nan", "number"]
    assert found("metrics.m NOT IN (0.5)") == ["nan"]
    assert found("metrics.m != 0.5") == ["nan"]
    assert found("metrics.m < 1") == ["number"]
    assert found("metrics.m = 0.5 or metrics.m > 0.5") == ["number"]


@pytest.mark.parametrize(
    "filter_string",
    [
        "attributes.`Run Name` = 'run-1'",
        "attributes.`run name` = 'run-1'",
        "attributes.Created = 1001",
        "attributes.created = 1001",
    ],
)
def test_the_mlflow_ui_column_names_are_attributes_too(client, experiment, filter_string):
    assert names(client.search_runs([experiment], filter_string)) == ["run-1"]


def test_tag_names_of_another_api_are_renamed_wherever_they_stand_in_a_search():
    from modelreg.store.search_filter import And, Comparison, Or, parse_filter

    names = {
        "mlflow.parentRunId": ("tags", "modelreg.parentRunId"),
        "mlflow.runName": ("attributes", "run_name"),
    }
    node = parse_filter(
        "tags.mlflow.parentRunId = 'p' or (tag.`mlflow.parentRunId` IS NULL "
        "and params.mlflow.parentRunId = 'q' and tags.other = 'r' and tags.mlflow.runName = 's')"
    )

    renamed, order_by = run_search.with_tag_names(
        node,
        ["tags.mlflow.parentRunId DESC", "params.mlflow.parentRunId", "tags.mlflow.runName"],
        names,
    )

    assert renamed == Or(
        (
            Comparison("tags", "modelreg.parentRunId", "=", "p"),
            And(
                (
                    Comparison("tags", "modelreg.parentRunId", "IS NULL", None),
                    Comparison("params", "mlflow.parentRunId", "=", "q"),
                    Comparison("tags", "other", "=", "r"),
                    Comparison("attributes", "run_name", "=", "s"),
                )
            ),
        )
    )
    assert order_by == [
        "tags.`modelreg.parentRunId` DESC",
        "params.mlflow.parentRunId",
        "attributes.`run_name` ASC",
    ]


@pytest.fixture
def ended(client):
    """Runs of each status, two still running, with end times out of start order (one tie)."""
    experiment_id = client.create_experiment("ended")
    for name, start, status, end in [
        ("a", 1000, "FINISHED", 5000),
        ("b", 1001, "FAILED", 4000),
        ("c", 1002, None, None),
        ("d", 1003, "FINISHED", 4000),
        ("e", 1004, "KILLED", 6000),
        ("f", 1005, None, None),
        ("g", 1006, "FAILED", 3000),
    ]:
        run_id = client.create_run(experiment_id, run_name=name, start_time=start).info.run_id
        if status is not None:
            client.set_terminated(run_id, status, end_time=end)
    return experiment_id


def every_page(client, experiment, order, size, filter_string=""):
    found, token = [], None
    while True:
        page = client.search_runs(
            [experiment], filter_string, max_results=size, order_by=[order], page_token=token
        )
        found += names(page)
        if not (token := page.token):
            return found


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # Ended runs by end time (a tie: the newer start first), then running ones, newest first.
        ("attributes.end_time DESC", ["e", "a", "d", "b", "g", "f", "c"]),
        ("attributes.end_time ASC", ["g", "d", "b", "a", "e", "f", "c"]),
        # Status by status, newest first within each.
        ("attributes.status", ["g", "b", "d", "a", "e", "f", "c"]),
        ("attributes.status DESC", ["f", "c", "e", "d", "a", "g", "b"]),
    ],
)
def test_runs_by_end_time_or_status_come_in_that_order_page_after_page(
    client, ended, order, expected
):
    for size in (1, 2, 3, 7, 100):
        assert every_page(client, ended, order, size) == expected, size


def test_a_filter_applies_to_every_part_of_an_end_time_or_status_order(client, ended):
    assert every_page(client, ended, "attributes.end_time DESC", 2, "run_name != 'a'") == [
        "e", "d", "b", "g", "f", "c",
    ]  # fmt: skip
    assert every_page(client, ended, "attributes.status", 2, "attributes.status != 'FAILED'") == [
        "d", "a", "e", "f", "c",
    ]  # fmt: skip


def test_a_page_token_that_does_not_fit_the_ordering_is_refused(client, ended):
    by_status = client.search_runs([ended], max_results=2, order_by=["attributes.status"])
    by_name = client.search_runs([ended], max_results=2, order_by=["run_name"])

    with pytest.raises(InvalidArgument, match="page_token"):
        client.search_runs([ended], order_by=["run_name"], page_token=by_status.token)
    with pytest.raises(InvalidArgument, match="page_token"):
        client.search_runs([ended], order_by=["attributes.status"], page_token=by_name.token)


def test_a_page_token_continues_only_the_search_it_came_from(client, ended):
    first = client.search_runs([ended], "attributes.status = 'FAILED'", max_results=1)
    same = client.search_runs(
        [ended], "attributes.status = 'FAILED'", max_results=5, page_token=first.token
    )
    assert names(first) + names(same) == ["g", "b"]  # the page size may change

    for other in (
        {"filter_string": "attributes.status = 'FINISHED'"},
        {"order_by": ["metrics.x DESC"]},
        {"experiment_ids": [ended, "0"]},
        {"run_view_type": "ALL"},
    ):
        asked = {"experiment_ids": [ended], "filter_string": "attributes.status = 'FAILED'"}
        with pytest.raises(InvalidArgument, match="another search"):
            client.search_runs(**{**asked, **other}, page_token=first.token)


# (name, start time, status or None for a running run, end time, metric x or None)
SPREAD = [
    ("a", 1000, "FINISHED", 5000, 0.5),
    ("b", 1001, "FAILED", 4000, None),
    ("c", 1002, None, None, 0.9),
    ("d", 1003, "FINISHED", 4000, 0.1),
    ("a", 1004, "KILLED", 6000, 0.5),
    ("f", 1005, None, None, None),
    ("g", 1006, "FAILED", 3000, 0.7),
    ("h", 1007, "FINISHED", 7000, 0.3),
]
ORDERS = [
    [],
    ["attributes.start_time ASC"],
    ["attributes.run_name"],
    ["attributes.run_name DESC"],
    ["attributes.end_time DESC"],
    ["attributes.status"],
    ["metrics.x DESC"],
    ["metrics.x", "attributes.run_name DESC"],
]


def _runs_in(client, experiments):
    """SPREAD's runs, the i-th in ``experiments[i % len(experiments)]``; one more, deleted."""
    for i, (name, start, status, end, x) in enumerate(SPREAD):
        experiment = experiments[i % len(experiments)]
        run_id = client.create_run(experiment, run_name=name, start_time=start).info.run_id
        if x is not None:
            client.log_metric(run_id, "x", x)
        if status is not None:
            client.set_terminated(run_id, status, end_time=end)
    deleted = client.create_run(experiments[-1], run_name="deleted", start_time=999)
    client.delete_run(deleted.info.run_id)


def every_page_of(client, experiments, order, size, filter_string=""):
    found, token = [], None
    while True:
        page = client.search_runs(
            experiments, filter_string, max_results=size, order_by=order, page_token=token
        )
        found += [(r.info.run_name, r.info.start_time) for r in page]
        if not (token := page.token):
            return found


@pytest.fixture
def spread(client):
    """SPREAD's runs all in one experiment, and again across three."""
    together = client.create_experiment("together")
    _runs_in(client, [together])
    apart = [client.create_experiment(f"apart-{i}") for i in range(3)]
    _runs_in(client, apart)
    return [together], apart


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: ", ".join(o) or "default")
def test_runs_of_several_experiments_come_in_the_order_they_would_in_one(client, spread, order):
    together, apart = spread
    for size in (1, 2, 3, 100):
        assert every_page_of(client, apart, order, size) == every_page_of(
            client, together, order, size
        ), size


def test_a_filter_applies_to_the_runs_of_every_experiment_searched(client, spread):
    together, apart = spread
    for order in ([], ["attributes.end_time DESC"], ["attributes.run_name"]):
        found = every_page_of(client, apart, order, 2, "attributes.status != 'FAILED'")
        assert found == every_page_of(client, together, order, 2, "attributes.status != 'FAILED'")
        assert len(found) == 6


@pytest.mark.parametrize("windows", [1, 2, 5])
def test_more_experiments_than_are_merged_come_in_the_order_they_would_in_one(
    client, tracking_uri, spread, monkeypatch, windows
):
    # Past the merge limit, orders by start time walk the store's runs in windows (a page
    # of 1 reads 8 runs, then 16: the store's 18 take two; one window leaves the rest to
    # the query that sorts them); the other orders sort the experiments' runs.
    if tracking_uri.startswith("http"):
        pytest.skip("the limits are the server process's own")
    together, apart = spread
    monkeypatch.setattr(run_search, "_MERGED", 2)
    monkeypatch.setattr(run_search, "_WINDOWS", windows)
    for order in ORDERS:
        for size in (1, 2, 3, 100):
            assert every_page_of(client, apart, order, size) == every_page_of(
                client, together, order, size
            ), (order, size)
            filtered = every_page_of(client, apart, order, size, "attributes.status != 'FAILED'")
            assert len(filtered) == 6


def test_a_walk_over_more_experiments_than_are_merged_skips_other_experiments_runs(
    client, tracking_uri, monkeypatch
):
    if tracking_uri.startswith("http"):
        pytest.skip("the limits are the server process's own")
    monkeypatch.setattr(run_search, "_MERGED", 1)
    searched = [client.create_experiment(f"searched-{i}") for i in range(2)]
    other = client.create_experiment("other")
    # The searched runs are the oldest: the newest 30 belong to another experiment.
    for i in range(6):
        client.create_run(searched[i % 2], run_name=f"s{i}", start_time=1000 + i)
    for i in range(30):
        client.create_run(other, run_name=f"o{i}", start_time=2000 + i)

    for windows in (1, 2, 5):
        monkeypatch.setattr(run_search, "_WINDOWS", windows)
        found = every_page_of(client, searched, [], 2)
        assert found == [(f"s{i}", 1000 + i) for i in reversed(range(6))], windows
