"""Every flavor predicts the same through ``modelreg serve``, ``modelreg predict`` and
``load_model(...).predict``: the server and the batch command convert input as the
signature says, and hand the model what the library would.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

import modelreg
from modelreg.cli import cli
from modelreg.serving.app import create_app
from modelreg.serving.batch import predictions_frame
from modelreg.serving.follow import Follower
from modelreg.serving.payloads import to_jsonable

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RNG = np.random.RandomState(0)
FRAME = pd.DataFrame(RNG.rand(40, 3), columns=["a", "b", "c"])
LABELS = (FRAME["a"] > 0.5).astype(int).to_numpy()
TENSOR = FRAME.to_numpy(dtype="float32")


def tabular(kind: str) -> Any:
    if kind == "sklearn":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=5, random_state=0).fit(FRAME, LABELS)
    if kind == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(n_estimators=4, max_depth=2).fit(FRAME, LABELS)
    if kind == "lightgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(n_estimators=4, min_child_samples=5, verbose=-1).fit(
            FRAME, LABELS
        )
    import catboost

    model = catboost.CatBoostClassifier(iterations=4, verbose=False, allow_writing_files=False)
    return model.fit(FRAME, LABELS)


def keras_model() -> Any:
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))


def torch_model() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Softmax(dim=1))


def onnx_model() -> Any:
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.eye(3, 2, dtype=np.float32), name="w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "project",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])],
        initializer=[weights],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def case(flavor: str) -> tuple[Any, Any, Any]:
    """(model, input example, the input as the library is given it) for a flavor."""
    if flavor in ("sklearn", "xgboost", "lightgbm", "catboost"):
        return tabular(flavor), FRAME.head(3), FRAME
    if flavor == "transformers":
        from transformers_fixtures import TEXTS, tiny_pipeline

        return tiny_pipeline(), TEXTS[:2], TEXTS
    if flavor == "python":
        from serve_fixtures import RowSum

        return RowSum(2.0), FRAME.to_numpy()[:3], FRAME.to_numpy()
    model = {"keras": keras_model, "pytorch": torch_model, "onnx": onnx_model}[flavor]()
    return model, TENSOR[:3], TENSOR


def request_body(flavor: str, data: Any) -> dict[str, Any]:
    if isinstance(data, pd.DataFrame):
        return {"dataframe_split": {"columns": list(data.columns), "data": data.values.tolist()}}
    return {"inputs": data.tolist() if hasattr(data, "tolist") else list(data)}


def input_file(tmp_path: Path, data: Any) -> Path:
    if isinstance(data, pd.DataFrame):
        path = tmp_path / "rows.parquet"
        data.to_parquet(path)
    elif isinstance(data, list):  # texts
        path = tmp_path / "rows.jsonl"
        pd.DataFrame({"text": data}).to_json(path, orient="records", lines=True)
    else:
        path = tmp_path / "rows.csv"
        pd.DataFrame(data, columns=["a", "b", "c"]).to_csv(path, index=False)
    return path


FLAVORS = [
    "sklearn", "xgboost", "lightgbm", "catboost", "keras", "transformers", "pytorch", "onnx",
    "python",
]  # fmt: skip


@pytest.mark.parametrize("flavor", FLAVORS)
def test_serve_predict_and_load_model_agree(flavor: str, tmp_path: Path, monkeypatch):
    model, example, data = case(flavor)
    store = str(tmp_path / "store")
    client = modelreg.Client(store)
    run_id = client.create_run("0").info.run_id
    modelreg.log_model(
        model, "model", input_example=example, registered_model_name="f", run_id=run_id,
        client=client,
    )  # fmt: skip
    uri = "models:/f/1"

    direct = modelreg.load_model(uri, client=client).predict(data)

    follower = Follower(uri, client, pin=True)
    follower.load_initial()
    served = TestClient(create_app(follower)).post("/invocations", json=request_body(flavor, data))
    assert served.status_code == 200, served.text
    assert served.json()["predictions"] == approx_nested(to_jsonable(direct))

    monkeypatch.setenv("MODELREG_TRACKING_URI", store)
    output = tmp_path / "scores.jsonl"
    result = CliRunner().invoke(
        cli,
        ["predict", uri, "--input", str(input_file(tmp_path, data)), "--output", str(output)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    batch = pd.read_json(output, lines=True)
    expected = predictions_frame(direct, len(batch))
    pd.testing.assert_frame_equal(batch, expected, check_dtype=False, rtol=1e-6)


def approx_nested(expected: Any) -> Any:
    """pytest.approx for JSON values: lists of numbers, nested lists, records."""
    if isinstance(expected, list):
        return [approx_nested(e) for e in expected]
    if isinstance(expected, dict):
        return {k: approx_nested(v) for k, v in expected.items()}
    if isinstance(expected, float):
        return pytest.approx(expected, rel=1e-6)
    return expected
