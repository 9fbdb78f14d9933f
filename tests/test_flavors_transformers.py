"""Transformers flavor: a pipeline saved with safetensors + tokenizer + config, task recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.flavors import detect_flavor, load_model_dir, save_model, weights_digest
from transformers_fixtures import TEXTS, tiny_pipeline

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def pipe():
    return tiny_pipeline()


def test_pipeline_round_trips_with_the_same_predictions(tmp_path: Path, pipe):
    save_model(pipe, tmp_path / "m", input_example=TEXTS[:2])
    loaded = load_model_dir(tmp_path / "m")

    assert loaded.flavor == "transformers"
    assert loaded.native.task == "text-classification"
    assert loaded.predict(TEXTS) == pipe(TEXTS)


def test_weights_are_safetensors_with_tokenizer_and_config(tmp_path: Path, pipe):
    info = save_model(pipe, tmp_path / "m")

    files = info.manifest["model_files"]
    assert {"pipeline/model.safetensors", "pipeline/config.json", "pipeline/tokenizer.json"} <= set(
        files
    )
    assert info.manifest["flavor"]["task"] == "text-classification"


def test_a_pipeline_is_detected(pipe):
    assert detect_flavor(pipe) == "transformers"


def test_a_bare_model_is_refused_with_a_hint(tmp_path: Path, pipe):
    with pytest.raises(InvalidArgument, match=r"wrap it with transformers.pipeline\(task"):
        save_model(pipe.model, tmp_path / "m")


def test_signature_takes_a_column_of_strings(tmp_path: Path, pipe):
    info = save_model(pipe, tmp_path / "m", input_example=TEXTS[:2])

    assert info.signature.inputs.specs[0].dtype == "string"


def test_an_array_of_strings_is_predicted_like_a_list(tmp_path: Path, pipe):
    save_model(pipe, tmp_path / "m", input_example=TEXTS[:2])

    loaded = load_model_dir(tmp_path / "m")

    assert loaded.predict(np.asarray(TEXTS)) == pipe(TEXTS)


def test_params_reach_the_pipeline_as_its_keyword_arguments(tmp_path: Path, pipe):
    from modelreg.signature import infer_signature

    signature = infer_signature(np.asarray(TEXTS[:2]), params={"top_k": 1})
    save_model(pipe, tmp_path / "m", signature=signature)

    loaded = load_model_dir(tmp_path / "m")

    assert loaded.predict(TEXTS, params={"top_k": 2}) == pipe(TEXTS, top_k=2)
    assert loaded.predict(TEXTS) == pipe(TEXTS, top_k=1)


def test_saving_twice_gives_the_same_weights_digest(tmp_path: Path, pipe):
    save_model(pipe, tmp_path / "one")
    save_model(pipe, tmp_path / "two")

    assert weights_digest(tmp_path / "one") == weights_digest(tmp_path / "two")


def test_pickled_weights_are_refused_without_trust(tmp_path: Path, pipe):
    save_model(pipe, tmp_path / "m")
    (tmp_path / "m" / "pipeline" / "pytorch_model.bin").write_bytes(b"not really")

    with pytest.raises(PermissionDenied, match="pytorch_model.bin"):
        load_model_dir(tmp_path / "m")
