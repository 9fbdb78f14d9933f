"""``modelreg runs list|show|metric-history|export|rename``."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def experiment_runs(lib) -> dict[str, str]:
    """Experiment 'fraud' with runs 'good' (auc 0.97) and 'bad' (auc 0.6); name → run id."""
    experiment_id = lib.create_experiment("fraud")
    ids = {}
    for name, auc in (("good", 0.97), ("bad", 0.6)):
        ids[name] = lib.create_run(experiment_id, run_name=name).info.run_id
        lib.log_metric(ids[name], "auc", auc)
    return ids


def names(result) -> list[str]:
    return [run["info"]["run_name"] for run in json.loads(result.stdout)]


def test_list_prints_a_row_with_id_name_status_and_metrics(invoke, run_id):
    result = invoke("runs", "list")

    [row] = [line for line in result.stdout.splitlines() if run_id in line]
    assert "baseline" in row
    assert "RUNNING" in row
    assert "auc=0.91" in row


def test_list_shows_the_models_metrics_before_the_machines(invoke, lib, run_id, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    for key in ("cpu_utilization_percentage", "disk_usage_megabytes", "gpu_0_utilization"):
        lib.log_metric(run_id, f"system/{key}", 1.0)
    lib.log_metric(run_id, "val_loss", 0.2)

    [row] = [line for line in invoke("runs", "list").stdout.splitlines() if run_id in line]

    assert "auc=0.91" in row and "val_loss=0.2" in row
    assert "system/cpu_utilization_percentage=1," in row and "gpu_0" not in row


def test_show_lists_the_machines_metrics_apart_from_the_models(invoke, lib, run_id):
    lib.log_metric(run_id, "system/cpu_utilization_percentage", 12.5)

    shown = invoke("runs", "show", run_id).stdout

    metrics, system = shown.split("System metrics")
    assert "auc" in metrics.split("Metrics")[1] and "cpu_utilization" not in metrics
    assert "system/cpu_utilization_percentage" in system and "auc" not in system


def test_list_without_an_experiment_covers_every_experiment(invoke, run_id, experiment_runs):
    result = invoke("runs", "list", "--json")

    assert sorted(names(result)) == ["bad", "baseline", "good"]


@pytest.fixture
def search(lib) -> dict[str, str]:
    """Experiment 'tuning': run 'search' with children 'c0' and 'c1', and run 'alone'."""
    experiment_id = lib.create_experiment("tuning")
    parent = lib.create_run(experiment_id, run_name="search").info.run_id
    for name in ("c0", "c1"):
        lib.create_run(experiment_id, run_name=name, tags={"modelreg.parentRunId": parent})
    lib.create_run(experiment_id, run_name="alone")
    return {"parent": parent}


def test_list_parent_shows_the_runs_nested_in_a_run_given_by_an_id_prefix(invoke, search):
    result = invoke(
        "runs", "list", "--experiment", "tuning", "--parent", search["parent"][:8], "--json"
    )

    assert sorted(names(result)) == ["c0", "c1"]


def test_list_top_level_keeps_the_filter_with_an_or_in_it(invoke, search):
    result = invoke(
        "runs", "list", "--experiment", "tuning", "--top-level", "--json",
        "--filter", "attributes.run_name = 'c0' or attributes.run_name = 'alone'",
    )  # fmt: skip

    assert names(result) == ["alone"]


def test_list_parent_and_top_level_together_is_a_usage_error(invoke, search):
    result = invoke("runs", "list", "--parent", search["parent"], "--top-level")

    assert result.exit_code == 2
    assert "--parent and --top-level: choose one" in result.output


def test_show_names_a_nested_runs_parent(invoke, lib, search):
    child = lib.search_runs(
        [lib.get_experiment_by_name("tuning").experiment_id], "attributes.run_name = 'c0'"
    )[0]

    shown = invoke("runs", "show", child.info.run_id).stdout

    [line] = [line for line in shown.splitlines() if line.startswith("Parent run")]
    assert line.split() == ["Parent", "run", search["parent"]]


@pytest.mark.parametrize("by", ["name", "id"])
def test_list_experiment_takes_a_name_or_an_id(invoke, lib, run_id, experiment_runs, by):
    experiment = "fraud" if by == "name" else lib.get_experiment_by_name("fraud").experiment_id

    result = invoke("runs", "list", "--experiment", experiment, "--json")

    assert sorted(names(result)) == ["bad", "good"]


def test_list_of_an_unknown_experiment_exits_1(invoke, lib):
    result = invoke("runs", "list", "--experiment", "nope")

    assert result.exit_code == 1
    assert result.stderr == "Error: experiment 'nope' does not exist\n"


def test_list_filter_order_and_max_results(invoke, experiment_runs):
    filtered = invoke("runs", "list", "--filter", "metrics.auc > 0.9", "--json")
    ordered = invoke("runs", "list", "--order-by", "metrics.auc ASC", "--json")
    first = invoke("runs", "list", "--order-by", "metrics.auc DESC", "--max-results", "1", "--json")

    assert names(filtered) == ["good"]
    assert names(ordered) == ["bad", "good"]
    assert names(first) == ["good"]
    assert "--page-token" in first.stderr


def test_show_json_has_params_metrics_and_tags(invoke, run_id):
    result = invoke("runs", "show", run_id, "--json")

    run = json.loads(result.stdout)
    assert run["info"]["run_id"] == run_id
    assert run["data"]["params"] == {"lr": "0.01"}
    assert run["data"]["metrics"] == {"auc": 0.91}


def test_show_prints_info_and_params(invoke, run_id):
    result = invoke("runs", "show", run_id)

    assert "baseline" in result.stdout
    [row] = [line for line in result.stdout.splitlines() if " lr " in line]
    assert "0.01" in row


def test_show_of_an_unknown_run_exits_1(invoke, lib):
    result = invoke("runs", "show", "0" * 32)

    assert result.exit_code == 1
    assert "0" * 32 in result.stderr


def test_metric_history_prints_each_step_and_pages(invoke, lib, run_id):
    for step in range(3):
        lib.log_metric(run_id, "loss", 1.0 - step / 10, step=step)

    first = invoke("runs", "metric-history", run_id, "loss", "--max-results", "2", "--json")
    token = first.stderr.split("--page-token ")[1].split()[0]
    rest = invoke("runs", "metric-history", run_id, "loss", "--page-token", token, "--json")
    table = invoke("runs", "metric-history", run_id, "loss")

    assert [m["step"] for m in json.loads(first.stdout)] == [0, 1]
    assert [(m["step"], m["value"]) for m in json.loads(rest.stdout)] == [(2, 0.8)]
    assert rest.stderr == ""
    assert "0.9" in table.stdout and "0.8" in table.stdout


def test_metric_history_with_a_broken_page_token_exits_1_naming_it(invoke, run_id):
    result = invoke("runs", "metric-history", run_id, "loss", "--page-token", "%%%")

    assert result.exit_code == 1
    assert "page_token" in result.stderr


def test_export_writes_a_csv_row_per_run_with_a_column_per_key(invoke, lib, run_id, tmp_path):
    import csv

    other = lib.create_run("0", run_name="other", start_time=1_700_000_000_000).info.run_id
    lib.log_metric(other, "loss", 0.25)
    lib.set_tag(other, "team", "risk, fraud")  # a comma, quoted by the CSV writer
    lib.set_terminated(other, "FINISHED", end_time=1_700_000_060_000)
    out = tmp_path / "runs.csv"

    result = invoke("runs", "export", "-o", str(out), "--order-by", "run_name")

    assert result.exit_code == 0 and "Wrote 2 runs" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["run_name"] for r in rows] == ["baseline", "other"]
    assert rows[0]["params.lr"] == "0.01" and rows[0]["metrics.auc"] == "0.91"
    assert rows[0]["metrics.loss"] == "" and rows[1]["metrics.loss"] == "0.25"
    assert rows[1]["tags.team"] == "risk, fraud"
    assert rows[1]["start_time"] == "2023-11-14T22:13:20+00:00"
    assert rows[1]["end_time"] == "2023-11-14T22:14:20+00:00" and rows[0]["end_time"] == ""
    assert rows[1]["run_id"] == other


def test_export_to_stdout_filters_and_reads_every_page(invoke, lib):
    import csv
    import io

    for i in range(1003):  # more than one page of search_runs
        lib.create_run("0", run_name=f"r{i}", tags={"keep": "yes" if i % 2 else "no"})

    result = invoke("runs", "export", "--filter", "tags.keep = 'yes'")

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 501
    assert {r["tags.keep"] for r in rows} == {"yes"}


def test_rename_changes_the_name_by_an_id_prefix(invoke, lib, run_id):
    result = invoke("runs", "rename", run_id[:8], "baseline-v2")

    assert result.stdout == f"Renamed run {run_id} to 'baseline-v2'.\n"
    assert lib.get_run(run_id).info.run_name == "baseline-v2"


def test_show_lists_the_logged_models_the_run_made_or_used_and_its_image_series(
    invoke, lib, run_id
):
    import numpy as np

    experiment_id = lib.get_run(run_id).info.experiment_id
    used = lib.create_logged_model(experiment_id, name="teacher").model_id
    lib.log_inputs(run_id, models=[used])
    for step in (2, 7):
        lib.log_image(run_id, np.zeros((4, 4), dtype=np.uint8), key="val/masks", step=step)

    shown = invoke("runs", "show", run_id).stdout

    models, images = shown.split("Logged models")[1].split("Image series")
    [link] = [line for line in models.splitlines() if used in line]
    assert cells(link) == [used, "input", "0"]
    [series] = [line for line in images.splitlines() if "val/masks" in line]
    assert cells(series) == ["val/masks", "2", "2", "7"]


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("│").split("│")]


def test_show_of_a_run_without_links_or_images_has_neither_table(invoke, run_id):
    shown = invoke("runs", "show", run_id).stdout

    assert "Logged models" not in shown and "Image series" not in shown


def test_show_lists_the_datasets_the_run_used(invoke, lib, run_id, tmp_path):
    import numpy as np

    import modelreg

    source = str(tmp_path / "train.csv")
    train = modelreg.data.from_numpy(np.ones((4, 2)), source=source, name="train")
    lib.log_input(run_id, train, "training", tags={"split": "q4"})

    shown = invoke("runs", "show", run_id).stdout

    datasets = shown.split("Datasets")[1]
    [row] = [line for line in datasets.splitlines() if "train" in line and "training" in line]
    assert cells(row)[:4] == ["train", "training", train.digest[:12], "4"]
    assert "train.csv" in datasets
    assert "split=q4" in datasets
