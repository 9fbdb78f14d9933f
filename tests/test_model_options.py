"""MLflow's ``log_model`` options that keep more with a model: ``metadata``,
``extra_files``, ``conda_env`` and a ``PythonModel``'s ``model_config`` (changed at
load by ``load_model(model_config=)``), and ``suppress_warnings`` when loading."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import modelreg
from modelreg.errors import InvalidArgument
from modelreg.pyfunc import PythonModel

X = np.array([[1.0], [2.0]])


class Configured(PythonModel):
    """Multiplies by its config's ``factor``, and says which ``mode`` it loaded in."""

    def load_context(self, context):
        self.config = dict(context.model_config)

    def predict(self, context, model_input):
        return [x[0] * self.config["factor"] for x in model_input]


class Noisy(PythonModel):
    def load_context(self, context):
        warnings.warn("loading a noisy model", UserWarning, stacklevel=1)

    def predict(self, context, model_input):
        return model_input


def fitted():
    return LinearRegression().fit(X, [1.0, 2.0])


def test_metadata_and_extra_files_are_kept_with_the_logged_model(client, tmp_path):
    (tmp_path / "vocab.txt").write_text("a b c")
    with modelreg.start_run():
        info = modelreg.log_model(
            fitted(), "model", metadata={"owner": "fraud-team", "epochs": 3},
            extra_files=[tmp_path / "vocab.txt"], registered_model_name="m",
        )  # fmt: skip

    folder = modelreg.models.download_model("models:/m/1", dst_path=tmp_path / "out")
    assert modelreg.models.get_model_info(info.model_uri).metadata == {
        "owner": "fraud-team",
        "epochs": 3,
    }
    assert (folder / "extra_files" / "vocab.txt").read_text() == "a b c"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"metadata": {"when": object()}}, "metadata must hold JSON values only"),
        ({"metadata": {1: "x"}}, "metadata must be a dict with string keys"),
        ({"metadata": {"x": float("nan")}}, "metadata must hold JSON values only"),
        ({"extra_files": ["missing.txt"]}, "extra_files: missing.txt is not a file"),
        ({"extra_files": "vocab.txt"}, "extra_files must be a list of file paths"),
        ({"extra_files": [".", "."]}, r"extra_files: \. is not a file"),
        ({"conda_env": {"name": "env"}}, "conda_env must be a conda environment"),
        ({"conda_env": {"dependencies": [{"pip": "x"}]}}, "pip entry must list strings"),
        ({"conda_env": {"dependencies": []}, "pip_requirements": ["x"]}, "give one"),
        ({"model_config": {"k": 1}}, "artifacts and model_config: a LinearRegression cannot"),
    ],
)
def test_what_cannot_be_kept_is_refused_naming_it_and_nothing_is_saved(
    tmp_path, monkeypatch, options, message
):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(InvalidArgument, match=message):
        modelreg.save_model(fitted(), tmp_path / "model", **options)

    assert not (tmp_path / "model").exists()


def test_two_extra_files_of_one_name_are_refused(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "vocab.txt").write_text(folder)

    with pytest.raises(InvalidArgument, match="two files are named 'vocab.txt'"):
        modelreg.save_model(
            fitted(),
            tmp_path / "model",
            extra_files=[tmp_path / "a/vocab.txt", tmp_path / "b/vocab.txt"],
        )


def test_a_conda_environment_gives_its_pip_requirements(tmp_path):
    environment = {
        "name": "env",
        "channels": ["conda-forge"],
        "dependencies": ["python=3.11", "pip", {"pip": ["scikit-learn==1.5.0", "numpy"]}],
    }
    (tmp_path / "conda.yaml").write_text(json.dumps(environment))  # JSON is YAML

    from_dict = modelreg.save_model(fitted(), tmp_path / "a", conda_env=environment)
    from_file = modelreg.save_model(fitted(), tmp_path / "b", conda_env=tmp_path / "conda.yaml")

    assert from_dict.requirements == from_file.requirements == ("scikit-learn==1.5.0", "numpy")


def test_a_python_model_reads_its_config_and_load_changes_it(client):
    with modelreg.start_run():
        modelreg.pyfunc.log_model(
            "model", python_model=Configured(), model_config={"factor": 2, "mode": "fast"},
            registered_model_name="c",
        )  # fmt: skip

    saved = modelreg.load_model("models:/c/1")
    changed = modelreg.pyfunc.load_model("models:/c/1", model_config={"factor": 10})

    assert saved.predict(X) == [2.0, 4.0]
    assert changed.predict(X) == [10.0, 20.0]
    assert changed.unwrap_python_model().config == {"factor": 10, "mode": "fast"}


def test_load_refuses_a_config_key_the_model_does_not_have(tmp_path):
    modelreg.pyfunc.save_model(
        tmp_path / "m", python_model=Configured(), model_config={"factor": 2}
    )
    modelreg.save_model(fitted(), tmp_path / "linear")

    with pytest.raises(InvalidArgument, match="'factr' is not a key of the model's config"):
        modelreg.load_model(tmp_path / "m", model_config={"factr": 3})
    with pytest.raises(InvalidArgument, match="only a PythonModel reads one; this is a sklearn"):
        modelreg.load_model(tmp_path / "linear", model_config={"factor": 3})


def test_suppress_warnings_silences_what_loading_says(tmp_path):
    modelreg.pyfunc.save_model(tmp_path / "m", python_model=Noisy())

    with warnings.catch_warnings(record=True) as loud:
        warnings.simplefilter("always")
        modelreg.load_model(tmp_path / "m")
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        modelreg.load_model(tmp_path / "m", suppress_warnings=True)

    assert [str(w.message) for w in loud] == ["loading a noisy model"]
    assert quiet == []


def test_a_scikit_learn_models_predict_can_call_predict_proba(client):
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression().fit(X, [0, 1])
    with modelreg.start_run():
        modelreg.sklearn.log_model(
            classifier, name="model", pyfunc_predict_fn="predict_proba", input_example=X,
            registered_model_name="proba",
        )  # fmt: skip

    loaded = modelreg.load_model("models:/proba/1")

    np.testing.assert_allclose(loaded.predict(X), classifier.predict_proba(X))
    assert loaded.signature.outputs.specs[0].shape == (-1, 2)


@pytest.mark.parametrize(
    ("model", "name", "message"),
    [
        ("linear", "predict_proba", "LinearRegression has no predict_proba"),
        ("linear", "transform", "pyfunc_predict_fn must be one of predict, predict_proba"),
        ("python", "predict_proba", "only scikit-learn models take it, not python"),
    ],
)
def test_a_predict_fn_the_model_cannot_call_is_refused(tmp_path, model, name, message):
    target = fitted() if model == "linear" else Configured()

    with pytest.raises(InvalidArgument, match=message):
        modelreg.save_model(target, tmp_path / "m", pyfunc_predict_fn=name)


def test_log_model_fills_a_logged_model_made_before(client):
    with modelreg.start_run():
        made = modelreg.initialize_logged_model(name="planned", params={"alpha": "1"})
        info = modelreg.log_model(fitted(), "model", model_id=made.model_id, tags={"t": "v"})

    model = client.get_logged_model(made.model_id)
    assert info.model_id == made.model_id
    assert (model.status, model.params, model.tags.get("t")) == ("READY", {"alpha": "1"}, "v")
    assert modelreg.load_model(info.model_uri).predict(X).tolist() == pytest.approx([1.0, 2.0])


def test_log_model_refuses_a_logged_model_that_is_not_pending(client):
    with modelreg.start_run():
        info = modelreg.log_model(fitted(), "model")
        with pytest.raises(InvalidArgument, match="is READY; log into a PENDING one"):
            modelreg.log_model(fitted(), "again", model_id=info.model_id)
        made = modelreg.initialize_logged_model(name="planned")
        with pytest.raises(InvalidArgument, match="model_type: the logged model exists"):
            modelreg.log_model(fitted(), "model2", model_id=made.model_id, model_type="x")


def test_log_model_at_a_step_is_measured_by_the_runs_metrics_at_that_step(client):
    with modelreg.start_run() as run:
        modelreg.log_metric("before", 0.5, step=3)
        info = modelreg.log_model(fitted(), "model", step=3)
        modelreg.log_metric("after", 0.7, step=3)
        modelreg.log_metric("elsewhere", 0.1, step=0)

    measured = {m.metric.key: m.metric.step for m in client.get_logged_model(info.model_id).metrics}
    links = [(link.model_id, link.step) for link in client.get_run_model_links(run.info.run_id)]
    assert measured == {"before": 3, "after": 3}
    assert links == [(info.model_id, 3)]
    with pytest.raises(InvalidArgument, match="step"):
        client.record_logged_model_files(info.model_id, "model", step=-1)


def test_set_signature_gives_a_logged_model_the_signature_it_was_logged_without(client):
    with modelreg.start_run():
        info = modelreg.log_model(fitted(), "model")
    signature = modelreg.infer_signature(X, np.array([1.0, 2.0]))

    modelreg.models.set_signature(info.model_uri, signature)
    modelreg.models.set_signature(info.run_uri, signature)
    version = modelreg.register_model(info.model_uri, "signed")

    assert info.signature is None
    assert modelreg.models.get_model_info(info.model_uri).signature == signature
    assert modelreg.models.get_model_info(info.run_uri).signature == signature
    assert version.signature == signature.to_dict()
    assert modelreg.models.get_model_info(info.model_uri).weights_digest == info.weights_digest
    with pytest.raises(InvalidArgument, match="a registered version keeps the files"):
        modelreg.models.set_signature("models:/signed/1", signature)
