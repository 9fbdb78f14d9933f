"""``modelreg models list|show|create|delete``, and what every command shares."""

from __future__ import annotations

import json
import subprocess
import sys


def test_list_prints_a_table_row_per_model(invoke, fraud):
    fraud.create_registered_model("churn")

    result = invoke("models", "list")

    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if "fraud" in line or "churn" in line]
    assert len(rows) == 2
    assert "catches card fraud" in rows[1]


def test_list_json_is_the_models_fields(invoke, fraud):
    result = invoke("models", "list", "--json")

    [model] = json.loads(result.stdout)
    assert model["name"] == "fraud"
    assert model["tags"] == {"team": "risk"}
    assert model["latest_versions"][0]["version"] == 3


def test_list_filter_keeps_only_matching_models(invoke, fraud):
    fraud.create_registered_model("churn")

    result = invoke("models", "list", "--filter", "tags.team = 'risk'", "--json")

    assert [m["name"] for m in json.loads(result.stdout)] == ["fraud"]


def test_list_order_by_sorts(invoke, lib):
    for name in ("b", "c", "a"):
        lib.create_registered_model(name)

    result = invoke("models", "list", "--order-by", "name DESC", "--json")

    assert [m["name"] for m in json.loads(result.stdout)] == ["c", "b", "a"]


def test_a_cut_list_tells_on_stderr_how_to_continue(invoke, lib):
    for name in ("a", "b"):
        lib.create_registered_model(name)

    first = invoke("models", "list", "--max-results", "1", "--json")
    token = first.stderr.split("--page-token ")[1].strip()
    rest = invoke("models", "list", "--max-results", "1", "--page-token", token, "--json")

    assert [m["name"] for m in json.loads(first.stdout)] == ["a"]
    assert [m["name"] for m in json.loads(rest.stdout)] == ["b"]
    assert rest.stderr == ""


def test_show_json_has_aliases_and_latest_versions(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    result = invoke("models", "show", "fraud", "--json")

    model = json.loads(result.stdout)
    assert model["aliases"] == {"champion": 2}
    assert [v["version"] for v in model["latest_versions"]] == [3]


def test_show_prints_description_and_tags(invoke, fraud):
    result = invoke("models", "show", "fraud")

    assert result.exit_code == 0
    assert "catches card fraud" in result.stdout
    assert "team=risk" in result.stdout


def test_values_print_as_written_not_as_markup(invoke, lib):
    lib.create_registered_model("m", description="[bold]not markup[/bold]")

    result = invoke("models", "show", "m")

    assert "[bold]not markup[/bold]" in result.stdout


def test_create_makes_the_model_with_description_and_tags(invoke, lib):
    result = invoke("models", "create", "fraud", "--description", "d", "--tag", "team=risk")

    assert result.exit_code == 0
    assert "Created registered model 'fraud'" in result.stdout
    model = lib.get_registered_model("fraud")
    assert (model.description, model.tags) == ("d", {"team": "risk"})


def test_create_json_prints_the_new_model(invoke):
    result = invoke("models", "create", "fraud", "--json")

    assert json.loads(result.stdout)["name"] == "fraud"


def test_a_refused_operation_exits_1_with_one_line_on_stderr(invoke, fraud):
    result = invoke("models", "create", "fraud")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: a registered model named 'fraud' already exists\n"


def test_show_of_an_unknown_model_exits_1_naming_it(invoke, lib):
    result = invoke("models", "show", "nope")

    assert result.exit_code == 1
    assert "nope" in result.stderr


def test_a_tag_without_equals_sign_is_a_usage_error(invoke, lib):
    result = invoke("models", "create", "fraud", "--tag", "team")

    assert result.exit_code == 2
    assert "KEY=VALUE" in result.stderr
    assert lib.search_registered_models() == []


def test_a_missing_argument_is_a_usage_error(invoke):
    result = invoke("models", "show")

    assert result.exit_code == 2
    assert "Missing argument 'NAME'" in result.stderr


def test_delete_removes_the_model(invoke, fraud):
    result = invoke("models", "delete", "fraud")

    assert result.exit_code == 0
    assert fraud.search_registered_models() == []


def test_delete_refuses_a_model_in_production_unless_forced(invoke, fraud):
    fraud.transition_model_version_stage("fraud", 1, "Production")

    refused = invoke("models", "delete", "fraud")
    forced = invoke("models", "delete", "fraud", "--force")

    assert refused.exit_code == 1
    assert "Production" in refused.stderr
    assert forced.exit_code == 0
    assert fraud.search_registered_models() == []


def test_tracking_uri_option_wins_over_the_environment(invoke, fraud, tmp_path):
    other = str(tmp_path / "other")

    result = invoke("models", "list", "--tracking-uri", other, "--json")

    assert json.loads(result.stdout) == []


def test_python_m_modelreg_runs_the_cli_with_its_exit_codes(fraud, store_uri):
    command = [sys.executable, "-m", "modelreg", "models", "show", "--tracking-uri", store_uri]

    found = subprocess.run([*command, "fraud", "--json"], capture_output=True, text=True)
    missing = subprocess.run([*command, "nope"], capture_output=True, text=True)

    assert (found.returncode, json.loads(found.stdout)["name"]) == (0, "fraud")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert "nope" in missing.stderr
