"""Keras 3 flavor (torch backend): .keras archives, loaded in safe mode, stable bytes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from modelreg.errors import InvalidArgument
from modelreg.flavors import detect_flavor, load_model_dir, save_model, weights_digest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")


def small_model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,), name="x")
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))


def features() -> np.ndarray:
    return np.random.RandomState(0).rand(6, 3).astype("float32")


def test_model_round_trips_with_the_same_predictions(tmp_path: Path):
    model = small_model()

    save_model(model, tmp_path / "m", input_example=features()[:2])
    loaded = load_model_dir(tmp_path / "m")

    assert loaded.flavor == "keras"
    np.testing.assert_allclose(loaded.predict(features()), model.predict_on_batch(features()))


def test_a_keras_model_is_detected_before_torch():
    assert detect_flavor(small_model()) == "keras"


def test_signature_is_inferred_from_the_input_example(tmp_path: Path):
    info = save_model(small_model(), tmp_path / "m", input_example=features()[:2])

    assert info.signature.inputs.specs[0].to_dict() == {
        "name": None,
        "dtype": "float32",
        "shape": [-1, 3],
    }
    assert info.signature.outputs.specs[0].shape == (-1, 2)


def test_saving_twice_gives_identical_bytes(tmp_path: Path):
    model = small_model()

    save_model(model, tmp_path / "one")
    save_model(model, tmp_path / "two")

    assert weights_digest(tmp_path / "one") == weights_digest(tmp_path / "two")


def test_a_lambda_layer_is_refused_at_load_by_safe_mode(tmp_path: Path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))
    save_model(model, tmp_path / "m")

    with pytest.raises(InvalidArgument, match="Keras refused to load it"):
        load_model_dir(tmp_path / "m")


def test_a_wrong_input_shape_is_refused_by_the_signature(tmp_path: Path):
    save_model(small_model(), tmp_path / "m", input_example=features()[:2])

    with pytest.raises(InvalidArgument, match=r"expected shape \(-1, 3\)"):
        load_model_dir(tmp_path / "m").predict(np.zeros((2, 4), dtype="float32"))
