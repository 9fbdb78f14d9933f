"""Nested runs in the web UI: a parent's children are counted on the runs table and
listed on its page; a child names its parent; both link to each other."""

import re

import httpx
import pytest

from conftest import reset_postgres
from modelreg.entities import Metric, Param
from modelreg.run_tags import PARENT_RUN_TAG

RUN_NAMES = re.compile(r'<td class="run-name"><a href="/ui/runs/\w+">([^<]*)</a>')


@pytest.fixture
def family(live_server, pg_url):
    """An experiment with a search run, its three candidates and a run of its own."""
    from modelreg import Client

    reset_postgres(pg_url)
    client = Client(live_server)
    experiment_id = client.create_experiment("tuning")
    parent = client.create_run(experiment_id, run_name="grid-search").info.run_id
    children = [
        client.create_run(
            experiment_id, run_name=f"candidate-{i}", tags={PARENT_RUN_TAG: parent}
        ).info.run_id
        for i in range(3)
    ]
    client.create_run(experiment_id, run_name="alone")
    with httpx.Client(base_url=live_server) as http:
        yield {"http": http, "client": client, "experiment_id": experiment_id,
               "parent": parent, "children": children}  # fmt: skip


def test_the_runs_table_counts_a_parents_children_and_names_each_childs_parent(family):
    page = family["http"].get(f"/ui/experiments/{family['experiment_id']}").text

    assert re.findall(r'class="badge children"[^>]*>([^<]*)<', page) == ["3 child runs"]
    parents = re.findall(r"↳ in <a href=\"/ui/runs/(\w+)\">([^<]*)<", page)
    assert parents == [(family["parent"], "grid-search")] * 3


def test_the_child_runs_badge_filters_the_table_to_them(family):
    page = family["http"].get(f"/ui/experiments/{family['experiment_id']}").text
    link = re.search(r'class="badge children" href="([^"]*)"', page).group(1)

    filtered = family["http"].get(link.replace("&amp;", "&")).text

    assert sorted(RUN_NAMES.findall(filtered)) == [
        "candidate-0", "candidate-1", "candidate-2",
    ]  # fmt: skip


def test_a_parents_page_lists_its_children_and_a_childs_names_its_parent(family):
    parent_page = family["http"].get(f"/ui/runs/{family['parent']}").text
    child_page = family["http"].get(f"/ui/runs/{family['children'][1]}").text

    assert "<h2>Child runs</h2>" in parent_page
    assert re.findall(r">(candidate-\d)</a></td>", parent_page) == [
        "candidate-0", "candidate-1", "candidate-2",
    ]  # fmt: skip
    assert f'nested in <a class="parent-run" href="/ui/runs/{family["parent"]}">grid-search<' in (
        child_page
    )
    assert "Child runs" not in child_page


def test_a_parent_that_cannot_be_found_is_named_by_its_id_and_markup_stays_text(family):
    client = family["client"]
    hostile = '"><script>alert(1)</script>'
    orphan = client.create_run(
        family["experiment_id"], run_name="orphan", tags={PARENT_RUN_TAG: hostile}
    ).info.run_id

    table = family["http"].get(f"/ui/experiments/{family['experiment_id']}").text
    page = family["http"].get(f"/ui/runs/{orphan}").text

    for html in (table, page):
        assert "<script>alert(1)" not in html
        assert "&#34;&gt;&lt;scrip" in html  # its first eight characters, as text


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_counting_and_listing_stop_at_their_caps_and_say_so(client, monkeypatch):
    from modelreg.server.ui import nesting

    monkeypatch.setattr(nesting, "CHILDREN_COUNTED", 3)
    monkeypatch.setattr(nesting, "CHILDREN_LISTED", 3)
    experiment_id = client.create_experiment("many")
    parent = client.create_run(experiment_id, run_name="search")
    for _ in range(3):
        client.create_run(experiment_id, tags={PARENT_RUN_TAG: parent.info.run_id})

    exactly = nesting.page_nesting(client, experiment_id, [parent])
    client.create_run(experiment_id, tags={PARENT_RUN_TAG: parent.info.run_id})
    counted = nesting.page_nesting(client, experiment_id, [parent])
    listed = nesting.run_children(client, parent)

    assert (exactly.children, exactly.capped) == ({parent.info.run_id: 3}, False)
    assert (counted.children, counted.capped) == ({parent.info.run_id: 3}, True)
    assert (len(listed.runs), listed.more) == (3, True)


def test_a_searchs_page_lists_its_candidates_best_first_with_what_sets_them_apart(family):
    client = family["client"]
    for child, (c, rank) in zip(
        family["children"], [("1.0", 2), ("10.0", 1), ("0.1", 3)], strict=True
    ):
        client.log_batch(
            child,
            metrics=[
                Metric("rank_test_score", rank, 0, 0),
                Metric("mean_test_score", 1 / rank, 0, 0),
            ],
            params=[Param("C", c), Param("max_iter", "100")],
        )

    page = family["http"].get(f"/ui/runs/{family['parent']}").text

    table = page.split('class="runs child-runs"')[1].split("</table>")[0]
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert heads == [
        "Compare", "Run", "Status", "C", "mean_test_score", "rank_test_score", "Duration",
    ]  # fmt: skip
    assert re.findall(r">(candidate-\d)</a></td>", table) == [
        "candidate-1",
        "candidate-0",
        "candidate-2",
    ]
    assert "<td>10.0</td>" in table.split("candidate-0")[0]  # the best's C, in its row


def test_hiding_child_runs_keeps_the_top_level_ones_and_the_users_filter(family):
    experiment = f"/ui/experiments/{family['experiment_id']}"

    hidden = family["http"].get(experiment, params={"top_level": "true"}).text
    either = "attributes.run_name = 'alone' or attributes.run_name = 'candidate-0'"
    filtered = family["http"].get(experiment, params={"top_level": "true", "filter": either}).text

    assert sorted(RUN_NAMES.findall(hidden)) == [
        "alone", "grid-search",
    ]  # fmt: skip
    assert RUN_NAMES.findall(filtered) == ["alone"]
    assert 'name="top_level" value="true" checked' in hidden
    assert "&amp;top_level=true" in hidden  # the sort links keep it


def test_filters_joined_keep_an_or_inside_its_own_filter():
    from modelreg.filter_text import TOP_LEVEL_RUNS, all_of

    assert (
        all_of("a = 1 or b = 2", "", TOP_LEVEL_RUNS) == f"(a = 1 or b = 2) and ({TOP_LEVEL_RUNS})"
    )
    assert all_of("", TOP_LEVEL_RUNS) == TOP_LEVEL_RUNS
    assert all_of(" ", "") == ""


def test_a_parent_id_with_slashes_stays_one_segment_of_the_link(family):
    client = family["client"]
    astray = client.create_run(
        family["experiment_id"], run_name="astray", tags={PARENT_RUN_TAG: "../../ui/audit"}
    ).info.run_id

    table = family["http"].get(f"/ui/experiments/{family['experiment_id']}").text
    page = family["http"].get(f"/ui/runs/{astray}").text

    for html in (table, page):
        assert 'href="/ui/runs/..%2F..%2Fui%2Faudit"' in html
        assert 'href="/ui/runs/../../ui/audit"' not in html
