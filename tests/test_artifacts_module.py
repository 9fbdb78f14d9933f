"""``modelreg.artifacts``, MLflow's ``mlflow.artifacts`` by its names: download, list and
read files of runs and registered versions by URI, on every backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import modelreg
from modelreg.errors import InvalidArgument


@pytest.fixture
def run_id(client, tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"w" * 10)
    (tmp_path / "model" / "notes.txt").write_text("notes")
    run = client.create_run(client.get_experiment_by_name("Default").experiment_id)
    client.log_artifacts(run.info.run_id, str(tmp_path / "model"), "model")
    client.log_image(run.info.run_id, np.zeros((4, 6, 3), dtype=np.uint8), "plots/blank.png")
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run.info.run_id}/model")
    return run.info.run_id


def test_list_artifacts_by_runs_uri_by_run_and_path_and_by_models_uri(client, run_id):
    by_uri = modelreg.artifacts.list_artifacts(f"runs:/{run_id}/model")
    by_run = modelreg.artifacts.list_artifacts(run_id=run_id, artifact_path="model")
    by_version = modelreg.artifacts.list_artifacts("models:/m/1")

    assert (
        [f.path for f in by_uri]
        == [f.path for f in by_run]
        == [
            "model/notes.txt",
            "model/weights.bin",
        ]
    )
    assert [f.path for f in by_version] == ["notes.txt", "weights.bin"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "give artifact_uri, or run_id"),
        ({"artifact_uri": "runs:/x/model", "run_id": "x"}, "not both"),
        ({"artifact_uri": "s3://bucket/model"}, "must be a runs:/ or models:/ URI"),
    ],
)
def test_list_artifacts_refuses_what_names_nothing_it_can_list(client, arguments, message):
    with pytest.raises(InvalidArgument, match=message):
        modelreg.artifacts.list_artifacts(**arguments)


def test_download_artifacts_by_uri_with_mlflows_arguments(client, run_id, tmp_path):
    local = modelreg.artifacts.download_artifacts(
        f"runs:/{run_id}/model", dst_path=str(tmp_path / "out"),
        tracking_uri=modelreg.get_tracking_uri(), registry_uri=modelreg.get_tracking_uri(),
    )  # fmt: skip

    assert (Path(local) / "weights.bin").read_bytes() == b"w" * 10
    assert modelreg.artifacts.load_text(f"runs:/{run_id}/model/notes.txt") == "notes"
    with pytest.raises(InvalidArgument, match="is not the tracking URI"):
        modelreg.artifacts.download_artifacts(
            f"runs:/{run_id}/model", registry_uri=f"sqlite:///{tmp_path / 'other.db'}"
        )


def test_load_image_reads_a_logged_image_and_refuses_other_files(client, run_id):
    image = modelreg.artifacts.load_image(f"runs:/{run_id}/plots/blank.png")

    assert image.size == (6, 4)
    with pytest.raises(InvalidArgument, match="is not an image Pillow reads"):
        modelreg.artifacts.load_image(f"runs:/{run_id}/model/notes.txt")
    with pytest.raises(InvalidArgument, match="names a folder"):
        modelreg.artifacts.load_image(f"runs:/{run_id}/model")


def test_models_and_artifacts_are_attributes_of_modelreg_as_mlflows_are():
    import subprocess
    import sys

    code = "import modelreg; modelreg.models.infer_signature; modelreg.artifacts.list_artifacts"
    subprocess.run([sys.executable, "-c", code], check=True)
