"""MLflow's ``mlflow.models`` calls that check a model against scoring requests before it
is served: ``predict``, ``validate_serving_input``,
``convert_input_example_to_serving_input`` and ``infer_pip_requirements``; each answers
as ``modelreg serve`` would."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import modelreg
from modelreg.errors import InvalidArgument
from modelreg.models import (
    convert_input_example_to_serving_input,
    infer_pip_requirements,
    predict,
    validate_serving_input,
)

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0, 0.0]})


@pytest.fixture
def saved(tmp_path):
    model = LinearRegression().fit(FRAME, [1.0, 2.0, 3.0])
    modelreg.save_model(model, tmp_path / "model", input_example=FRAME)
    return str(tmp_path / "model"), model


def test_predict_prints_what_the_server_would_answer(saved, capsys):
    path, model = saved

    predict(path, {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0.0]]}})

    answer = json.loads(capsys.readouterr().out)
    assert answer["predictions"] == pytest.approx(model.predict(FRAME[:1]).tolist())


def test_predict_reads_csv_from_a_file_and_writes_the_answer_to_a_file(saved, tmp_path):
    path, model = saved
    FRAME.to_csv(tmp_path / "rows.csv", index=False)

    predict(
        path, input_path=tmp_path / "rows.csv", content_type="csv",
        output_path=tmp_path / "out.json", env_manager="local",
    )  # fmt: skip

    answer = json.loads((tmp_path / "out.json").read_text())
    assert answer["predictions"] == pytest.approx(model.predict(FRAME).tolist())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"input_data": {"dataframe_records": [{"a": 1.0}]}}, "input column 'b' missing"),
        ({"input_data": {"rows": []}}, "exactly one of the keys"),
        ({}, "give input_data or input_path"),
        ({"input_data": "{}", "env_manager": "uv"}, "env_manager: modelreg predicts in this"),
        ({"input_data": "{}", "extra_envs": {"X": "1"}}, "extra_envs"),
        ({"input_data": "{}", "content_type": "xml"}, "content_type must be 'json' or 'csv'"),
    ],
)
def test_predict_refuses_what_the_server_would_refuse(saved, options, message):
    with pytest.raises(InvalidArgument, match=message):
        predict(saved[0], **options)


def test_an_input_example_converts_to_a_request_the_model_answers(saved):
    path, model = saved

    request = convert_input_example_to_serving_input(FRAME)
    predictions = validate_serving_input(path, request)

    assert json.loads(request)["dataframe_split"]["columns"] == ["a", "b"]
    assert predictions == pytest.approx(model.predict(FRAME).tolist())
    assert convert_input_example_to_serving_input(None) is None


def test_infer_pip_requirements_gives_what_was_recorded(saved, tmp_path):
    path, _ = saved

    recorded = infer_pip_requirements(path)

    assert recorded == list(modelreg.models.get_model_info(path).requirements)
    assert any(r.startswith("scikit-learn==") for r in recorded)
    assert infer_pip_requirements(tmp_path / "missing", fallback=["x"]) == ["x"]
    with pytest.raises(InvalidArgument):
        infer_pip_requirements(tmp_path / "missing")
