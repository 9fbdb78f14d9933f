"""``modelreg logged-models list|show``: MLflow 3's logged models from the command line."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def model_id(lib) -> str:
    """A READY logged model 'clf' of a run in experiment 'fraud', with param alpha."""
    run = lib.create_run(lib.create_experiment("fraud"), run_name="train")
    service = lib._backend.logged_models  # MLflow clients create them over the MLflow API
    model = service.create_logged_model(
        run.info.experiment_id, "clf", run.info.run_id, params={"alpha": "0.1"}
    )
    service.finalize_logged_model(model.model_id, "READY")
    return model.model_id


def test_list_shows_the_experiments_logged_models(invoke, model_id):
    result = invoke("logged-models", "list", "--experiment", "fraud", "--json")

    [model] = json.loads(result.stdout)
    assert (model["model_id"], model["name"], model["status"]) == (model_id, "clf", "READY")


def test_show_prints_the_model_with_its_params(invoke, model_id):
    result = invoke("logged-models", "show", model_id)

    assert model_id in result.stdout
    assert "alpha" in result.stdout and "0.1" in result.stdout


def test_show_of_an_unknown_model_fails_naming_it(invoke):
    result = invoke("logged-models", "show", "m-" + "0" * 32)

    assert result.exit_code != 0
    assert "m-0000" in result.output


@pytest.fixture
def measured(lib, model_id) -> str:
    """``model_id`` measured on holdout (two versions of it) and on train."""
    run_id = lib.get_logged_model(model_id).source_run_id
    for dataset, digest, value in (
        ("holdout", "aa11", 0.91),
        ("holdout", "bb22", 0.85),
        ("train", "cc33", 0.99),
    ):
        lib.log_metric(
            run_id, "auc", value, model_id=model_id, dataset_name=dataset, dataset_digest=digest
        )
    return model_id


@pytest.mark.parametrize(
    ("args", "found"),
    [
        (["--filter", "metrics.auc > 0.95"], True),
        (["--filter", "metrics.auc > 0.95", "--dataset", "holdout"], False),
        (["--filter", "metrics.auc > 0.9", "--dataset", "holdout"], True),
        (["--filter", "metrics.auc > 0.9", "--dataset", "holdout@bb22"], False),
        (
            ["--filter", "metrics.auc > 0.9", "--dataset", "holdout@bb22", "--dataset", "train"],
            True,
        ),
        (["--dataset", "eval"], False),
    ],
)
def test_list_compares_metrics_on_the_datasets_named(invoke, measured, args, found):
    result = invoke("logged-models", "list", "--experiment", "fraud", *args, "--json")

    assert [m["model_id"] for m in json.loads(result.stdout)] == ([measured] if found else [])


def test_show_lists_each_metric_with_the_dataset_it_was_measured_on(invoke, measured):
    result = invoke("logged-models", "show", measured)

    assert "holdout@aa11" in result.stdout and "holdout@bb22" in result.stdout
    assert "train@cc33" in result.stdout and "0.99" in result.stdout


def test_show_lists_the_runs_that_logged_or_used_the_model(invoke, lib, model_id):
    experiment_id = lib.get_experiment_by_name("fraud").experiment_id
    user = lib.create_run(experiment_id, run_name="evaluate").info.run_id
    lib.log_inputs(user, models=[model_id])

    shown = invoke("logged-models", "show", model_id).stdout

    runs = shown.split("Runs")[-1]
    [row] = [line for line in runs.splitlines() if user in line]
    assert "input" in row
