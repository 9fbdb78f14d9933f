"""A list command that finds nothing says so, and what to do, instead of printing bare
headers; ``--json`` still prints ``[]`` for scripts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import modelreg
from modelreg.cli import cli


def _shown(value):
    return " ".join(value) if isinstance(value, tuple) else "said"


EMPTY_STORE = [
    (("models", "list"), "No registered models yet. Make one with: modelreg models create NAME"),
    (("versions", "list"), "No model versions yet."),
    (("runs", "list"), "No runs yet."),
    (("experiments", "list", "--view", "deleted"), "No deleted experiments yet."),
    (("logged-models", "list"), "No logged models yet."),
    (("prompts", "list"), "No prompts yet. Register one from Python:"),
    (("webhooks", "list"), "No webhooks yet. Add one with: modelreg webhooks create URL"),
]


@pytest.mark.parametrize(("args", "said"), EMPTY_STORE, ids=_shown)
def test_a_list_of_nothing_says_so_and_how_to_begin(invoke, args, said):
    result = invoke(*args)

    assert result.exit_code == 0
    assert result.stdout.startswith(said)
    assert "┃" not in result.stdout and result.stdout.count("\n") == 1


@pytest.mark.parametrize(("args", "_"), EMPTY_STORE, ids=_shown)
def test_a_list_of_nothing_is_an_empty_json_array(invoke, args, _):
    result = invoke(*args, "--json")

    assert result.exit_code == 0 and json.loads(result.stdout) == []


FILTERED = [
    (("models", "list", "--filter", "name = 'nope'"), "No registered models match."),
    (
        ("versions", "list", "fraud", "--filter", "stage = 'Production'"),
        "No versions of 'fraud' match.",
    ),
    (("runs", "list", "--filter", "metrics.auc > 2"), "No runs match."),
    (("experiments", "list", "--filter", "name = 'nope'"), "No experiments match."),
    (("history", "fraud", "--actor", "nobody"), "No events match."),
]


@pytest.mark.parametrize(("args", "said"), FILTERED, ids=_shown)
def test_a_filter_that_matches_nothing_says_no_match(invoke, fraud, args, said):
    result = invoke(*args)

    assert (result.exit_code, result.stdout) == (0, said + "\n")


def test_a_page_past_the_last_says_there_are_no_more(invoke, fraud):
    token = invoke("versions", "list", "--max-results", "2").stderr.split()[-1]
    fraud.delete_model_version("fraud", 1)  # the rest of the list went since

    result = invoke("versions", "list", "--max-results", "2", "--page-token", token)

    assert (result.exit_code, result.stdout) == (0, "No more model versions.\n")


def test_a_metric_never_logged_says_the_run_has_no_values_of_it(invoke, run_id):
    result = invoke("runs", "metric-history", run_id, "loss")

    assert (result.exit_code, result.stdout) == (0, "The run has no values of metric 'loss'.\n")


def test_an_empty_folder_of_artifacts_says_there_are_no_files(invoke, run_id):
    result = invoke("artifacts", "list", f"runs:/{run_id}/nothing-here")

    assert result.exit_code == 0
    assert result.stdout == f"No files at runs:/{run_id}/nothing-here.\n"


def test_a_webhook_never_triggered_says_nothing_was_sent(invoke, lib):
    hook = lib.create_webhook("https://example.com/hook", ["*"], "s3cret-for-tests")

    result = invoke("webhooks", "deliveries", hook.webhook_id)

    assert (result.exit_code, result.stdout) == (0, "Nothing was sent to this webhook yet.\n")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("users", "list"), "No users yet. Add one with: modelreg users create NAME --admin\n"),
        (("tokens", "list"), "No API tokens yet. Make one with: modelreg tokens create USERNAME\n"),
        (("permissions", "list", "--model", "fraud"), "No permissions granted.\n"),
    ],
    ids=_shown,
)
def test_empty_access_lists_say_so(tmp_path, monkeypatch, args, said):
    from modelreg.store.database import Database

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    Database.shared(url).ensure_schema(upgrade=True)
    modelreg.Client(url).create_registered_model("fraud")
    monkeypatch.setenv("MODELREG_BACKEND_STORE_URI", url)

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)

    assert (result.exit_code, result.stdout) == (0, said)
