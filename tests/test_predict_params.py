"""Inference parameters (MLflow's ``params``): declared in a signature with types and
defaults, passed by ``predict(data, params=...)`` and by a scoring request's
``"params"``, checked by name and type, and refused by models that take none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from starlette.testclient import TestClient

import modelreg
from cli_fixtures import invoke, lib, store_uri  # noqa: F401
from modelreg.errors import InvalidArgument
from modelreg.pyfunc import PythonModel
from modelreg.signature import Signature, infer_signature, signatures_compatible
from modelreg.signature_params import ParamSpec, check_params

# ruff: noqa: F811  (fixtures imported above are parameters below)

X = np.array([[1.0], [2.0]])


class Shifted(PythonModel):
    """Adds ``params["shift"]`` to each input, ``params["times"]`` times."""

    def predict(self, context, model_input, params=None):
        return [float(x[0]) + params["shift"] * params["times"] for x in model_input]


class ShiftedMlflow3(PythonModel):
    """MLflow 3's form: no context."""

    def predict(self, model_input, params=None):
        return [float(x[0]) + (params or {}).get("shift", 0.0) for x in model_input]


class NoParams(PythonModel):
    def predict(self, context, model_input):
        return [float(x[0]) for x in model_input]


PARAMS = {"shift": 0.5, "times": 1}


def saved(tmp_path: Path, model, params=PARAMS, **options):
    signature = infer_signature(X, np.array([1.0, 2.0]), params=params)
    modelreg.save_model(model, tmp_path / "model", signature=signature, **options)
    return modelreg.load_model(tmp_path / "model")


def test_infer_signature_declares_each_param_with_its_type_and_default():
    when = dt.datetime(2026, 1, 2, 3, 4)
    signature = infer_signature(
        X, params={"t": 0.7, "n": 3, "greedy": True, "stop": ["\n", "."], "at": when, "s": "x"}
    )

    assert [p.to_dict() for p in signature.params] == [
        {"name": "t", "type": "double", "default": 0.7, "shape": None},
        {"name": "n", "type": "long", "default": 3, "shape": None},
        {"name": "greedy", "type": "boolean", "default": True, "shape": None},
        {"name": "stop", "type": "string", "default": ["\n", "."], "shape": [-1]},
        {"name": "at", "type": "datetime", "default": "2026-01-02T03:04:00", "shape": None},
        {"name": "s", "type": "string", "default": "x", "shape": None},
    ]
    assert Signature.from_dict(signature.to_dict()) == signature


def test_a_signature_without_params_has_no_params_key():
    assert "params" not in infer_signature(X).to_dict()
    assert Signature.from_dict(infer_signature(X).to_dict()).params is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"t": None}, "'t' has a NoneType"),
        ({"t": {"a": 1}}, "'t' has a dict"),
        ({"t": []}, "'t' must be a non-empty list of values of one type"),
        ({"t": [1, "a"]}, "'t' must be a non-empty list of values of one type"),
        ({"": 1}, "names must be non-empty strings"),
        ([("t", 1)], "params must be a dict of defaults"),
    ],
)
def test_params_that_cannot_be_declared_are_refused_naming_them(params, message):
    with pytest.raises(InvalidArgument, match=message):
        infer_signature(X, params=params)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "t", "type": "complex", "default": 1}, "has type 'complex'"),
        ({"name": "t", "type": "long", "default": 1, "shape": [2]}, "has shape"),
        ({"type": "long", "default": 1}, "needs a non-empty 'name'"),
        ({"name": "t", "type": "long", "default": "one"}, "'t' must be an integer"),
    ],
)
def test_a_malformed_params_schema_is_refused_naming_the_param(spec, message):
    with pytest.raises(InvalidArgument, match=message):
        Signature.from_dict({"inputs": infer_signature(X).to_dict()["inputs"], "params": [spec]})


def test_check_params_fills_defaults_and_converts_what_widens():
    specs = infer_signature(X, params={"t": 0.5, "n": 3, "stop": ["a"]}).params

    assert check_params(specs, None) == {"t": 0.5, "n": 3, "stop": ["a"]}
    assert check_params(specs, {"t": 1, "stop": ("b", "c")}) == {
        "t": 1.0,
        "n": 3,
        "stop": ["b", "c"],
    }
    assert isinstance(check_params(specs, {"t": 1})["t"], float)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"n": 1.5}, r"'n' must be an integer, got 1\.5"),
        ({"n": True}, "'n' must be an integer, got True"),
        ({"t": "hot"}, "'t' must be a double"),
        ({"stop": "a"}, "'stop' must be a list of string, got str"),
        ({"stop": ["a", 1]}, r"'stop\[1\]' must be a string"),
        ({"temprature": 0.5}, r"'temprature' is not a parameter of this model .*'t', 'n'"),
        ({1: 2}, "params must be a dict of parameter names to values"),
    ],
)
def test_params_of_the_wrong_name_or_type_are_refused_naming_them(given, message):
    specs = infer_signature(X, params={"t": 0.5, "n": 3, "stop": ["a"]}).params

    with pytest.raises(InvalidArgument, match=message):
        check_params(specs, given)


def test_a_python_model_gets_the_defaults_and_the_given_params(tmp_path):
    model = saved(tmp_path, Shifted())

    assert model.predict(X) == [1.5, 2.5]
    assert model.predict(X, params={"shift": 2, "times": 2}) == [5.0, 6.0]


def test_mlflow_3s_predict_without_context_gets_params_too(tmp_path):
    model = saved(tmp_path, ShiftedMlflow3(), params={"shift": 1.0})

    assert model.predict(X, params={"shift": 10.0}) == [11.0, 12.0]


def test_a_wrong_param_is_refused_before_the_model_runs(tmp_path):
    model = saved(tmp_path, Shifted())

    with pytest.raises(InvalidArgument, match="'times' must be an integer"):
        model.predict(X, params={"times": "twice"})
    with pytest.raises(InvalidArgument, match="'shfit' is not a parameter of this model"):
        model.predict(X, params={"shfit": 1.0})


def test_without_a_params_schema_given_params_reach_a_model_that_takes_them(tmp_path):
    modelreg.save_model(ShiftedMlflow3(), tmp_path / "model")
    model = modelreg.load_model(tmp_path / "model")

    assert model.predict(X, params={"shift": 3.0}) == [4.0, 5.0]
    assert model.predict(X) == [1.0, 2.0]


@pytest.mark.parametrize("declared", [True, False])
def test_a_model_whose_predict_takes_no_params_refuses_them(tmp_path, declared):
    model = saved(tmp_path, NoParams()) if declared else None
    if model is None:
        modelreg.save_model(NoParams(), tmp_path / "model")
        model = modelreg.load_model(tmp_path / "model")

    assert model.predict(X) == [1.0, 2.0]
    with pytest.raises(InvalidArgument, match="predict takes no inference parameters"):
        model.predict(X, params={"shift": 1.0})


def test_a_scikit_learn_model_refuses_params(tmp_path):
    modelreg.save_model(LinearRegression().fit(X, [1.0, 2.0]), tmp_path / "model")
    model = modelreg.load_model(tmp_path / "model")

    with pytest.raises(InvalidArgument, match="this sklearn model's predict takes no inference"):
        model.predict(X, params={"alpha": 1.0})


def test_the_registry_keeps_a_versions_params_schema(client):
    signature = infer_signature(X, params=PARAMS)
    with modelreg.start_run():
        modelreg.log_model(Shifted(), "model", signature=signature, registered_model_name="p")

    stored = Signature.from_dict(client.get_model_version("p", 1).signature)
    loaded = modelreg.load_model("models:/p/1")

    assert stored.params == signature.params
    assert loaded.predict(X, params={"shift": 1.0}) == [2.0, 3.0]


def test_dropping_or_retyping_a_param_breaks_callers_and_adding_one_does_not():
    old = infer_signature(X, params={"t": 0.5})

    assert signatures_compatible(old, infer_signature(X, params={"t": 0.1, "n": 3}))
    assert not signatures_compatible(old, infer_signature(X))
    assert not signatures_compatible(old, infer_signature(X, params={"t": "hot"}))
    assert not signatures_compatible(old, infer_signature(X, params={"t": [0.5]}))
    assert signatures_compatible(infer_signature(X), old)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_scoring_request_passes_its_params(client):
    from modelreg.serving.app import create_app
    from modelreg.serving.follow import Follower

    with modelreg.start_run():
        modelreg.log_model(
            Shifted(), "model", signature=infer_signature(X, params=PARAMS),
            registered_model_name="p",
        )  # fmt: skip
    follower = Follower("models:/p/1", client, poll_interval=3600, trust={"trust_code": True})
    follower.load_initial()
    http = TestClient(create_app(follower))

    default = http.post("/invocations", json={"inputs": [[1.0]]})
    given = http.post("/invocations", json={"inputs": [[1.0]], "params": {"shift": 2.0}})
    wrong = http.post("/invocations", json={"inputs": [[1.0]], "params": {"shift": "up"}})
    not_object = http.post("/invocations", json={"inputs": [[1.0]], "params": [1]})

    assert default.json() == {"predictions": [1.5]}
    assert given.json() == {"predictions": [3.0]}
    assert wrong.status_code == 400 and "'shift' must be a double" in wrong.json()["message"]
    assert not_object.status_code == 400
    assert "params must be a JSON object" in not_object.json()["message"]


def test_param_spec_round_trips_mlflows_json_form():
    mlflow_form = {"name": "max_tokens", "type": "long", "default": 16, "shape": None}

    assert ParamSpec.from_dict(mlflow_form).to_dict() == mlflow_form


class ShiftedColumn(PythonModel):
    def predict(self, context, model_input, params=None):
        return (model_input["x"] + params["shift"]).tolist()


@pytest.fixture
def column_model(lib, tmp_path):
    import pandas as pd

    signature = infer_signature(pd.DataFrame({"x": [1.0]}), params={"shift": 0.5})
    modelreg.log_model(
        ShiftedColumn(), "model", signature=signature, registered_model_name="col",
        run_id=lib.create_run().info.run_id, client=lib,
    )  # fmt: skip
    (tmp_path / "rows.csv").write_text("x\n1\n2\n")
    return "models:/col/1"


def test_modelreg_predict_passes_params_to_the_model(invoke, column_model, tmp_path):
    import pandas as pd

    output = tmp_path / "scores.csv"
    args = ["--input", str(tmp_path / "rows.csv"), "--output", str(output)]

    result = invoke("predict", column_model, *args, "--params", '{"shift": 10}')

    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(output).iloc[:, 0].tolist() == [11.0, 12.0]


@pytest.mark.parametrize(
    ("params", "code", "says"),
    [
        ('{"shfit": 1}', 1, "'shfit' is not a parameter of this model"),
        ('{"shift": "up"}', 1, "'shift' must be a double"),
        ("[1]", 2, "must be a JSON object"),
        ("{shift: 1}", 2, "not JSON"),
    ],
)
def test_modelreg_predict_refuses_bad_params_and_writes_nothing(
    invoke, column_model, tmp_path, params, code, says
):
    output = tmp_path / "scores.csv"
    args = ["--input", str(tmp_path / "rows.csv"), "--output", str(output)]

    result = invoke("predict", column_model, *args, "--params", params)

    assert result.exit_code == code
    assert says in result.stderr
    assert not output.exists()
