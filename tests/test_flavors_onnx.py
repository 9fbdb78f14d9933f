"""ONNX flavor: ModelProto or .onnx file in, onnxruntime predictions out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression

from modelreg.errors import InvalidArgument
from modelreg.flavors import load_model_dir, save_model


def add_one_model() -> onnx.ModelProto:
    """y = x + 1 for float32 x of shape (batch, 3), built by hand."""
    one = numpy_helper.from_array(np.ones(3, dtype=np.float32), name="one")
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "one"], ["y"])],
        "add_one",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        initializer=[one],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def classifier() -> tuple[LogisticRegression, onnx.ModelProto, np.ndarray]:
    rng = np.random.RandomState(0)
    X = rng.rand(30, 4).astype(np.float32)
    model = LogisticRegression().fit(X, (X[:, 0] > 0.5).astype(int))
    return model, to_onnx(model, X[:1], options={id(model): {"zipmap": False}}), X


def test_hand_built_graph_round_trips(tmp_path: Path):
    save_model(add_one_model(), tmp_path / "m")
    x = np.arange(6, dtype=np.float32).reshape(2, 3)

    loaded = load_model_dir(tmp_path / "m")

    assert loaded.flavor == "onnx"
    np.testing.assert_array_equal(loaded.predict(x), x + 1)


def test_converted_sklearn_model_predicts_the_same_labels(tmp_path: Path):
    model, proto, X = classifier()
    save_model(proto, tmp_path / "m")

    out = load_model_dir(tmp_path / "m").predict(X)

    np.testing.assert_array_equal(out["label"], model.predict(X))


def test_signature_is_read_from_the_graph_when_none_is_given(tmp_path: Path):
    info = save_model(add_one_model(), tmp_path / "m")

    assert info.signature.inputs.specs[0].to_dict() == {
        "name": "x",
        "dtype": "float32",
        "shape": [-1, 3],
    }


def test_path_to_an_onnx_file_is_saved_byte_for_byte(tmp_path: Path):
    onnx.save(add_one_model(), tmp_path / "add.onnx")

    save_model(tmp_path / "add.onnx", tmp_path / "m")

    assert (tmp_path / "m/model.onnx").read_bytes() == (tmp_path / "add.onnx").read_bytes()


def test_float64_input_is_refused_naming_the_graph_input(tmp_path: Path):
    save_model(add_one_model(), tmp_path / "m")

    with pytest.raises(InvalidArgument, match="input 'x': expected dtype float32, got float64"):
        load_model_dir(tmp_path / "m").predict(np.zeros((2, 3)))


def test_model_with_external_data_is_refused(tmp_path: Path):
    model = add_one_model()
    onnx.save(model, tmp_path / "ext.onnx", save_as_external_data=True, size_threshold=0)

    with pytest.raises(InvalidArgument, match="external data"):
        save_model(onnx.load(tmp_path / "ext.onnx", load_external_data=False), tmp_path / "m")
