"""Tables fit the terminal; options before the command; compare without weights.

Widths come from ``COLUMNS``, as in a terminal of that size.
"""

from __future__ import annotations

import json
import re

import pytest

TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
LONG_TEXT = "catches card fraud in real time across every region we serve, nightly retrained"


@pytest.fixture
def busy(fraud, run_id):
    """'fraud' with a long description, stages, aliases, reasons, and a run with metrics."""
    fraud.update_registered_model("fraud", LONG_TEXT)
    for key in ("precision", "recall", "f1", "latency_ms", "auc_at_one_percent_fpr"):
        fraud.log_metric(run_id, key, 0.912345)
    fraud.update_run(run_id, name="baseline-gradient-boosting-with-tuned-depth")
    fraud.transition_model_version_stage("fraud", 2, "Staging", reason=LONG_TEXT)
    fraud.transition_model_version_stage("fraud", 2, "Production", reason="approved by risk")
    fraud.transition_model_version_stage(
        "fraud", 3, "Production", archive_existing_versions=True, reason="hotfix"
    )
    fraud.set_registered_model_alias("fraud", "champion", 3)
    fraud.set_registered_model_alias("fraud", "challenger", 2)
    return fraud


TABLES = [
    ("models", "list"),
    ("models", "show", "fraud"),
    ("versions", "list"),
    ("versions", "list", "fraud"),
    ("versions", "show", "fraud", "3"),
    ("runs", "list"),
    ("history", "fraud"),
    ("compare", "fraud"),
    ("compare", "fraud", "--weights", "precision=1,latency_ms=-0.01"),
]


@pytest.mark.parametrize("args", TABLES, ids=" ".join)
def test_tables_fit_an_80_column_terminal_and_keep_times_whole(invoke, busy, args, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    lines = invoke(*args).stdout.splitlines()

    assert lines and max(len(line) for line in lines) <= 80
    assert not any(re.search(r"\d{4}-\d\d-\d\d \d?$", line) for line in lines)  # no broken time


def test_runs_list_keeps_the_whole_run_id_on_one_line(invoke, busy, run_id, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    [row] = [line for line in invoke("runs", "list").stdout.splitlines() if run_id in line]

    assert "baseline" in row


def test_history_at_100_columns_shows_one_line_per_event(invoke, busy, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    events = busy.get_history("fraud")

    lines = invoke("history", "fraud").stdout.splitlines()

    assert len([line for line in lines if TIME.search(line)]) == len(events)
    assert len(lines) == len(events) + 4  # top border, header, rule, bottom border


def test_timestamps_are_shown_to_the_minute(invoke, busy):
    shown = invoke("models", "show", "fraud").stdout

    assert TIME.search(shown) and not re.search(r"\d\d:\d\d:\d\d", shown)


def test_piped_tables_are_not_cut_to_a_width(invoke, busy):
    lines = invoke("models", "list").stdout.splitlines()

    assert any(LONG_TEXT in line for line in lines)


# -- options before the command -----------------------------------------------------------


def test_tracking_uri_and_json_may_come_before_the_command(invoke, tmp_path):
    import modelreg

    modelreg.Client(str(tmp_path / "other")).create_registered_model("elsewhere")

    result = invoke("--tracking-uri", str(tmp_path / "other"), "--json", "models", "list")

    assert [m["name"] for m in json.loads(result.stdout)] == ["elsewhere"]


def test_a_tracking_uri_after_the_command_wins_over_one_before(invoke, fraud, store_uri, tmp_path):
    result = invoke(
        "--tracking-uri", str(tmp_path / "other"), "models", "list", "--tracking-uri", store_uri
    )

    assert "fraud" in result.stdout


# -- compare without weights -----------------------------------------------------------


def test_compare_without_weights_says_how_to_set_them_instead_of_missing_scores(invoke, busy):
    result = invoke("compare", "fraud")

    assert result.exit_code == 0
    assert "missing" not in result.stdout and "Score" not in result.stdout
    assert "'fraud' has no scoring weights, so its versions are not ranked" in result.stderr
    assert "modelreg models set-weights fraud " in result.stderr


def test_weights_set_with_set_weights_rank_the_comparison(invoke, busy):
    invoke("models", "set-weights", "fraud", "auc=1,latency_ms=-0.01")

    result = invoke("compare", "fraud", "--json")

    assert busy.get_scoring_weights("fraud") == {"auc": 1.0, "latency_ms": -0.01}
    assert {row["rank"] for row in json.loads(result.stdout)} == {1}


def test_wrapped_text_breaks_between_words_not_inside_them(invoke, busy, monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")

    shown = invoke("runs", "list").stdout

    assert "auc=0.91," in shown and "latency_ms=0.912345," in shown
