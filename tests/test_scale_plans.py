"""Every read that must stay flat as the registry grows is answered from an index (#17).

Each read below runs through the public ``Client`` on an embedded store; the
SQL it sent is captured and explained on the same database: ``EXPLAIN QUERY
PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL with sequential scans priced out
(``enable_seqscan = off``: a table scan then shows only where no index can
answer, whatever the table's size). A plan that reads a whole table of runs,
metrics, params, tags or versions, or sorts a whole result to cut a page from
it, fails the test, so a later change cannot silently fall back to a scan.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from conftest import reset_postgres

# Tables that grow with the registry: no plan may read one of them whole.
GROWING = (
    "runs",
    "metrics",
    "latest_metrics",
    "params",
    "run_tags",
    "model_versions",
    "model_version_tags",
    "model_aliases",
    "audit_events",
)
SQLITE_SCAN = re.compile(rf"^SCAN ({'|'.join(GROWING)})\b")
PG_SCAN = re.compile(rf"Seq Scan on ({'|'.join(GROWING)})\b")
# A sort of the whole result to cut a page from it (ties of one ordering
# column sorted in groups, "RIGHT PART OF ORDER BY", are fine).
SQLITE_FULL_SORT = "USE TEMP B-TREE FOR ORDER BY"


@pytest.fixture(params=["sqlite", "postgres"], scope="module")
def store(request, tmp_path_factory):
    """A client on an embedded store with runs, versions and aliases, and its engine."""
    from modelreg import Client
    from modelreg.backend import clear_backend_cache
    from modelreg.store.database import Database

    folder = tmp_path_factory.mktemp("plans")
    uri = f"sqlite:///{folder}/registry.db"
    if request.param == "postgres":
        uri = request.getfixturevalue("pg_url")
        reset_postgres(uri, truncate=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELREG_ARTIFACTS_URI", str(folder / "artifacts"))
        clear_backend_cache()
        client = Client(uri)
        experiment = client.create_experiment("plans")
        for i in range(30):
            run = client.create_run(experiment).info.run_id
            client.log_batch(
                run,
                metrics=[_metric(f"m{k}", (i * 7 + k) % 10 / 10) for k in range(3)],
                params=[_param(f"p{k}", str(i % 5)) for k in range(2)],
                tags=[_tag("team", f"t{i % 3}")],
            )
            if i % 2:  # runs that ended, in two statuses, and runs still running
                client.set_terminated(run, "FAILED" if i % 3 else "FINISHED", end_time=10_000 + i)
        client.create_registered_model("big", tags={"team": "x"})
        source = f"runs:/{run}/model"
        for i in range(12):
            client.create_model_version("big", source, tags={"validated": "yes" if i % 3 else "no"})
        client.transition_model_version_stage("big", 4, "Production")
        client.transition_model_version_stage("big", 6, "Staging")
        client.set_registered_model_alias("big", "champion", 5)
        yield client, experiment, Database.shared(uri).engine, request.param
        clear_backend_cache()


def _metric(key, value):
    from modelreg.entities import Metric

    return Metric(key, value, 0, 0)


def _param(key, value):
    from modelreg.entities import Param

    return Param(key, value)


def _tag(key, value):
    from modelreg.entities import RunTag

    return RunTag(key, value)


def _page_two(client, experiment, **kwargs):
    first = client.search_runs([experiment], max_results=5, **kwargs)
    return lambda: client.search_runs([experiment], max_results=5, page_token=first.token, **kwargs)


READS = {
    "metric range filter": lambda c, e: c.search_runs([e], "metrics.m0 > 0.5", max_results=10),
    "metric filter and top-k by it": lambda c, e: c.search_runs(
        [e], "metrics.m0 > 0.8 and params.p1 = '3'", order_by=["metrics.m0 DESC"], max_results=10
    ),
    "top-k by a metric": lambda c, e: c.search_runs(
        [e], "", order_by=["metrics.m1 DESC"], max_results=10
    ),
    "top-k by a metric, ascending": lambda c, e: c.search_runs(
        [e], "", order_by=["metrics.m1 ASC"], max_results=10
    ),
    "param equality": lambda c, e: c.search_runs([e], "params.p0 = '2'", max_results=10),
    "tag equality, page of 50": lambda c, e: c.search_runs([e], "tags.team = 't1'", max_results=50),
    "top-k by a param": lambda c, e: c.search_runs(
        [e], "", order_by=["params.p0 DESC"], max_results=10
    ),
    "newest runs": lambda c, e: c.search_runs([e], "", max_results=10),
    "runs by name": lambda c, e: c.search_runs(
        [e], "", max_results=10, order_by=["attributes.run_name ASC"]
    ),
    "runs by end time": lambda c, e: c.search_runs(
        [e], "", max_results=20, order_by=["attributes.end_time DESC"]
    ),
    "runs by end time, ascending": lambda c, e: c.search_runs(
        [e], "", max_results=20, order_by=["attributes.end_time ASC"]
    ),
    "runs by status": lambda c, e: c.search_runs(
        [e], "", max_results=20, order_by=["attributes.status"]
    ),
    "runs by status, descending": lambda c, e: c.search_runs(
        [e], "", max_results=20, order_by=["attributes.status DESC"]
    ),
    "get_run": lambda c, e: c.get_run(c.search_runs([e], max_results=1)[0].info.run_id),
    "get_latest_versions": lambda c, e: c.get_latest_versions("big", stages=["Production"]),
    "resolve a stage": lambda c, e: c.resolve_model_uri("models:/big/Production"),
    "resolve latest": lambda c, e: c.resolve_model_uri("models:/big/latest"),
    "resolve an alias": lambda c, e: c.resolve_model_uri("models:/big@champion"),
    "resolve a semver range": lambda c, e: c.resolve_model_uri("models:/big/^1.3"),
    "resolve a semver": lambda c, e: c.resolve_model_uri("models:/big/v1.4.0"),
    "get_model_version": lambda c, e: c.get_model_version("big", 3),
    "version by alias": lambda c, e: c.get_model_version_by_alias("big", "champion"),
    "versions by name and tag": lambda c, e: c.search_model_versions(
        "name='big' and tags.validated='yes'", max_results=5
    ),
    "model list": lambda c, e: c.search_registered_models(max_results=50),
    "models by tag": lambda c, e: c.search_registered_models("tags.team = 'x'", max_results=50),
    "model history, newest page": lambda c, e: c.get_history(
        "big", newest_first=True, max_results=5
    ),
    "version history, newest page": lambda c, e: c.get_history(
        "big", 4, newest_first=True, max_results=5
    ),
}


def _audit_page_two(client, experiment):
    first = client.get_audit_events(max_results=5)
    return lambda: client.get_audit_events(max_results=5, page_token=first.token)


def _history_page_two(client):
    first = client.get_history("big", newest_first=True, max_results=5)
    return lambda: client.get_history(
        "big", newest_first=True, max_results=5, page_token=first.token
    )


def _updated_versions_page_two(client):
    order = ["last_updated_timestamp DESC"]
    first = client.search_model_versions(order_by=order, max_results=5)
    return lambda: client.search_model_versions(
        order_by=order, max_results=5, page_token=first.token
    )


def _metric_history_page_two(client, experiment):
    run_id = client.search_runs([experiment], max_results=1)[0].info.run_id
    client.log_batch(run_id, metrics=[_metric("curve", s / 10) for s in range(6)])
    first = client.get_metric_history(run_id, "curve", max_results=2)
    return lambda: client.get_metric_history(run_id, "curve", max_results=2, page_token=first.token)


PAGED = {
    "runs, page 2 by metric": lambda c, e: _page_two(c, e, order_by=["metrics.m2 DESC"]),
    "runs, page 2 newest first": lambda c, e: _page_two(c, e),
    "runs, page 2 by name": lambda c, e: _page_two(c, e, order_by=["attributes.run_name"]),
    "runs, page 2 by end time": lambda c, e: _page_two(c, e, order_by=["attributes.end_time"]),
    "runs, page 2 by status": lambda c, e: _page_two(c, e, order_by=["attributes.status DESC"]),
    "audit trail, page 2": _audit_page_two,
    "model history, page 2": lambda c, e: _history_page_two(c),
    "metric history, page 2": lambda c, e: _metric_history_page_two(c, e),
    "versions most recently updated, page 2": lambda c, e: _updated_versions_page_two(c),
}


def _plans(engine, dialect, statements):
    """Each captured SELECT with its plan lines."""
    explained = []
    with engine.connect() as conn:
        if dialect == "postgres":
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if dialect == "postgres":
                rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                lines = [r[0] for r in rows]
            else:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                lines = [r[3] for r in rows]
            explained.append((statement, lines))
        if dialect == "postgres":
            conn.exec_driver_sql("RESET enable_seqscan")
    return explained


def _captured(engine, read):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def _scans(dialect, plans):
    found = []
    for statement, lines in plans:
        for line in lines:
            bad = PG_SCAN.search(line) if dialect == "postgres" else SQLITE_SCAN.search(line)
            if bad:
                found.append(f"{line.strip()}  <-  {statement[:160]}")
    return found


@pytest.mark.parametrize("name", sorted(READS))
def test_the_read_uses_indexes_and_scans_no_growing_table(store, name):
    client, experiment, engine, dialect = store

    plans = _plans(engine, dialect, _captured(engine, lambda: READS[name](client, experiment)))

    assert plans, "the read ran no query"
    assert _scans(dialect, plans) == []


@pytest.mark.parametrize("name", sorted(PAGED))
def test_a_later_page_seeks_to_its_key_instead_of_skipping_rows(store, name):
    client, experiment, engine, dialect = store
    read = PAGED[name](client, experiment)

    statements = _captured(engine, read)
    plans = _plans(engine, dialect, statements)

    assert _scans(dialect, plans) == []
    assert not any(" OFFSET " in s and dialect == "postgres" for s, _ in statements)


@pytest.mark.parametrize(
    "name",
    [
        "top-k by a metric",
        "metric filter and top-k by it",
        "newest runs",
        "runs by name",
        "runs by end time",
        "runs by end time, ascending",
        "runs by status",
        "runs by status, descending",
        "top-k by a param",
        "versions by name and tag",
        "model history, newest page",
        "version history, newest page",
    ],
)
def test_a_page_is_cut_from_an_ordered_index_not_from_a_sorted_result(store, name):
    client, experiment, engine, dialect = store
    if dialect == "postgres":
        pytest.skip("PostgreSQL picks a top-N sort or an ordered index by cost, both bounded")

    plans = _plans(engine, dialect, _captured(engine, lambda: READS[name](client, experiment)))

    assert not any(SQLITE_FULL_SORT in line for _, lines in plans for line in lines)


def test_the_versions_most_recently_updated_are_read_from_the_end_of_an_index(store):
    # MLflow's clients search versions this way (their server's default order), over
    # every model: the page walks the update-time index, never sorting all versions.
    client, experiment, engine, dialect = store

    def read():
        client.search_model_versions(order_by=["last_updated_timestamp DESC"], max_results=5)

    lines = [
        line for _, found in _plans(engine, dialect, _captured(engine, read)) for line in found
    ]
    assert any("ix_model_versions_last_updated_time" in line for line in lines), lines
    assert not any(SQLITE_FULL_SORT in line for line in lines)


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("top-k by a metric", "ix_latest_metrics_key_value"),
        ("top-k by a param", "ix_params_key_value"),
    ],
)
def test_top_k_by_a_value_reads_that_values_index(store, name, index):
    client, experiment, engine, dialect = store

    read = READS[name]
    plans = _plans(engine, dialect, _captured(engine, lambda: read(client, experiment)))

    assert any(index in line for _, lines in plans for line in lines)


POINT_READS = [
    "get_latest_versions",
    "resolve a stage",
    "resolve latest",
    "resolve an alias",
    "resolve a semver range",
    "resolve a semver",
    "get_model_version",
    "version by alias",
    "model list",
]
# A search on the model alone walks every version the model has. (The highest
# version, max() in a subquery over inner_versions, reads the end of that
# range only: SQLite's min/max optimisation, not shown in the plan.)
SQLITE_ALL_VERSIONS = re.compile(r"SEARCH model_versions\b.*\(model_id=\?\)$")


@pytest.mark.parametrize("name", POINT_READS)
def test_a_point_read_finds_its_version_by_a_full_key_not_among_all_of_the_models(store, name):
    client, experiment, engine, dialect = store
    if dialect == "postgres":
        pytest.skip("the SQLite plan names the index columns it searches by; the scans are above")

    plans = _plans(engine, dialect, _captured(engine, lambda: READS[name](client, experiment)))

    assert [line for _, lines in plans for line in lines if SQLITE_ALL_VERSIONS.search(line)] == []


def test_page_three_costs_the_statements_page_one_costs(store):
    client, experiment, engine, _ = store
    order = ["metrics.m2 DESC"]
    first = client.search_runs([experiment], max_results=4, order_by=order)
    second = client.search_runs([experiment], max_results=4, order_by=order, page_token=first.token)

    one = _captured(engine, lambda: client.search_runs([experiment], max_results=4, order_by=order))
    three = _captured(
        engine,
        lambda: client.search_runs(
            [experiment], max_results=4, order_by=order, page_token=second.token
        ),
    )

    # The sweep of expired run leases runs at most once a second before a run search,
    # whichever page that is: not a cost of the page.
    def page(statements: list) -> list:
        return [s for s in statements if "FROM run_leases" not in s[0]]

    assert len(page(three)) == len(page(one))


def test_one_version_history_seeks_to_that_version_not_through_the_models_trail(store):
    client, experiment, engine, dialect = store
    read = READS["version history, newest page"]

    plans = _plans(engine, dialect, _captured(engine, lambda: read(client, experiment)))

    used = [line for _, lines in plans for line in lines if "audit_events" in line or "ix_" in line]
    assert any("ix_audit_events_model_id_version_event_id" in line for line in used), used


@pytest.mark.parametrize("name", ["metric filter and top-k by it", "tag equality, page of 50"])
def test_an_equality_on_a_short_value_is_stated_once_so_the_planner_counts_it_once(store, name):
    # Stating both the indexed prefix and the full value made PostgreSQL expect a
    # tenth of the matches and sort every candidate instead of walking the index
    # in order and stopping at the page (x10 from 1k to 1M runs).
    client, experiment, engine, _ = store

    sql = " ".join(s for s, _ in _captured(engine, lambda: READS[name](client, experiment)))

    table = "params" if name.startswith("metric") else "run_tags"
    assert f"substr({table}.value, 1, 100) =" in sql
    assert f"{table}.value =" not in sql.replace(f"substr({table}.value", "")


def test_a_page_over_several_experiments_reads_a_page_from_each_not_all_their_runs(store):
    client, experiment, engine, dialect = store
    if dialect != "postgres":
        pytest.skip("SQLite's plan does not say how many rows each step read")
    other = client.create_experiment("plans, too")
    for i in range(40):
        client.create_run(other, start_time=10**12 + i)

    statements = _captured(engine, lambda: client.search_runs([experiment, other], max_results=5))

    read = _rows_read(engine, statements)
    # From each experiment, a page and one more, and the rest of a group of runs started in
    # the same millisecond (the fixture's runs were made quickly): far from their 70 runs.
    assert 0 < read <= 30


def test_a_page_over_more_experiments_than_are_merged_reads_a_page_not_all_their_runs(
    store, monkeypatch
):
    # Past the merge limit (lowered here to 1), sorting the two experiments' 130 runs would
    # read them all. PostgreSQL reads the store's newest runs from the (start_time, run_id)
    # index; on SQLite the page walks that index itself, a window at a time, and reads
    # each window's runs of those experiments from their index, bounded on both sides.
    from modelreg.store import run_search

    client, experiment, engine, dialect = store
    monkeypatch.setattr(run_search, "_MERGED", 1)
    newest = client.create_experiment("walked")
    for i in range(100):
        client.create_run(newest, start_time=2 * 10**12 + i)

    statements = _captured(engine, lambda: client.search_runs([experiment, newest], max_results=5))

    if dialect == "postgres":
        assert 0 < _rows_read(engine, statements) <= 60
        return
    plans = [(s, lines) for s, lines in _plans(engine, dialect, statements) if "ORDER BY" in s]
    walks = [lines for _, lines in plans if "ix_runs_start_time_run_id" in " ".join(lines)]
    windows = [lines for s, lines in plans if "runs.experiment_id IN" in s]
    assert walks and all(lines == [WALK] for lines in walks)
    assert windows and all(re.search(WINDOW, lines[0]) for lines in windows)


WALK = "SCAN runs USING COVERING INDEX ix_runs_start_time_run_id"  # in order: nothing sorted
# A window's runs of an experiment: its index, from the window's end on.
WINDOW = r"^SEARCH runs USING INDEX \w+ \(experiment_id=\? AND start_time>\?"


def test_a_sorted_page_over_many_experiments_reads_their_runs_not_the_whole_store(
    store, monkeypatch
):
    # With no window (the walk's last resort), the page sorts the experiments' own runs,
    # read from their (experiment, start_time) index, not by scanning the whole store's
    # (start_time, run_id) index in order, however few runs they hold.
    from modelreg.store import run_search

    client, experiment, engine, dialect = store
    monkeypatch.setattr(run_search, "_WINDOWS", 0)
    few = [client.create_experiment(f"few runs {i}") for i in range(24)]
    for other in few:
        client.create_run(other, start_time=1)

    read = lambda: client.search_runs([experiment, *few], max_results=5)  # noqa: E731
    plans = _plans(engine, dialect, _captured(engine, read))

    assert plans
    assert _scans(dialect, plans) == []


def _rows_read(engine, statements):
    """Rows of ``runs`` the ordered statements read (EXPLAIN ANALYZE on PostgreSQL)."""
    read = 0
    with engine.connect() as conn:
        # Priced as on a big store: on a few dozen runs, reading them all and sorting is cheap.
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        for statement, parameters in statements:
            if "ORDER BY" in statement:  # the page's; the rest read its runs by their keys
                explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + statement
                (plan,) = conn.exec_driver_sql(explain, parameters).scalar_one()
                read += _rows_read_from(plan["Plan"], "runs")
        conn.rollback()
    return read


def _rows_read_from(node, table):
    """Rows the plan's scans of ``table`` returned, over all their loops, but for those
    looked up by primary key (the runs of a page, once chosen)."""
    scanned = node.get("Relation Name") == table and node.get("Index Name") != f"pk_{table}"
    own = node["Actual Rows"] * node["Actual Loops"] if scanned else 0
    return own + sum(_rows_read_from(child, table) for child in node.get("Plans", ()))
