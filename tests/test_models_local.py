"""save_model / load_model of a local folder: a model outside any store, as MLflow's
``mlflow.<flavor>.save_model`` and ``mlflow.pyfunc.load_model(path)``."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.fixture
def fitted(data):
    return LogisticRegression().fit(*data)


@pytest.fixture
def in_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELREG_TRACKING_URI", raising=False)
    return tmp_path


def test_a_saved_model_loads_back_from_its_folder_and_predicts_the_same(
    in_empty_folder, fitted, data
):
    modelreg.save_model(fitted, "build/model", input_example=data[0][:3])

    loaded = modelreg.load_model("build/model")

    np.testing.assert_array_equal(loaded.predict(data[0]), fitted.predict(data[0]))
    assert loaded.signature is not None


def test_saving_and_loading_a_folder_opens_no_store(in_empty_folder, fitted):
    modelreg.save_model(fitted, "model")

    modelreg.load_model("model")

    assert sorted(p.name for p in in_empty_folder.iterdir()) == ["model"]


@pytest.mark.parametrize("form", ["path", "file_uri"])
def test_a_folder_may_be_given_as_a_path_or_a_file_uri(in_empty_folder, fitted, form):
    folder = in_empty_folder / "my model"
    modelreg.save_model(fitted, folder)

    loaded = modelreg.load_model(folder if form == "path" else folder.as_uri())

    assert type(loaded.native).__name__ == "LogisticRegression"


@pytest.mark.parametrize("uri", ["no/such/model", "file:///no/such/model", Path("no/such")])
def test_a_folder_that_does_not_exist_is_named_in_the_error(in_empty_folder, uri):
    with pytest.raises(InvalidArgument, match=f"'{uri}'.*no such folder"):
        modelreg.load_model(uri)


def test_a_file_is_not_a_model_folder(in_empty_folder):
    Path("model.txt").write_text("not a model")

    with pytest.raises(InvalidArgument, match="no such folder"):
        modelreg.load_model("model.txt")


def test_a_folder_without_a_saved_model_is_not_found(in_empty_folder):
    Path("empty").mkdir()

    with pytest.raises(NotFound, match="not a model directory"):
        modelreg.load_model("empty")


def test_saving_into_a_folder_that_holds_files_is_refused_and_keeps_them(in_empty_folder, fitted):
    Path("model").mkdir()
    Path("model/notes.txt").write_text("mine")

    with pytest.raises(InvalidArgument, match="model"):
        modelreg.save_model(fitted, "model")

    assert Path("model/notes.txt").read_text() == "mine"


def test_a_model_no_flavor_saves_is_refused_and_leaves_no_folder(in_empty_folder):
    with pytest.raises(InvalidArgument, match="cannot tell how to save"):
        modelreg.save_model(object(), "model")

    assert not Path("model").exists()


def test_an_unknown_option_is_a_type_error(in_empty_folder, fitted):
    with pytest.raises(TypeError, match="serialization_format"):
        modelreg.save_model(fitted, "model", serialization_format="cloudpickle")


def test_get_model_info_says_what_a_model_is_without_importing_its_framework(tmp_path, data):
    import subprocess
    import sys

    estimator = LogisticRegression().fit(*data)
    modelreg.save_model(estimator, tmp_path / "model", input_example=data[0][:2])
    code = (
        "import sys, modelreg.models as m\n"
        f"info = m.get_model_info({str(tmp_path / 'model')!r})\n"
        "print(info.flavor, info.signature.inputs.kind, 'sklearn' in sys.modules)\n"
    )

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.split() == ["sklearn", "tensor", "False"]
