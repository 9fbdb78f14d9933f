"""log_model / load_model: the seed workflow through every backend."""

import os

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg.errors import InvalidArgument, ModelregWarning, NotFound, PermissionDenied


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture
def fitted(data):
    X, y = data
    return LogisticRegression().fit(X, y)


def log(model, X, name="clf", **kwargs):
    with modelreg.start_run():
        return modelreg.log_model(
            model, "model", input_example=X[:3], registered_model_name=name, **kwargs
        )


def test_log_model_registers_a_version_with_its_signature(client, fitted, data):
    logged = log(fitted, data[0])

    version = client.get_model_version("clf", 1)
    assert logged.registered_model_version.version == 1
    assert logged.flavor == "sklearn"
    assert version.signature == logged.signature.to_dict()
    assert version.source == f"models:/{logged.model_id}"


@pytest.mark.parametrize(
    "uri",
    [
        "models:/clf/1",
        "models:/clf/Production",
        "models:/clf@champion",
        "models:/clf/latest",
        "models:/clf/v1.0.0",
        "models:/clf/^1.0",
    ],
)
def test_load_model_by_every_uri_form_predicts_like_the_original(client, fitted, data, uri):
    log(fitted, data[0])
    client.transition_model_version_stage("clf", 1, "Production")
    client.set_registered_model_alias("clf", "champion", 1)

    loaded = modelreg.load_model(uri)

    np.testing.assert_array_equal(loaded.predict(data[0]), fitted.predict(data[0]))


def test_load_model_by_runs_uri(client, fitted, data):
    logged = log(fitted, data[0])

    loaded = modelreg.load_model(logged.model_uri)

    assert type(loaded.native).__name__ == "LogisticRegression"


def test_load_model_by_the_logged_model_id_as_mlflow_3_names_it(client, fitted, data):
    logged = log(fitted, data[0])

    loaded = modelreg.load_model(f"models:/{logged.model_id}")

    np.testing.assert_array_equal(loaded.predict(data[0]), fitted.predict(data[0]))


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_what_log_model_returns_reads_as_mlflows_model_info(client, fitted, data):
    with modelreg.start_run():
        info = modelreg.log_model(
            fitted, name="classifier", input_example=data[0][:3], metadata={"owner": "ml"}
        )

    assert info.name == "classifier"
    assert info.metadata == {"owner": "ml"}
    assert [spec.shape for spec in info.signature.inputs.specs] == [(-1, 4)]
    modelreg.models.validate_schema(data[0][:2], info.signature.inputs)
    with pytest.raises(InvalidArgument):
        modelreg.models.validate_schema(data[0][:2, :3], info.signature.inputs)


def test_get_model_info_reads_a_registered_versions_manifest(client, fitted, data):
    logged = log(fitted, data[0])

    info = modelreg.models.get_model_info("models:/clf/1")

    assert (info.flavor, info.weights_digest) == ("sklearn", logged.weights_digest)
    assert info.signature == logged.signature


def test_an_unknown_or_deleted_logged_model_is_not_found(client, fitted, data):
    logged = log(fitted, data[0])
    client.delete_logged_model(logged.model_id)

    for model_id in (logged.model_id, "m-" + "0" * 32):
        with pytest.raises(NotFound, match=model_id):
            modelreg.load_model(f"models:/{model_id}")


def test_a_logged_model_uri_climbing_out_of_the_model_is_refused(client, fitted, data):
    logged = log(fitted, data[0])

    with pytest.raises(InvalidArgument, match=r"model_uri path.*\.\."):
        modelreg.load_model(f"models:/{logged.model_id}/../../x")


def test_name_is_mlflow_3s_word_for_the_artifact_path(client, fitted, data):
    with modelreg.start_run():
        logged = modelreg.log_model(fitted, name="classifier")

    assert logged.artifact_path == "classifier"
    assert client.get_logged_model(logged.model_id).name == "classifier"
    assert modelreg.load_model(logged.model_uri).flavor == "sklearn"


def test_an_artifact_path_and_a_different_name_are_refused_before_anything_is_stored(
    client, fitted
):
    with modelreg.start_run() as run, pytest.raises(InvalidArgument, match="name 'b' differ"):
        modelreg.log_model(fitted, "a", name="b")

    assert client.list_artifacts(run.info.run_id) == []


def test_params_tags_and_model_type_go_on_the_logged_model(client, fitted):
    with modelreg.start_run():
        logged = modelreg.log_model(
            fitted, params={"C": 1.0}, tags={"team": "risk"}, model_type="classifier"
        )

    model = client.get_logged_model(logged.model_id)
    assert (model.params, model.tags["team"], model.model_type) == (
        {"C": "1.0"},
        "risk",
        "classifier",
    )
    assert model.status == "READY"


def test_a_refused_tag_stores_no_files_and_no_logged_model(client, fitted):
    with modelreg.start_run() as run, pytest.raises(InvalidArgument, match="tag"):
        modelreg.log_model(fitted, tags={"": "empty key"})

    assert client.list_artifacts(run.info.run_id) == []
    assert client.get_run_logged_models(run.info.run_id) == []


def test_an_option_mlflow_has_and_modelreg_does_not_is_a_type_error_naming_log_model(fitted):
    with pytest.raises(TypeError, match=r"log_model\(\) got an unexpected keyword.*serializati"):
        modelreg.log_model(fitted, serialization_format="cloudpickle")


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_failed_upload_leaves_the_logged_model_failed(client, fitted, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(type(client), "log_artifacts", refuse)
    with modelreg.start_run() as run, pytest.raises(OSError, match="disk full"):
        modelreg.log_model(fitted)

    (model,) = client.get_run_logged_models(run.info.run_id)
    assert model.status == "FAILED"


def test_registered_version_still_loads_after_its_run_is_deleted(client, fitted, data):
    logged = log(fitted, data[0])
    client.delete_run(logged.run_id)

    loaded = modelreg.load_model("models:/clf/1")

    np.testing.assert_array_equal(loaded.predict(data[0]), fitted.predict(data[0]))


def test_second_load_of_a_version_reads_nothing_from_the_store(client, fitted, data, monkeypatch):
    log(fitted, data[0])
    blobs = client._backend.artifacts.blobs
    reads = []
    for method in ("open", "get_file", "get_files"):
        original = getattr(blobs, method)
        monkeypatch.setattr(
            blobs, method, lambda *a, _o=original, **k: reads.append(a) or _o(*a, **k)
        )
    modelreg.load_model("models:/clf/1")
    first = len(reads)

    modelreg.load_model("models:/clf/1")

    assert first > 0 and len(reads) == first


# A local store is read directly, without the blob cache.
@pytest.mark.parametrize("tracking_uri", ["server"], indirect=True)
def test_the_files_of_a_downloaded_model_serve_a_later_download_to_a_folder(
    client, tmp_path, monkeypatch
):
    from modelreg.models import download_model

    weights = os.urandom(3 * 1024 * 1024)  # big enough to skip the small-blob batches
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(weights)
    with modelreg.start_run() as run:
        modelreg.log_artifacts(str(tmp_path / "model"), "model")
    uri = f"runs:/{run.info.run_id}/model"
    cached = download_model(uri)  # into the model-folder cache, through a staging folder
    assert (cached / "weights.bin").stat().st_nlink == 2  # and linked into the blob cache
    store = client._backend.artifacts.blobs  # the server, read through the local cache
    reads = []
    for method in ("open", "get_file", "get_files"):
        original = getattr(store, method)
        monkeypatch.setattr(
            store, method, lambda *a, _o=original, **k: reads.append(a) or _o(*a, **k)
        )

    copy = download_model(uri, dst_path=tmp_path / "copy")

    assert (copy / "weights.bin").read_bytes() == weights
    assert reads == []


def test_logging_the_same_model_again_bumps_patch(client, fitted, data):
    log(fitted, data[0])

    second = log(fitted, data[0]).registered_model_version

    assert second.semver == "1.0.1"


def test_retrained_weights_bump_minor(client, fitted, data):
    X, y = data
    log(fitted, X)

    second = log(LogisticRegression(C=0.01).fit(X, y), X).registered_model_version

    assert second.semver == "1.1.0"


def test_incompatible_signature_bumps_major(client, fitted, data):
    X, y = data
    log(fitted, X)
    wider = LogisticRegression().fit(np.hstack([X, X]), y)

    second = log(wider, np.hstack([X, X])).registered_model_version

    assert second.semver == "2.0.0"


def test_predict_refuses_input_of_the_wrong_shape(client, fitted, data):
    log(fitted, data[0])
    loaded = modelreg.load_model("models:/clf/1")

    with pytest.raises(InvalidArgument, match="shape"):
        loaded.predict(np.zeros((2, 7)))


class Doubler:
    """A model whose state only pickle can store."""

    def __init__(self):
        self.factor = complex(2, 0)  # not JSON: the state falls back to pickle

    def predict(self, x):
        return np.asarray(x) * self.factor.real


def test_pickled_model_needs_trust_pickle_to_load(client, data):
    with modelreg.start_run(), pytest.warns(ModelregWarning, match="pickle"):
        modelreg.log_model(Doubler(), "model", registered_model_name="doubler")

    with pytest.raises(PermissionDenied, match="trust_pickle"):
        modelreg.load_model("models:/doubler/1")


def test_loading_an_unknown_model_raises_not_found(client):
    with pytest.raises(NotFound, match="nope"):
        modelreg.load_model("models:/nope/1")


def test_load_model_refuses_foreign_uris(client):
    with pytest.raises(InvalidArgument, match="models:/ or runs:/"):
        modelreg.load_model("file:///etc/passwd")


class _MLP:
    """Built lazily so torch is imported only by the tests that use it."""

    @staticmethod
    def make():
        import torch

        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def _onnx_classifier(X, y):
    from skl2onnx import to_onnx

    return to_onnx(LogisticRegression().fit(X, y), X[:1].astype(np.float32), target_opset=17)


class Affine:
    """A python-class model whose state is plain JSON."""

    def __init__(self, scale=2.0, shift=1.0):
        self.scale, self.shift = scale, shift

    def predict(self, x):
        return np.asarray(x) * self.scale + self.shift


@pytest.mark.parametrize("flavor", ["pytorch", "onnx", "python"])
def test_every_flavor_round_trips_through_the_store(client, data, flavor):
    X, y = data
    X32 = X.astype(np.float32)
    if flavor == "pytorch":
        import torch

        model = _MLP.make().eval()
        example, expected = torch.from_numpy(X32), model(torch.from_numpy(X32)).detach().numpy()
    elif flavor == "onnx":
        model = _onnx_classifier(X, y)
        example, expected = X32, LogisticRegression().fit(X, y).predict(X)
    else:
        model, example = Affine(), X
        expected = Affine().predict(X)
    with modelreg.start_run():
        logged = modelreg.log_model(
            model, "model", input_example=example[:3], registered_model_name=f"m-{flavor}"
        )

    loaded = modelreg.load_model(f"models:/m-{flavor}/1")
    got = loaded.predict(example)
    if flavor == "pytorch":
        got = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
    if flavor == "onnx":
        got = got["output_label"]  # a classifier graph has label and probability outputs

    assert logged.flavor == flavor
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5)
