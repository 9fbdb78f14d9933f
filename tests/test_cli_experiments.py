"""``modelreg experiments`` and ``modelreg runs tag|untag|delete|restore``."""

from __future__ import annotations

import json

from cli_fixtures import invoke, lib, run_id, store_uri  # noqa: F401

# ruff: noqa: F811  (fixtures imported above are parameters below)


def test_create_prints_the_new_id_and_keeps_the_tags(invoke, lib):
    result = invoke("experiments", "create", "fraud", "--tag", "team=risk")

    assert result.exit_code == 0
    created = lib.get_experiment_by_name("fraud")
    assert result.stdout == f"Created experiment 'fraud' with id {created.experiment_id}.\n"
    assert created.tags == {"team": "risk"}


def test_create_json_is_the_experiments_fields(invoke):
    result = invoke("experiments", "create", "fraud", "--json")

    created = json.loads(result.stdout)
    assert created["name"] == "fraud"
    assert created["lifecycle_stage"] == "active"


def test_list_prints_a_row_per_active_experiment(invoke, lib):
    lib.create_experiment("fraud", tags={"team": "risk"})
    lib.delete_experiment(lib.create_experiment("gone"))

    result = invoke("experiments", "list")

    assert result.exit_code == 0
    assert "fraud" in result.stdout and "team=risk" in result.stdout
    assert "Default" in result.stdout
    assert "gone" not in result.stdout


def test_list_view_deleted_shows_only_deleted_ones(invoke, lib):
    lib.create_experiment("kept")
    lib.delete_experiment(lib.create_experiment("gone"))

    result = invoke("experiments", "list", "--view", "deleted", "--json")

    assert [e["name"] for e in json.loads(result.stdout)] == ["gone"]


def test_list_filters_orders_and_pages(invoke, lib):
    for name in ("fraud-b", "fraud-a", "churn"):
        lib.create_experiment(name)

    first = invoke(
        "experiments", "list", "--filter", "name LIKE 'fraud%'", "--order-by", "name",
        "--max-results", "1", "--json",
    )  # fmt: skip
    token = first.stderr.split("--page-token ")[1].strip()
    rest = invoke(
        "experiments", "list", "--filter", "name LIKE 'fraud%'", "--order-by", "name",
        "--page-token", token, "--json",
    )  # fmt: skip

    assert [e["name"] for e in json.loads(first.stdout)] == ["fraud-a"]
    assert [e["name"] for e in json.loads(rest.stdout)] == ["fraud-b"]


def test_show_finds_an_experiment_by_name_or_by_id(invoke, lib):
    experiment_id = lib.create_experiment("fraud", artifact_location="/tmp/fraud-files")

    by_name = invoke("experiments", "show", "fraud")
    by_id = invoke("experiments", "show", experiment_id, "--json")

    assert "/tmp/fraud-files" in by_name.stdout
    assert json.loads(by_id.stdout)["name"] == "fraud"


def test_an_unknown_experiment_exits_1_saying_so(invoke):
    result = invoke("experiments", "show", "nope")

    assert result.exit_code == 1
    assert "nope" in result.stderr


def test_rename_changes_the_name_and_keeps_the_id(invoke, lib):
    experiment_id = lib.create_experiment("fraud")

    result = invoke("experiments", "rename", "fraud", "fraud-2026")

    assert result.exit_code == 0
    assert lib.get_experiment(experiment_id).name == "fraud-2026"


def test_renaming_onto_a_taken_name_exits_1_and_changes_nothing(invoke, lib):
    lib.create_experiment("a")
    b = lib.create_experiment("b")

    result = invoke("experiments", "rename", "b", "a")

    assert result.exit_code == 1
    assert lib.get_experiment(b).name == "b"


def test_delete_then_restore_by_name_brings_back_the_experiment_and_its_runs(invoke, lib):
    experiment_id = lib.create_experiment("fraud")
    run = lib.create_run(experiment_id).info.run_id

    deleted = invoke("experiments", "delete", "fraud")
    assert deleted.exit_code == 0
    assert lib.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert lib.get_run(run).info.lifecycle_stage == "deleted"

    restored = invoke("experiments", "restore", "fraud")
    assert restored.exit_code == 0
    assert lib.get_experiment(experiment_id).lifecycle_stage == "active"
    assert lib.get_run(run).info.lifecycle_stage == "active"


def test_tag_sets_every_pair_given(invoke, lib):
    experiment_id = lib.create_experiment("fraud", tags={"team": "x"})

    result = invoke("experiments", "tag", "fraud", "team=risk", "owner=ana", "empty=")

    assert result.stdout == "Set 3 tags on experiment 'fraud'.\n"
    assert lib.get_experiment(experiment_id).tags == {"team": "risk", "owner": "ana", "empty": ""}


def test_a_bad_tag_refuses_them_all_naming_it(invoke, lib):
    experiment_id = lib.create_experiment("fraud")

    result = invoke("experiments", "tag", "fraud", "ok=1", "x" * 300 + "=2")

    assert result.exit_code == 1
    assert "250" in result.stderr
    assert lib.get_experiment(experiment_id).tags == {}


def test_a_pair_without_equals_is_a_usage_error(invoke, lib):
    lib.create_experiment("fraud")

    result = invoke("experiments", "tag", "fraud", "team")

    assert result.exit_code == 2
    assert "'team' is not KEY=VALUE" in result.stderr


def test_untag_removes_the_keys_and_a_missing_one_refuses_them_all(invoke, lib):
    experiment_id = lib.create_experiment("fraud", tags={"a": "1", "b": "2", "c": "3"})

    refused = invoke("experiments", "untag", "fraud", "a", "nope")
    assert refused.exit_code == 1
    assert "no tag 'nope'" in refused.stderr
    assert lib.get_experiment(experiment_id).tags == {"a": "1", "b": "2", "c": "3"}

    done = invoke("experiments", "untag", "fraud", "a", "b", "a")
    assert done.stdout == "Removed 2 tags from experiment 'fraud'.\n"
    assert lib.get_experiment(experiment_id).tags == {"c": "3"}


def test_runs_tag_sets_the_tags_by_an_id_prefix(invoke, lib, run_id):
    result = invoke("runs", "tag", run_id[:8], "validated=yes", "reviewer=ana")

    assert result.stdout == f"Set 2 tags on run {run_id}.\n"
    tags = lib.get_run(run_id).data.tags
    assert tags["validated"] == "yes" and tags["reviewer"] == "ana"


def test_runs_tag_with_a_bad_value_writes_none_of_them(invoke, lib, run_id):
    result = invoke("runs", "tag", run_id, "ok=1", "big=" + "v" * 9000)

    assert result.exit_code == 1
    assert "ok" not in lib.get_run(run_id).data.tags


def test_runs_untag_refuses_a_key_the_run_lacks_before_removing_any(invoke, lib, run_id):
    lib.set_tag(run_id, "a", "1")

    refused = invoke("runs", "untag", run_id, "a", "nope")
    done = invoke("runs", "untag", run_id, "a")

    assert refused.exit_code == 1 and "no tag 'nope'" in refused.stderr
    assert done.exit_code == 0
    assert "a" not in lib.get_run(run_id).data.tags


def test_runs_delete_and_restore(invoke, lib, run_id):
    assert invoke("runs", "delete", run_id[:8]).stdout == f"Deleted run {run_id}.\n"
    assert lib.get_run(run_id).info.lifecycle_stage == "deleted"
    assert run_id not in invoke("runs", "list").stdout

    assert invoke("runs", "restore", run_id[:8]).stdout == f"Restored run {run_id}.\n"
    assert lib.get_run(run_id).info.lifecycle_stage == "active"
