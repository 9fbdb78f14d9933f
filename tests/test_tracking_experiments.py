"""Experiments: create, look up, search, delete/restore, rename, tags."""

import pytest

from modelreg.errors import AlreadyExists, InvalidArgument, NotFound


def test_create_experiment_returns_an_id_that_get_experiment_finds(client):
    experiment_id = client.create_experiment("churn", tags={"team": "growth"})

    experiment = client.get_experiment(experiment_id)

    assert experiment.name == "churn"
    assert experiment.tags == {"team": "growth"}
    assert experiment.lifecycle_stage == "active"


def test_default_experiment_exists_with_id_zero(client):
    assert client.get_experiment("0").name == "Default"


def test_duplicate_experiment_name_raises_already_exists(client):
    client.create_experiment("dup")

    with pytest.raises(AlreadyExists, match="^an experiment named 'dup' already exists$"):
        client.create_experiment("dup")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("x" * 257, "257"),
        ("tab\there", "control"),
        (" lead", "white"),
    ],
)
def test_bad_experiment_names_are_refused_with_the_reason(client, name, problem):
    with pytest.raises(InvalidArgument, match=problem):
        client.create_experiment(name)


def test_unicode_experiment_names_are_kept(client):
    experiment_id = client.create_experiment("模型-é-🚀")

    assert client.get_experiment_by_name("模型-é-🚀").experiment_id == experiment_id


def test_get_experiment_by_name_returns_none_for_unknown(client):
    assert client.get_experiment_by_name("nope") is None


@pytest.mark.parametrize("bad_id", ["12345", "abc", "-1", "99999999999999"])
def test_unknown_experiment_id_raises_not_found(client, bad_id):
    with pytest.raises(NotFound, match="experiment"):
        client.get_experiment(bad_id)


def test_deleted_experiment_leaves_active_search_and_can_be_restored(client):
    experiment_id = client.create_experiment("temp")

    client.delete_experiment(experiment_id)
    active = [e.name for e in client.search_experiments()]
    deleted = [e.name for e in client.search_experiments(view_type="DELETED_ONLY")]
    client.restore_experiment(experiment_id)

    assert "temp" not in active and "temp" in deleted
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"


def test_deleting_an_experiment_deletes_its_runs_until_it_is_restored(client):
    experiment_id = client.create_experiment("with-runs")
    kept, dropped = (client.create_run(experiment_id).info.run_id for _ in range(2))
    client.delete_run(dropped)
    other = client.create_run(client.create_experiment("other")).info.run_id

    client.delete_experiment(experiment_id)

    assert client.search_runs([experiment_id]) == []
    assert len(client.search_runs([experiment_id], run_view_type="DELETED_ONLY")) == 2
    assert client.get_run(kept).info.lifecycle_stage == "deleted"
    assert client.get_run(other).info.lifecycle_stage == "active"
    with pytest.raises(InvalidArgument, match="deleted"):
        client.log_param(kept, "p", "1")

    client.restore_experiment(experiment_id)

    assert {r.info.run_id for r in client.search_runs([experiment_id])} == {kept, dropped}
    client.log_param(kept, "p", "1")


def test_default_experiment_cannot_be_deleted(client):
    with pytest.raises(InvalidArgument, match="Default"):
        client.delete_experiment("0")


def test_search_experiments_filters_by_name_and_tag(client):
    client.create_experiment("fraud-a", tags={"team": "risk"})
    client.create_experiment("fraud-b", tags={"team": "growth"})
    client.create_experiment("churn")

    found = client.search_experiments(filter_string="name LIKE 'fraud%' and tags.team = 'risk'")

    assert [e.name for e in found] == ["fraud-a"]


def test_search_experiments_pages_with_tokens(client):
    for i in range(5):
        client.create_experiment(f"exp-{i}")

    first = client.search_experiments(max_results=2, order_by=["name"])
    second = client.search_experiments(max_results=2, order_by=["name"], page_token=first.token)

    assert [e.name for e in first] == ["Default", "exp-0"]
    assert [e.name for e in second] == ["exp-1", "exp-2"]
    assert second.to_list() == list(second) and type(second.to_list()) is list


def test_rename_experiment_to_a_taken_name_raises_already_exists(client):
    client.create_experiment("one")
    two = client.create_experiment("two")

    with pytest.raises(AlreadyExists):
        client.rename_experiment(two, "one")
    assert client.get_experiment(two).name == "two"


def test_set_experiment_tag_overwrites(client):
    experiment_id = client.create_experiment("tagged", tags={"k": "1"})

    client.set_experiment_tag(experiment_id, "k", "2")

    assert client.get_experiment(experiment_id).tags == {"k": "2"}


def test_delete_experiment_tag_removes_that_tag_only(client):
    experiment_id = client.create_experiment("untagged", tags={"k": "1", "keep": "2"})

    client.delete_experiment_tag(experiment_id, "k")

    assert client.get_experiment(experiment_id).tags == {"keep": "2"}


def test_deleting_a_tag_an_experiment_does_not_have_is_not_found(client):
    experiment_id = client.create_experiment("no-such-tag")

    with pytest.raises(NotFound, match="no tag 'k'"):
        client.delete_experiment_tag(experiment_id, "k")
    with pytest.raises(NotFound):
        client.delete_experiment_tag("987654", "k")


def test_search_experiments_finds_them_by_id_quoted_as_the_api_spells_ids(client):
    ids = [client.create_experiment(f"by-id-{i}") for i in range(3)]

    def found(filter_string):
        return sorted(e.name for e in client.search_experiments(filter_string=filter_string))

    assert found(f"experiment_id = '{ids[1]}'") == ["by-id-1"]
    assert found(f"experiment_id = {ids[1]}") == ["by-id-1"]
    assert found(f"experiment_id IN ('{ids[0]}', '{ids[2]}')") == ["by-id-0", "by-id-2"]
    assert found(f"name LIKE 'by-id-%' and experiment_id != '{ids[0]}'") == ["by-id-1", "by-id-2"]
    assert found(f"name LIKE 'by-id-%' and experiment_id NOT IN ('{ids[0]}')") == [
        "by-id-1",
        "by-id-2",
    ]


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("experiment_id = 'abc'", "experiment ids such as '7', not 'abc'"),
        ("experiment_id = '" + "9" * 40 + "'", "experiment ids such as '7'"),
        ("experiment_id = 1.5", "experiment ids such as '7', not 1.5"),
        ("experiment_id > '1'", "experiment_id cannot be compared with >"),
        ("experiment_id LIKE '1%'", "experiment_id cannot be compared with LIKE"),
    ],
)
def test_an_experiment_id_term_refuses_what_is_not_an_id_or_an_equality(
    client, filter_string, message
):
    with pytest.raises(InvalidArgument, match=message):
        client.search_experiments(filter_string=filter_string)
