"""modelreg evaluate: a registered model's metrics on a file of examples, logged to a run."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg.errors import PolicyViolation


@pytest.fixture
def holdout(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 2)), columns=["a", "b"])
    frame["label"] = (frame["a"] + 0.5 * rng.normal(size=80) > 0).astype(int)
    return frame


@pytest.fixture
def fraud(lib, holdout):
    """Version 1 of model 'fraud': a classifier of the holdout's kind, with its signature."""
    modelreg.set_tracking_uri(lib.tracking_uri)
    features = holdout[["a", "b"]]
    with modelreg.start_run():
        modelreg.log_model(
            LogisticRegression().fit(features, holdout["label"]),
            name="model",
            input_example=features[:3],
            registered_model_name="fraud",
        )
    return lib


@pytest.fixture
def holdout_csv(tmp_path, holdout):
    path = tmp_path / "holdout.csv"
    holdout.to_csv(path, index=False)
    return path


def evaluate(invoke, data, *args):
    return invoke(
        "evaluate", "models:/fraud/1", "--data", str(data), "--targets", "label",
        "--model-type", "classifier", *args,
    )  # fmt: skip


def test_the_metrics_are_printed_and_logged_on_a_new_run_measured_on_the_file(
    invoke,
    fraud,
    holdout_csv,
):
    done = evaluate(invoke, holdout_csv, "--json")

    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    run = fraud.get_run(out["run_id"])
    assert run.data.metrics == pytest.approx(out["metrics"])
    assert 0.5 < out["metrics"]["accuracy_score"] <= 1
    (used,) = fraud.get_run_inputs(out["run_id"])
    assert (used.dataset.name, used.context) == ("holdout", "evaluation")
    assert out["dataset"] == {"name": "holdout", "digest": used.dataset.digest, "rows": 80}


def test_a_table_of_metrics_for_people(invoke, fraud, holdout_csv, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    done = evaluate(invoke, holdout_csv)

    assert done.exit_code == 0, done.output
    assert "f1_score" in done.stdout and "roc_auc" in done.stdout
    assert "Logged to run" in done.stdout


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_jsonl_and_parquet_files_are_read_too(invoke, fraud, holdout, tmp_path, suffix):
    path = tmp_path / f"holdout{suffix}"
    if suffix == ".jsonl":
        holdout.to_json(path, orient="records", lines=True)
    else:
        holdout.to_parquet(path)

    done = evaluate(invoke, path, "--json")

    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["metrics"]["example_count"] == 80


def test_evaluating_into_the_versions_run_lets_a_policy_gate_promotion_on_it(
    invoke,
    fraud,
    holdout_csv,
):
    fraud.set_promotion_policy(
        "fraud", {"Production": {"thresholds": ["holdout_accuracy_score >= 0.6"]}}
    )
    with pytest.raises(PolicyViolation, match="holdout_accuracy_score"):
        fraud.transition_model_version_stage("fraud", 1, "Production")

    done = evaluate(invoke, holdout_csv, "--into-source-run", "--metric-prefix", "holdout_")

    assert done.exit_code == 0, done.output
    fraud.transition_model_version_stage("fraud", 1, "Production")
    assert fraud.get_model_version("fraud", 1).current_stage == "Production"


def test_the_run_goes_to_the_experiment_named(invoke, fraud, holdout_csv):
    done = evaluate(invoke, holdout_csv, "--experiment", "evaluations", "--json")

    run = fraud.get_run(json.loads(done.stdout)["run_id"])
    assert run.info.experiment_id == fraud.get_experiment_by_name("evaluations").experiment_id


def test_a_numeric_positive_label_is_read_as_a_number(invoke, fraud, holdout_csv):
    ones = evaluate(invoke, holdout_csv, "--json")
    zeros = evaluate(invoke, holdout_csv, "--pos-label", "0", "--json")

    assert zeros.exit_code == 0, zeros.output
    metrics_one, metrics_zero = (json.loads(d.stdout)["metrics"] for d in (ones, zeros))
    assert metrics_zero["true_positives"] == metrics_one["true_negatives"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--targets", "labels"], 1, "data has no column 'labels'; its columns: a, b, label"),
        (["--pos-label", "yes"], 2, "'yes' is not a number, and the targets column"),
    ],
)
def test_bad_arguments_are_named(invoke, fraud, holdout_csv, args, code, message):
    done = evaluate(invoke, holdout_csv, *args)

    assert done.exit_code == code
    assert message in done.stderr


def test_a_file_of_another_format_is_refused(invoke, fraud, tmp_path):
    (tmp_path / "holdout.txt").write_text("a,b,label\n")

    done = evaluate(invoke, tmp_path / "holdout.txt")

    assert done.exit_code == 1
    assert "must end in one of .csv, .jsonl, .ndjson, .parquet" in done.stderr


def test_into_source_run_of_a_logged_model_logs_into_the_run_that_made_it(
    invoke, fraud, holdout_csv
):
    version = fraud.get_model_version("fraud", 1)
    (logged,) = fraud.get_run_logged_models(version.run_id)

    done = invoke(
        "evaluate", f"models:/{logged.model_id}", "--data", str(holdout_csv), "--targets",
        "label", "--model-type", "classifier", "--into-source-run", "--json",
    )  # fmt: skip

    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["run_id"] == version.run_id


@pytest.mark.parametrize("args", [["--run-id", "abc"], ["--experiment", "x"]])
def test_into_source_run_with_another_destination_is_a_usage_error(
    invoke, fraud, holdout_csv, args
):
    done = evaluate(invoke, holdout_csv, "--into-source-run", *args)

    assert done.exit_code == 2
    assert "--into-source-run takes neither --run-id nor --experiment" in done.stderr


def test_into_source_run_needs_a_models_uri(invoke, fraud, holdout_csv):
    run_id = fraud.get_model_version("fraud", 1).run_id

    done = invoke(
        "evaluate", f"runs:/{run_id}/model", "--data", str(holdout_csv), "--targets", "label",
        "--model-type", "classifier", "--into-source-run",
    )  # fmt: skip

    assert done.exit_code == 2
    assert "needs a models:/ URI of a version or a logged model" in done.stderr
