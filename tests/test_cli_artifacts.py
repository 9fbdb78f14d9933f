"""``modelreg artifacts download``."""

from __future__ import annotations

from pathlib import Path


def test_download_of_a_runs_uri_writes_the_file_and_prints_its_path(invoke, run_id, tmp_path):
    result = invoke("artifacts", "download", f"runs:/{run_id}/model/MLmodel", str(tmp_path / "o"))

    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path / 'o' / 'model' / 'MLmodel'}\n"
    assert (tmp_path / "o" / "model" / "MLmodel").read_text() == "flavor: python"


def test_download_of_a_models_uri_writes_the_version_files(invoke, fraud, tmp_path):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    result = invoke("artifacts", "download", "models:/fraud@champion", str(tmp_path / "o"))

    assert result.exit_code == 0
    assert (Path(result.stdout.strip()) / "MLmodel").read_text() == "flavor: python"


def test_download_of_a_missing_path_exits_1_naming_it(invoke, run_id, tmp_path):
    result = invoke("artifacts", "download", f"runs:/{run_id}/nothing", str(tmp_path / "o"))

    assert result.exit_code == 1
    assert "nothing" in result.stderr


def test_download_of_a_foreign_uri_exits_1(invoke, lib, tmp_path):
    result = invoke("artifacts", "download", "s3://bucket/key", str(tmp_path / "o"))

    assert result.exit_code == 1
    assert "runs:/ or models:/" in result.stderr


def test_download_into_an_existing_file_is_a_usage_error(invoke, run_id, tmp_path):
    (tmp_path / "taken").write_text("x")

    result = invoke("artifacts", "download", f"runs:/{run_id}/model", str(tmp_path / "taken"))

    assert result.exit_code == 2
    assert (tmp_path / "taken").read_text() == "x"
