"""scikit-learn flavor: skops files that round-trip, load without pickle and digest stably."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.flavors import load_model_dir, save_model, weights_digest


class SumTimesTwo(BaseEstimator):
    """An estimator from outside scikit-learn, which skops must import to load."""

    def fit(self, X, y=None):
        self.factor_ = 2.0
        return self

    def predict(self, X):
        return np.asarray(X).sum(axis=1) * self.factor_


def data(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(rng.rand(40, 3), columns=["a", "b", "c"])
    return X, (X["a"] > 0.5).astype(int).to_numpy()


def test_logistic_regression_round_trips_with_same_predictions(tmp_path: Path):
    X, y = data()
    model = LogisticRegression().fit(X.to_numpy(), y)

    save_model(model, tmp_path / "m", input_example=X.to_numpy()[:5])
    loaded = load_model_dir(tmp_path / "m")

    assert loaded.flavor == "sklearn"
    np.testing.assert_array_equal(loaded.predict(X.to_numpy()), model.predict(X.to_numpy()))


def test_pipeline_with_scaler_round_trips_on_a_dataframe(tmp_path: Path):
    X, y = data()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)

    save_model(model, tmp_path / "m", input_example=X.head())
    loaded = load_model_dir(tmp_path / "m")

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert type(loaded.native.steps[0][1]) is StandardScaler


def test_loaded_model_rejects_a_missing_column_by_name(tmp_path: Path):
    X, y = data()
    save_model(LogisticRegression().fit(X, y), tmp_path / "m", input_example=X.head())

    with pytest.raises(InvalidArgument, match="input column 'b' missing"):
        load_model_dir(tmp_path / "m").predict(X.drop(columns=["b"]))


def test_signature_records_predicted_output(tmp_path: Path):
    X, y = data()

    info = save_model(LogisticRegression().fit(X, y), tmp_path / "m", input_example=X.head())

    assert info.signature.outputs.specs[0].dtype == "int64"


def test_saving_the_same_model_twice_gives_identical_bytes_and_digest(tmp_path: Path):
    X, y = data()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)

    first = save_model(model, tmp_path / "one")
    second = save_model(model, tmp_path / "two")

    assert (tmp_path / "one/model.skops").read_bytes() == (
        tmp_path / "two/model.skops"
    ).read_bytes()
    assert first.weights_digest == second.weights_digest == weights_digest(tmp_path / "one")


def test_models_trained_on_different_data_have_different_digests(tmp_path: Path):
    first = save_model(LogisticRegression().fit(*data(0)), tmp_path / "one")
    second = save_model(LogisticRegression().fit(*data(1)), tmp_path / "two")

    assert first.weights_digest != second.weights_digest


def test_tree_model_loads_without_trust_because_its_types_are_scikit_learns(tmp_path: Path):
    X, y = data()
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    save_model(model, tmp_path / "m")

    loaded = load_model_dir(tmp_path / "m")

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_estimator_from_another_package_needs_trust(tmp_path: Path):
    X, y = data()
    save_model(SumTimesTwo().fit(X, y), tmp_path / "m")

    with pytest.raises(PermissionDenied, match="test_flavors_sklearn.SumTimesTwo.*trust_pickle"):
        load_model_dir(tmp_path / "m")


def test_estimator_from_another_package_loads_with_trust(tmp_path: Path):
    X, y = data()
    save_model(SumTimesTwo().fit(X, y), tmp_path / "m")

    loaded = load_model_dir(tmp_path / "m", trust_pickle=True)

    np.testing.assert_allclose(loaded.predict(X), X.sum(axis=1) * 2)


def test_model_holding_a_sparse_matrix_loads_without_trust(tmp_path: Path):
    import scipy.sparse
    from sklearn.neighbors import KNeighborsClassifier

    X = scipy.sparse.random(30, 8, density=0.3, format="csr", random_state=0)
    y = np.arange(30) % 2
    model = KNeighborsClassifier(algorithm="brute").fit(X, y)
    save_model(model, tmp_path / "m")

    np.testing.assert_array_equal(load_model_dir(tmp_path / "m").predict(X), model.predict(X))
