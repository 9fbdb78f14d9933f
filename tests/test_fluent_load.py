"""modelreg.load_text and load_dict read back an artifact file by URI (MLflow's
mlflow.artifacts.load_text / load_dict), and modelreg.infer_signature is at hand."""

from __future__ import annotations

import io

import numpy as np
import pytest

import modelreg
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def run_id(client) -> str:
    return client.create_run("0").info.run_id


def test_load_text_reads_back_what_log_text_stored(client, run_id):
    client.log_text(run_id, "précision 0.91 ✓\n", "notes/eval.txt")

    assert modelreg.load_text(f"runs:/{run_id}/notes/eval.txt") == "précision 0.91 ✓\n"


@pytest.mark.parametrize("name", ["config.json", "config.yaml"])
def test_load_dict_reads_back_what_log_dict_stored(client, run_id, name):
    config = {"lr": 0.1, "layers": [64, 32], "name": "ünïcode"}
    client.log_dict(run_id, config, name)

    assert modelreg.load_dict(f"runs:/{run_id}/{name}") == config


def test_a_model_versions_file_is_read_by_its_models_uri(client, run_id):
    client.log_text(run_id, "flavor: python\n", "model/MLmodel")
    client.create_registered_model("fraud")
    client.create_model_version("fraud", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("fraud", "champion", 1)

    assert modelreg.load_text("models:/fraud@champion/MLmodel") == "flavor: python\n"


def test_a_folder_bytes_or_broken_json_are_refused_naming_the_uri(client, run_id):
    client.log_text(run_id, "x", "folder/a.txt")
    client.log_stream(run_id, io.BytesIO(b"\xff\xfe\x00"), "weights.bin")
    client.log_text(run_id, "{not json", "broken.json")

    with pytest.raises(InvalidArgument, match="folder.*not a file"):
        modelreg.load_text(f"runs:/{run_id}/folder")
    with pytest.raises(InvalidArgument, match="weights.bin' is not UTF-8"):
        modelreg.load_text(f"runs:/{run_id}/weights.bin")
    with pytest.raises(InvalidArgument, match="broken.json' is not JSON"):
        modelreg.load_dict(f"runs:/{run_id}/broken.json")


def test_a_missing_file_is_not_found(client, run_id):
    with pytest.raises(NotFound):
        modelreg.load_text(f"runs:/{run_id}/nothing.txt")


def test_infer_signature_is_exported_and_log_model_takes_its_result(client, run_id):
    from sklearn.linear_model import LinearRegression

    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    signature = modelreg.infer_signature(x, np.array([1.0, 2.0]))

    logged = modelreg.log_model(
        LinearRegression().fit(x, [1.0, 2.0]), "model", signature=signature, run_id=run_id
    )

    assert modelreg.load_model(logged.model_uri).signature == signature
