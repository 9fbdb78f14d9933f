"""``modelreg artifacts download|list|upload``."""

from __future__ import annotations

import json
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


def test_download_where_no_folder_can_be_made_exits_1_in_one_line(invoke, run_id, tmp_path):
    (tmp_path / "taken").write_text("x")
    dst = tmp_path / "taken" / "sub"

    result = invoke("artifacts", "download", f"runs:/{run_id}/model", str(dst))

    assert result.exit_code == 1
    assert result.stderr == f"Error: Not a directory: '{dst}'\n"


def _tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"a" * 3000)
    (root / "sub" / "b.txt").write_bytes(b"b")
    return root


def test_list_of_a_run_shows_one_folder_with_sizes(invoke, lib, run_id, tmp_path):
    lib.log_artifacts(run_id, _tree(tmp_path / "t"), "data")

    root = invoke("artifacts", "list", f"runs:/{run_id[:8]}")
    data = invoke("artifacts", "list", f"runs:/{run_id}/data")

    assert root.exit_code == 0
    assert "data/" in root.stdout and "model/" in root.stdout
    assert "data/a.txt" in data.stdout and "2.9 KB" in data.stdout
    assert "data/sub/" in data.stdout and "data/sub/b.txt" not in data.stdout


def test_list_recursive_json_gives_every_file(invoke, lib, run_id, tmp_path):
    lib.log_artifacts(run_id, _tree(tmp_path / "t"), "data")

    result = invoke("artifacts", "list", f"runs:/{run_id}", "--recursive", "--json")

    assert json.loads(result.stdout) == [
        {"path": "data/a.txt", "is_dir": False, "file_size": 3000},
        {"path": "data/sub/b.txt", "is_dir": False, "file_size": 1},
        {"path": "model/MLmodel", "is_dir": False, "file_size": 14},
    ]


def test_list_of_a_models_uri_shows_the_versions_files(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    result = invoke("artifacts", "list", "models:/fraud@champion", "--json")

    assert json.loads(result.stdout) == [{"path": "MLmodel", "is_dir": False, "file_size": 14}]


def test_list_of_a_foreign_uri_is_a_usage_error(invoke, lib):
    result = invoke("artifacts", "list", "s3://bucket/x")

    assert result.exit_code == 2
    assert "not a runs:/ or models:/ URI" in result.stderr


def test_upload_of_a_folder_keeps_its_layout(invoke, lib, run_id, tmp_path):
    result = invoke(
        "artifacts", "upload", run_id[:8], str(_tree(tmp_path / "t")), "--artifact-path", "tok"
    )

    assert result.stdout == f"Uploaded 2 files to runs:/{run_id}/tok.\n"
    assert [f.path for f in lib.list_artifacts(run_id, "tok")] == ["tok/a.txt", "tok/sub"]


def test_upload_of_a_file_puts_it_under_its_name(invoke, lib, run_id, tmp_path):
    (tmp_path / "report.html").write_text("<p>ok</p>")

    result = invoke("artifacts", "upload", run_id, str(tmp_path / "report.html"))

    assert result.stdout == f"Uploaded 1 file to runs:/{run_id}/report.html.\n"
    local = lib.download_artifacts(run_id, "report.html", tmp_path / "back")
    assert Path(local).read_text() == "<p>ok</p>"


def test_upload_of_a_missing_path_is_a_usage_error(invoke, run_id, tmp_path):
    result = invoke("artifacts", "upload", run_id, str(tmp_path / "nope"))

    assert result.exit_code == 2


def test_upload_to_a_bad_artifact_path_exits_1_naming_it(invoke, lib, run_id, tmp_path):
    (tmp_path / "f").write_text("x")

    result = invoke("artifacts", "upload", run_id, str(tmp_path / "f"), "--artifact-path", "../up")

    assert result.exit_code == 1
    assert "artifact_path" in result.stderr
    assert [f.path for f in lib.list_artifacts(run_id)] == ["model"]
