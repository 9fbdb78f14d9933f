"""``modelreg stage set``, ``alias set|delete``, ``rollback`` and ``history``."""

from __future__ import annotations

import json

from modelreg.cli.stages import describe_change


def stages(client) -> dict[int, str]:
    return {v.version: v.current_stage for v in client.search_model_versions("name = 'fraud'")}


def test_stage_set_moves_the_version_and_says_so(invoke, fraud):
    result = invoke("stage", "set", "fraud", "2", "production")

    assert result.exit_code == 0
    assert result.stdout == "'fraud' version 2 is now in Production.\n"
    assert stages(fraud) == {1: "None", 2: "Production", 3: "None"}


def test_stage_set_archive_existing_archives_the_previous_holder(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 1, "Production")

    invoke("stage", "set", "fraud", "2", "Production", "--archive-existing")

    assert stages(fraud) == {1: "Archived", 2: "Production", 3: "None"}


def test_stage_set_json_prints_the_moved_version(invoke, fraud):
    result = invoke("stage", "set", "fraud", "3", "Staging", "--json")

    assert json.loads(result.stdout)["current_stage"] == "Staging"


def test_stage_set_to_an_unknown_stage_exits_1_listing_the_stages(invoke, fraud):
    result = invoke("stage", "set", "fraud", "2", "Prod")

    assert result.exit_code == 1
    assert "None, Staging, Production, Archived" in result.stderr
    assert stages(fraud) == {1: "None", 2: "None", 3: "None"}


def test_stage_set_without_a_stage_is_a_usage_error(invoke, fraud):
    result = invoke("stage", "set", "fraud", "2")

    assert result.exit_code == 2
    assert "Missing argument 'STAGE'" in result.stderr


def test_stage_set_then_rollback_then_history(invoke, fraud):
    invoke("stage", "set", "fraud", "1", "Production")
    invoke("stage", "set", "fraud", "2", "Production", "--archive-existing", "--reason", "v2 wins")

    rolled = invoke("rollback", "fraud", "--reason", "v2 is slow")
    history = invoke("history", "fraud", "--json")

    assert rolled.stdout == "'fraud' Production is back to version 1 (1.0.0).\n"
    assert stages(fraud) == {1: "Production", 2: "None", 3: "None"}
    events = [(e["action"], e["version"], e["reason"]) for e in json.loads(history.stdout)]
    assert events[-5:] == [
        ("transition_stage", 1, None),
        ("transition_stage", 2, "v2 wins"),
        ("transition_stage", 1, "v2 wins"),
        ("rollback", 2, "v2 is slow"),
        ("rollback", 1, "v2 is slow"),
    ]


def test_rollback_takes_the_stage(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 1, "Staging")
    fraud.transition_model_version_stage("fraud", 3, "Staging", archive_existing_versions=True)

    result = invoke("rollback", "fraud", "--stage", "Staging", "--json")

    assert json.loads(result.stdout)["version"] == 1
    assert stages(fraud) == {1: "Staging", 2: "None", 3: "None"}


def test_rollback_with_nothing_to_go_back_to_exits_1(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 1, "Production")

    result = invoke("rollback", "fraud")

    assert result.exit_code == 1
    assert "no earlier Production version" in result.stderr


def test_history_table_shows_the_change_and_reason(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 2, "Staging", reason="ready for shadow")

    result = invoke("history", "fraud")

    [row] = [line for line in result.stdout.splitlines() if "transition_stage" in line]
    assert "current_stage: None → Staging" in row
    assert "ready for shadow" in row


def test_history_of_one_version_has_only_its_events(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 2, "Staging")

    result = invoke("history", "fraud", "2", "--json")

    events = json.loads(result.stdout)
    assert {e["version"] for e in events} == {2}
    assert [e["action"] for e in events] == ["create_model_version", "transition_stage"]


def test_history_newest_first_in_pages_tells_how_to_continue(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 2, "Staging")

    first = invoke("history", "fraud", "--newest-first", "--max-results", "1", "--json")
    token = first.stderr.split("--page-token ")[1].split()[0]
    second = invoke(
        "history", "fraud", "--newest-first", "--max-results", "1", "--page-token", token, "--json"
    )

    assert [e["action"] for e in json.loads(first.stdout)] == ["transition_stage"]
    [older] = json.loads(second.stdout)
    assert older["action"] == "create_model_version" and older["version"] == 3


def test_history_narrowed_to_an_action_and_an_actor(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 2, "Staging")

    result = invoke(
        "history", "fraud", "--action", "transition_stage", "--actor", "nobody-else", "--json"
    )
    mine = invoke("history", "fraud", "--action", "transition_stage", "--json")

    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert [(e["action"], e["version"]) for e in json.loads(mine.stdout)] == [
        ("transition_stage", 2)
    ]


def test_history_of_a_model_that_never_existed_exits_1(invoke, lib):
    result = invoke("history", "nope")

    assert result.exit_code == 1
    assert "nope" in result.stderr


def test_alias_set_points_the_alias_and_moves_it(invoke, fraud):
    invoke("alias", "set", "fraud", "champion", "1")
    result = invoke("alias", "set", "fraud", "champion", "3")

    assert result.exit_code == 0
    assert fraud.get_registered_model("fraud").aliases == {"champion": 3}


def test_alias_delete_removes_the_alias(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    result = invoke("alias", "delete", "fraud", "champion")

    assert result.exit_code == 0
    assert fraud.get_registered_model("fraud").aliases == {}


def test_a_reserved_alias_exits_1(invoke, fraud):
    result = invoke("alias", "set", "fraud", "latest", "1")

    assert result.exit_code == 1
    assert "latest" in result.stderr


def test_a_change_reads_old_to_new_and_keeps_identifying_fields():
    assert describe_change(
        {"alias": "champion", "version": 1}, {"alias": "champion", "version": 2}
    ) == ("alias=champion; version: 1 → 2")
    assert describe_change(None, {"description": None, "tags": {"team": "risk"}}) == (
        "tags={team=risk}"
    )
