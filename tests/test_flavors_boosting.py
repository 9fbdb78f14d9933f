"""XGBoost, LightGBM and CatBoost flavors: native formats that round-trip without pickle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelreg.errors import InvalidArgument
from modelreg.flavors import detect_flavor, load_model_dir, save_model, weights_digest

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")
catboost = pytest.importorskip("catboost")


def data(classes: int = 2) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.rand(80, 3), columns=["a", "b", "c"])
    return X, (X["a"] * classes).astype(int).clip(0, classes - 1).to_numpy()


def fitted(kind: str, classes: int = 2, labels: list | None = None):
    X, y = data(classes)
    if labels is not None:
        y = np.asarray(labels)[y]
    if kind == "xgboost":
        return xgboost.XGBClassifier(n_estimators=4, max_depth=2).fit(X, y), X
    if kind == "xgboost-booster":
        dtrain = xgboost.DMatrix(X, label=y)
        return xgboost.train({"max_depth": 2}, dtrain, num_boost_round=3), X
    if kind == "lightgbm":
        return lightgbm.LGBMClassifier(n_estimators=4, min_child_samples=5, verbose=-1).fit(X, y), X
    if kind == "lightgbm-regressor":
        model = lightgbm.LGBMRegressor(n_estimators=4, min_child_samples=5, verbose=-1)
        return model.fit(X, y.astype(float)), X
    if kind == "catboost":
        model = catboost.CatBoostClassifier(iterations=4, verbose=False, allow_writing_files=False)
        return model.fit(X, y), X
    raise ValueError(kind)


KINDS = ["xgboost", "xgboost-booster", "lightgbm", "lightgbm-regressor", "catboost"]


@pytest.mark.parametrize("kind", KINDS)
def test_model_round_trips_with_the_same_predictions(tmp_path: Path, kind: str):
    model, X = fitted(kind)
    expected = model.predict(xgboost.DMatrix(X)) if kind == "xgboost-booster" else model.predict(X)

    save_model(model, tmp_path / "m", input_example=X.head())
    loaded = load_model_dir(tmp_path / "m")

    assert loaded.flavor == kind.split("-")[0]
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_flavor_is_detected_from_the_object(kind: str):
    model, _ = fitted(kind)

    assert detect_flavor(model) == kind.split("-")[0]


@pytest.mark.parametrize("kind", KINDS)
def test_saving_twice_gives_the_same_weights_digest(tmp_path: Path, kind: str):
    model, X = fitted(kind)

    save_model(model, tmp_path / "one", input_example=X.head())
    save_model(model, tmp_path / "two", input_example=X.head())

    assert weights_digest(tmp_path / "one") == weights_digest(tmp_path / "two")


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm", "catboost"])
def test_signature_is_inferred_from_the_input_example(tmp_path: Path, kind: str):
    model, X = fitted(kind)

    info = save_model(model, tmp_path / "m", input_example=X.head())

    assert [s.name for s in info.signature.inputs.specs] == ["a", "b", "c"]
    assert info.signature.outputs is not None


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm", "catboost"])
def test_files_are_the_native_format_not_a_pickle(tmp_path: Path, kind: str):
    model, _ = fitted(kind)

    info = save_model(model, tmp_path / "m")

    names = {"xgboost": "model.ubj", "lightgbm": "model.txt", "catboost": "model.cbm"}
    assert info.manifest["model_files"] == [names[kind]]


def test_lightgbm_classifier_with_string_labels_predicts_the_labels(tmp_path: Path):
    model, X = fitted("lightgbm", classes=3, labels=["low", "mid", "high"])

    save_model(model, tmp_path / "m")

    np.testing.assert_array_equal(load_model_dir(tmp_path / "m").predict(X), model.predict(X))


def test_catboost_multiclass_predicts_the_same_labels(tmp_path: Path):
    model, X = fitted("catboost", classes=3)

    save_model(model, tmp_path / "m")

    np.testing.assert_array_equal(load_model_dir(tmp_path / "m").predict(X), model.predict(X))


def test_unfitted_lightgbm_estimator_is_refused(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="not fitted"):
        save_model(lightgbm.LGBMClassifier(), tmp_path / "m")


def test_unfitted_catboost_model_is_refused(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="not fitted"):
        save_model(catboost.CatBoostRegressor(), tmp_path / "m")


def test_a_manifest_naming_a_class_outside_xgboost_is_refused(tmp_path: Path):
    model, _ = fitted("xgboost")
    save_model(model, tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "modelreg.json").read_text())
    manifest["flavor"]["class"] = "os.system"
    (tmp_path / "m" / "modelreg.json").write_text(json.dumps(manifest))

    with pytest.raises(InvalidArgument, match="xgboost class 'os.system'"):
        load_model_dir(tmp_path / "m")


def test_a_missing_column_is_refused_by_name(tmp_path: Path):
    model, X = fitted("xgboost")
    save_model(model, tmp_path / "m", input_example=X.head())

    with pytest.raises(InvalidArgument, match="input column 'b' missing"):
        load_model_dir(tmp_path / "m").predict(X.drop(columns=["b"]))
