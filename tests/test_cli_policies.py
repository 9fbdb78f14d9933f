"""``modelreg policy show|set|clear|check``: a promotion policy kept as a file, checked in CI."""

from __future__ import annotations

import json

from cli_fixtures import fraud, invoke, lib, run_id, store_uri  # noqa: F401

# ruff: noqa: F811  (fixtures imported above are parameters below)

POLICY = {
    "Production": {
        "thresholds": ["auc >= 0.95"],
        "required_tags": {"validation_status": "passed"},
        "only_from_staging": True,
        "separation_of_duties": True,
    },
    "@champion": {"beats_current": {"margin": 0.01}, "required_card_fields": ["intended_use"]},
}


def _write(tmp_path, content):
    path = tmp_path / "policy.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_set_reads_the_file_and_show_json_gives_it_back_normalised(invoke, fraud, tmp_path):
    result = invoke("policy", "set", "fraud", _write(tmp_path, POLICY))

    assert result.stdout == "Set the promotion policy of 'fraud' (2 targets).\n"
    shown = json.loads(invoke("policy", "show", "fraud", "--json").stdout)
    assert shown == fraud.get_promotion_policy("fraud")
    assert shown["Production"]["from_stages"] == ["Staging"]


def test_what_show_json_prints_set_reads_back_unchanged(invoke, fraud, tmp_path):
    fraud.set_promotion_policy("fraud", POLICY)
    before = fraud.get_promotion_policy("fraud")
    exported = _write(tmp_path, invoke("policy", "show", "fraud", "--json").stdout)

    invoke("policy", "clear", "fraud")
    invoke("policy", "set", "fraud", exported)

    assert fraud.get_promotion_policy("fraud") == before


def test_set_reads_stdin_for_a_dash(invoke, fraud):
    from click.testing import CliRunner

    from modelreg.cli import cli

    result = CliRunner().invoke(
        cli, ["policy", "set", "fraud", "-"], input='{"Staging": {"thresholds": ["auc > 0.5"]}}'
    )

    assert result.exit_code == 0
    assert list(fraud.get_promotion_policy("fraud")) == ["Staging"]


def test_set_of_a_file_that_is_not_utf8_is_a_usage_error_and_changes_nothing(
    invoke, fraud, tmp_path
):
    path = tmp_path / "policy.json"
    path.write_bytes(b"\xff\xfe{}")

    result = invoke("policy", "set", "fraud", str(path))

    assert result.exit_code == 2
    assert f"{path} is not UTF-8 text: byte 0 is 0xff" in result.stderr
    assert fraud.get_promotion_policy("fraud") == {}


def test_show_prints_one_requirement_a_row(invoke, fraud):
    fraud.set_promotion_policy("fraud", POLICY)

    result = invoke("policy", "show", "fraud")

    for needed in (
        "auc >= 0.95",
        "tag validation_status = passed",
        "comes from Staging",
        "score ≥ the current holder's + 0.01",
        "card field intended_use is filled in",
        "moved by someone other than who registered it",
    ):
        assert needed in result.stdout


def test_show_says_when_there_is_no_policy(invoke, fraud):
    assert invoke("policy", "show", "fraud").stdout == "'fraud' has no promotion policy.\n"


def test_a_file_that_is_not_json_is_a_usage_error_naming_the_place(invoke, fraud, tmp_path):
    result = invoke("policy", "set", "fraud", _write(tmp_path, '{"Production": {\n  "x": }'))

    assert result.exit_code == 2
    assert "is not JSON" in result.stderr and "line 2" in result.stderr
    assert fraud.get_promotion_policy("fraud") == {}


def test_a_json_value_that_is_not_an_object_is_a_usage_error(invoke, fraud, tmp_path):
    for content in ("[]", "{}", '"Production"'):
        result = invoke("policy", "set", "fraud", _write(tmp_path, content))

        assert result.exit_code == 2, content
        assert "must hold a JSON object" in result.stderr


def test_a_malformed_rule_is_refused_naming_it_and_the_old_policy_stays(invoke, fraud, tmp_path):
    fraud.set_promotion_policy("fraud", POLICY)
    bad = {"Production": {"thresholds": ["auc >= high"]}, "@champion": {"beats_current": True}}

    result = invoke("policy", "set", "fraud", _write(tmp_path, bad))

    assert result.exit_code == 1
    assert "'auc' of Production" in result.stderr and "'high'" in result.stderr
    assert fraud.get_promotion_policy("fraud")["Production"]["thresholds"][0]["value"] == 0.95


def test_a_missing_file_is_a_usage_error(invoke, fraud, tmp_path):
    result = invoke("policy", "set", "fraud", str(tmp_path / "nope.json"))

    assert result.exit_code == 2


def test_clear_removes_the_policy(invoke, fraud):
    fraud.set_promotion_policy("fraud", POLICY)

    result = invoke("policy", "clear", "fraud")

    assert result.exit_code == 0
    assert fraud.get_promotion_policy("fraud") == {}


def test_check_exits_1_listing_every_failed_rule_without_moving(invoke, fraud):
    fraud.set_promotion_policy("fraud", POLICY)

    result = invoke("policy", "check", "fraud", "2", "--to", "Production")

    assert result.exit_code == 1
    assert "4 rule(s)" in result.stderr
    assert "  - auc is 0.91 (needs auc >= 0.95)" in result.stderr
    assert "registered version 2 and may not also move it to Production" in result.stderr
    assert fraud.get_model_version("fraud", 2).current_stage == "None"


def test_check_exits_0_when_the_version_may_go(invoke, fraud):
    fraud.set_promotion_policy("fraud", {"Staging": {"thresholds": ["auc >= 0.9"]}})

    result = invoke("policy", "check", "fraud", "latest", "--to", "Staging")

    assert result.exit_code == 0
    assert result.stdout == "Version 3 of 'fraud' may move to Staging.\n"


def test_check_json_lists_the_failed_rules_for_an_alias_target(invoke, fraud):
    fraud.set_promotion_policy("fraud", {"@champion": {"required_tags": {"ab": "won"}}})

    result = invoke("policy", "check", "fraud", "1", "--to", "@champion", "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["target"] == "@champion" and report["version"] == 1
    assert [r["rule"] for r in report["failed_rules"]] == ["required_tag"]


def test_check_of_an_unknown_model_exits_1(invoke, lib):
    result = invoke("policy", "check", "nope", "1", "--to", "Production")

    assert result.exit_code == 1
    assert "nope" in result.stderr
