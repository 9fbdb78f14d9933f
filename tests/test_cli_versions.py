"""``modelreg versions list|show|register|copy|delete``."""

from __future__ import annotations

import json


def test_list_prints_the_versions_of_a_model_newest_first(invoke, fraud):
    result = invoke("versions", "list", "fraud")

    assert result.exit_code == 0
    rows = [line.split("│")[1:4] for line in result.stdout.splitlines() if "fraud" in line]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["fraud", "3", "1.0.2"],
        ["fraud", "2", "1.0.1"],
        ["fraud", "1", "1.0.0"],
    ]


def test_list_without_a_name_covers_every_model(invoke, fraud, run_id):
    fraud.create_registered_model("churn")
    fraud.create_model_version("churn", f"runs:/{run_id}/model")

    result = invoke("versions", "list", "--json")

    assert {(v["name"], v["version"]) for v in json.loads(result.stdout)} == {
        ("churn", 1),
        ("fraud", 1),
        ("fraud", 2),
        ("fraud", 3),
    }


def test_list_combines_the_name_with_a_filter(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 2, "Staging")

    result = invoke("versions", "list", "fraud", "--filter", "stage = 'Staging'", "--json")

    assert [v["version"] for v in json.loads(result.stdout)] == [2]


def test_list_finds_a_model_whose_name_has_quotes(invoke, lib, run_id):
    lib.create_registered_model("o'brien \\ co")
    lib.create_model_version("o'brien \\ co", f"runs:/{run_id}/model")

    result = invoke("versions", "list", "o'brien \\ co", "--json")

    assert [v["name"] for v in json.loads(result.stdout)] == ["o'brien \\ co"]


def test_list_with_a_malformed_filter_exits_1_saying_why(invoke, fraud):
    result = invoke("versions", "list", "--filter", "stage ==")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")


def test_show_json_has_the_version_fields(invoke, fraud, run_id):
    result = invoke("versions", "show", "fraud", "2", "--json")

    version = json.loads(result.stdout)
    assert (version["version"], version["semver"], version["run_id"]) == (2, "1.0.1", run_id)
    assert version["source"] == f"runs:/{run_id}/model"
    assert version["current_stage"] == "None"


def test_show_prints_source_and_stage(invoke, fraud, run_id):
    result = invoke("versions", "show", "fraud", "1")

    assert f"runs:/{run_id}/model" in result.stdout
    assert "1.0.0" in result.stdout


def test_show_names_the_logged_model_a_version_was_registered_from(invoke, fraud, run_id):
    experiment_id = fraud.get_run(run_id).info.experiment_id
    model_id = fraud.create_logged_model(experiment_id, "clf", source_run_id=run_id).model_id
    fraud.record_logged_model_files(model_id, "model")
    fraud.create_model_version("fraud", f"models:/{model_id}")

    shown = invoke("versions", "show", "fraud", "4").stdout
    as_json = json.loads(invoke("versions", "show", "fraud", "4", "--json").stdout)

    assert any(line.split() == ["Logged", "model", model_id] for line in shown.splitlines())
    assert as_json["model_id"] == model_id


def test_show_of_something_that_names_no_version_is_a_usage_error(invoke, fraud):
    result = invoke("versions", "show", "fraud", "two")

    assert result.exit_code == 2
    assert "'two' is not a version: give a number (3), a stage (Production), @alias" in (
        result.stderr
    )


def test_register_adds_a_version_and_says_which(invoke, fraud, run_id):
    result = invoke("versions", "register", "fraud", f"runs:/{run_id}/model", "--tag", "data=june")

    assert result.exit_code == 0
    assert result.stdout == "Registered 'fraud' version 4 (1.0.3).\n"
    assert fraud.get_model_version("fraud", 4).tags == {"data": "june"}


def test_register_takes_an_explicit_semver_or_a_bump(invoke, fraud, run_id):
    source = f"runs:/{run_id}/model"

    explicit = invoke("versions", "register", "fraud", source, "--semver", "3.1.0", "--json")
    bumped = invoke("versions", "register", "fraud", source, "--bump", "major", "--json")

    assert json.loads(explicit.stdout)["semver"] == "3.1.0"
    assert json.loads(bumped.stdout)["semver"] == "4.0.0"


def test_register_for_an_unknown_model_exits_1(invoke, lib, run_id):
    result = invoke("versions", "register", "nope", f"runs:/{run_id}/model")

    assert result.exit_code == 1
    assert "nope" in result.stderr


def test_delete_removes_the_version(invoke, fraud):
    result = invoke("versions", "delete", "fraud", "2")

    assert result.exit_code == 0
    assert [v.version for v in fraud.search_model_versions("name = 'fraud'")] == [3, 1]


def test_delete_of_an_unknown_version_exits_1(invoke, fraud):
    result = invoke("versions", "delete", "fraud", "9")

    assert result.exit_code == 1
    assert "9" in result.stderr


def test_register_warns_when_the_source_holds_no_files(invoke, fraud, run_id):
    empty = invoke("versions", "register", "fraud", f"runs:/{run_id}/modle")
    full = invoke("versions", "register", "fraud", f"runs:/{run_id}/model")

    assert empty.exit_code == 0
    assert f"Warning: runs:/{run_id}/modle holds no files" in empty.stderr
    assert full.exit_code == 0 and full.stderr == ""


def test_copy_makes_a_version_of_another_model_and_says_which(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    result = invoke("versions", "copy", "models:/fraud@champion", "fraud-prod")

    assert result.exit_code == 0
    assert result.stdout == "Copied models:/fraud/2 to 'fraud-prod' version 1 (1.0.0).\n"
    copied, original = fraud.get_model_version("fraud-prod", 1), fraud.get_model_version("fraud", 2)
    assert copied.content_digest == original.content_digest


def test_copy_of_an_unknown_version_exits_1_and_creates_nothing(invoke, fraud):
    result = invoke("versions", "copy", "models:/fraud/9", "fraud-prod", "--json")

    assert result.exit_code == 1
    assert "no version 9" in result.stderr
    assert [m.name for m in fraud.search_registered_models()] == ["fraud"]
