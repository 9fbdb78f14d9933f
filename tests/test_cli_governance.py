"""``modelreg card``, ``lineage``, ``compare``, ``diff``, ``promote`` and ``cleanup``."""

from __future__ import annotations

import json

from cli_fixtures import fraud, invoke, lib, run_id, store_uri  # noqa: F401
from modelreg.datasets import Dataset

# ruff: noqa: F811  (fixtures imported above are parameters below)

COMPLETE = {
    "summary": "s",
    "intended_use": "u",
    "training_data": "t",
    "evaluation_data": "e",
    "architecture": "a",
    "metrics": {"auc": 0.9},
    "limitations": "l",
    "ethical_considerations": "b",
    "caveats": "c",
}


def test_card_show_prints_the_fields_and_what_is_missing(invoke, fraud):
    fraud.set_model_card("fraud", 2, {"summary": "Flags card fraud."})

    result = invoke("card", "show", "fraud", "2")

    assert result.exit_code == 0
    assert "Flags card fraud." in result.stdout
    assert "Limitations" in result.stdout and "(missing)" in result.stdout
    assert "auc=0.91  [auto]" in result.stdout


def test_card_show_json_includes_the_completeness_report(invoke, fraud):
    result = invoke("card", "show", "fraud", "1", "--json")

    data = json.loads(result.stdout)
    assert data["metrics"] == {"auc": 0.91}
    assert "summary" in data["completeness"]["missing"]


def test_card_export_writes_markdown_with_front_matter(invoke, fraud, tmp_path):
    out = tmp_path / "README.md"

    result = invoke("card", "export", "fraud", "1", "--format", "md", "-o", str(out))

    assert result.exit_code == 0
    assert out.read_text().startswith("---\n")
    assert "# Model Card for fraud (version 1, 1.0.0)" in out.read_text()


def test_card_export_html_goes_to_stdout(invoke, fraud):
    result = invoke("card", "export", "fraud", "1", "--format", "html")

    assert result.stdout.startswith("<!DOCTYPE html>")


def test_card_set_reads_a_json_file(invoke, fraud, tmp_path):
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"summary": "From a file", "caveats": "None."}))

    result = invoke("card", "set", "fraud", "1", str(path))

    assert result.exit_code == 0
    assert "still missing: intended_use" in result.stdout
    assert fraud.get_model_card("fraud", 1).summary == "From a file"


def test_card_set_of_a_file_that_is_not_utf8_is_a_usage_error_naming_the_byte(
    invoke, fraud, tmp_path
):
    path = tmp_path / "card.json"
    path.write_bytes('{"summary": "caf\u00e9"}'.encode("latin-1"))

    result = invoke("card", "set", "fraud", "1", str(path))

    assert result.exit_code == 2
    assert f"{path} is not UTF-8 text: byte 16 is 0xe9" in result.stderr
    assert fraud.get_model_card("fraud", 1).summary is None


def test_card_check_exits_1_listing_missing_fields(invoke, fraud):
    fraud.set_model_card("fraud", 1, {"summary": "s"})

    result = invoke("card", "check", "fraud", "1", "--field", "summary", "--field", "caveats")

    assert result.exit_code == 1
    assert "missing: caveats" in result.stderr


def test_card_check_passes_for_a_complete_card(invoke, fraud):
    fraud.set_model_card("fraud", 1, COMPLETE)

    assert invoke("card", "check", "fraud", "1").exit_code == 0


def test_lineage_prints_the_tree(invoke, fraud, run_id):
    fraud.log_inputs(run_id, [Dataset("train", "a" * 64, None, None, 1000)])

    result = invoke("lineage", "fraud", "1")

    lines = result.stdout.splitlines()
    assert lines[0] == "fraud v1 (1.0.0) · None"
    assert lines[1].startswith("└── produced by run 'baseline'")
    assert lines[2] == "    └── dataset train · sha256:aaaaaaaaaaaa · 1,000 rows [training]"


def test_compare_prints_scores_and_missing_metrics(invoke, lib):
    lib.create_registered_model("m")
    for metrics in ({"auc": 0.9, "f1": 0.5}, {"auc": 0.8}):
        run = lib.create_run("0").info.run_id
        for key, value in metrics.items():
            lib.log_metric(run, key, value)
        lib.create_model_version("m", f"runs:/{run}/model")

    result = invoke("compare", "m", "--weights", "auc=1,f1=1")

    cells = [line.split("│")[1:-1] for line in result.stdout.splitlines() if "│" in line]
    assert [[c.strip() for c in row] for row in cells] == [
        ["1", "1.0.0", "None", "", "0.9", "0.5", "1.4", "1"],
        ["2", "1.1.0", "None", "", "0.8", "missing", "missing", ""],
    ]
    assert "score = 1·auc + 1·f1" in result.stdout


def test_compare_json_gives_one_dict_per_version(invoke, fraud):
    result = invoke("compare", "fraud", "1", "2", "--json")

    assert [row["version"] for row in json.loads(result.stdout)] == [2, 1]


def test_compare_with_malformed_weights_is_a_usage_error(invoke, fraud):
    result = invoke("compare", "fraud", "--weights", "auc")

    assert result.exit_code == 2
    assert "METRIC=NUMBER" in result.stderr


def test_diff_shows_the_differences(invoke, fraud):
    fraud.set_model_version_tag("fraud", 2, "validated", "yes")

    result = invoke("diff", "fraud", "1", "2", "--json")

    assert json.loads(result.stdout)["tags"] == {"validated": [None, "yes"]}


def test_promote_moves_a_version_the_policy_allows(invoke, fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": ["auc >= 0.9"]}})

    result = invoke("promote", "fraud", "2", "--to", "Production", "--archive-existing")

    assert result.exit_code == 0
    assert result.stdout == "'fraud' version 2 is now in Production.\n"


def test_promote_refused_exits_1_listing_every_failed_rule(invoke, fraud):
    policy = {"thresholds": ["auc >= 0.95"], "required_tags": {"validation_status": "passed"}}
    fraud.set_promotion_policy("fraud", {"Production": policy})

    result = invoke("promote", "fraud", "2", "--to", "Production")

    assert result.exit_code == 1
    assert "2 rule(s)" in result.stderr
    assert "  - auc is 0.91 (needs auc >= 0.95)" in result.stderr
    assert "  - tag validation_status is missing (needs 'passed')" in result.stderr
    assert fraud.get_model_version("fraud", 2).current_stage == "None"


def test_promote_force_needs_a_reason(invoke, fraud):
    result = invoke("promote", "fraud", "2", "--to", "Production", "--force")

    assert result.exit_code == 1
    assert "needs a reason" in result.stderr


def test_cleanup_dry_run_lists_without_archiving(invoke, fraud):
    result = invoke("cleanup", "fraud", "--keep-last", "1", "--dry-run", "--json")

    assert [v["version"] for v in json.loads(result.stdout)] == [2, 1]
    assert fraud.get_model_version("fraud", 1).current_stage == "None"


def test_cleanup_archives_and_says_so(invoke, fraud):
    result = invoke("cleanup", "fraud", "--keep-last", "2")

    assert result.exit_code == 0
    assert "Archived 1 version(s)" in result.stdout
    assert fraud.get_model_version("fraud", 1).current_stage == "Archived"
