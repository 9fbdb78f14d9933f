"""modelreg.pyfunc: MLflow's custom models (PythonModel with artifacts it reads in
load_context) logged, registered and loaded through every backend."""

import json
import warnings
from pathlib import Path

import pytest

import modelreg
from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.flavors import save_model as save_model_dir
from modelreg.pyfunc import PythonModel


class Lookup(PythonModel):
    """Names for ids, from a vocabulary file; counts its load_context calls."""

    loads = 0

    def load_context(self, context):
        type(self).loads += 1
        self.words = Path(context.artifacts["vocab"]).read_text().split()

    def predict(self, context, model_input):
        return [self.words[i] for i in model_input]


class Scaled(PythonModel):
    """MLflow 3's form: predict without a context; reads a folder of settings."""

    def load_context(self, context):
        folder = Path(context.artifacts["settings"])
        self.factor = json.loads((folder / "scale.json").read_text())["factor"]

    def predict(self, model_input):
        return [x * self.factor for x in model_input]


class Plain:
    def predict(self, model_input):
        return model_input


@pytest.fixture
def vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("zero one two three")
    return path


def test_a_custom_model_reads_its_artifacts_where_it_is_loaded(client, vocab):
    with modelreg.start_run():
        logged = modelreg.pyfunc.log_model(
            name="lookup", python_model=Lookup(), artifacts={"vocab": vocab},
            registered_model_name="lookup",
        )  # fmt: skip
    vocab.write_text("changed after logging")

    model = modelreg.pyfunc.load_model("models:/lookup/1")

    assert model.predict([3, 1]) == ["three", "one"]
    assert model.unwrap_python_model().words[0] == "zero"
    assert logged.flavor == "python"


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_load_context_runs_once_at_load_and_not_on_the_saved_instance(client, vocab):
    instance = Lookup()
    before = Lookup.loads
    with modelreg.start_run():
        logged = modelreg.pyfunc.log_model(python_model=instance, artifacts={"vocab": vocab})

    model = modelreg.load_model(logged.model_uri)
    model.predict([0])
    model.predict([1])

    assert Lookup.loads == before + 1
    assert not hasattr(instance, "words")


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_folder_artifact_and_mlflow_3s_predict_without_context(client, tmp_path):
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "scale.json").write_text('{"factor": 3}')

    modelreg.pyfunc.save_model(tmp_path / "model", python_model=Scaled(),
                               artifacts={"settings": settings})  # fmt: skip

    assert modelreg.load_model(tmp_path / "model").predict([1, 2]) == [3, 6]


def test_an_artifact_given_as_a_runs_uri_is_downloaded_into_the_model(client, vocab):
    with modelreg.start_run() as run:
        modelreg.log_artifact(str(vocab), "data")
        logged = modelreg.pyfunc.log_model(
            python_model=Lookup(), artifacts={"vocab": f"runs:/{run.info.run_id}/data/vocab.txt"}
        )
    client.delete_run(run.info.run_id)  # the model holds its own copy

    assert modelreg.load_model(logged.model_uri).predict([2]) == ["two"]


@pytest.mark.parametrize(
    ("model", "artifacts", "message"),
    [
        (Plain(), {"vocab": "vocab.txt"}, "a Plain cannot read them; a PythonModel"),
        (Lookup(), {"vocab": "missing.txt"}, r"artifacts\['vocab'\]: 'missing.txt' is not a local"),
        (Lookup(), {"a/b": "vocab.txt"}, "name 'a/b' must be one plain path segment"),
        (Lookup(), {"..": "vocab.txt"}, "name '..' must be one plain path segment"),
        (Lookup(), {"a\x00b": "vocab.txt"}, "must be one plain path segment"),
        (Lookup(), {"c:vocab": "vocab.txt"}, "must be one plain path segment"),
        (Lookup(), {"": "vocab.txt"}, "must be one plain path segment"),
        (Lookup(), ["vocab.txt"], "artifacts must map names to local files or folders"),
    ],
)
def test_bad_artifacts_are_refused_and_nothing_is_saved(
    tmp_path, vocab, monkeypatch, model, artifacts, message
):
    monkeypatch.chdir(vocab.parent)

    with pytest.raises(InvalidArgument, match=message):
        modelreg.pyfunc.save_model(tmp_path / "model", python_model=model, artifacts=artifacts)

    assert not (tmp_path / "model").exists()


def test_a_manifest_pointing_an_artifact_out_of_the_model_is_refused(tmp_path, vocab):
    save_model_dir(Lookup(), tmp_path / "model", artifacts={"vocab": vocab})
    manifest = tmp_path / "model/modelreg.json"
    data = json.loads(manifest.read_text())
    data["flavor"]["python_model"]["artifacts"]["vocab"] = "../vocab.txt"
    manifest.write_text(json.dumps(data))

    with warnings.catch_warnings(), pytest.raises(InvalidArgument, match=r"'\.\./vocab\.txt'"):
        modelreg.load_model(tmp_path / "model")


def test_the_models_dependencies_are_its_requirements_file(client, vocab):
    with modelreg.start_run():
        logged = modelreg.pyfunc.log_model(
            python_model=Lookup(), artifacts={"vocab": vocab}, pip_requirements=["numpy>=2"]
        )

    path = modelreg.pyfunc.get_model_dependencies(logged.model_uri)

    assert Path(path).read_text() == "numpy>=2\n"
    with pytest.raises(InvalidArgument, match="format must be 'pip'"):
        modelreg.pyfunc.get_model_dependencies(logged.model_uri, format="conda")


# ---- models from code: a script that defines the model and names it with set_model

SCRIPT = """
from pathlib import Path

from modelreg.models import set_model
from modelreg.pyfunc import PythonModel


class Shout(PythonModel):
    def load_context(self, context):
        self.suffix = Path(context.artifacts["suffix"]).read_text()

    def predict(self, context, model_input):
        return [word.upper() + self.suffix for word in model_input]


set_model(Shout())
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "shout.py"
    path.write_text(SCRIPT)
    (tmp_path / "suffix.txt").write_text("!")
    return path


def test_a_model_from_code_loads_by_running_its_script_when_trusted(client, script):
    with modelreg.start_run():
        logged = modelreg.pyfunc.log_model(
            name="shout", python_model=str(script),
            artifacts={"suffix": script.parent / "suffix.txt"},
        )  # fmt: skip
    script.unlink()  # the model holds its own copy

    model = modelreg.pyfunc.load_model(logged.model_uri, trust_code=True)

    assert model.predict(["hi"]) == ["HI!"]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_model_from_code_is_not_run_without_trust(client, script):
    with modelreg.start_run():
        logged = modelreg.pyfunc.log_model(
            python_model=str(script), artifacts={"suffix": script.parent / "suffix.txt"}
        )

    with pytest.raises(
        PermissionDenied, match=r"is Python code \(model_code/shout.py\).*trust_code"
    ):
        modelreg.load_model(logged.model_uri)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 1\n", "shout.py never calls modelreg.models.set_model"),
        ("from modelreg.models import set_model\nset_model(42)\n", "sets a int, which has no"),
    ],
)
def test_a_script_that_sets_no_model_is_refused(tmp_path, text, message):
    (tmp_path / "shout.py").write_text(text)

    with pytest.raises(InvalidArgument, match=message):
        modelreg.pyfunc.save_model(tmp_path / "model", python_model=str(tmp_path / "shout.py"))

    assert not (tmp_path / "model").exists()


def test_set_model_outside_logging_or_loading_does_nothing():
    assert modelreg.models.set_model(Plain()) is None


def test_a_script_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(InvalidArgument, match="python_model: .*nope.py' is not a file"):
        modelreg.pyfunc.save_model(tmp_path / "model", python_model=str(tmp_path / "nope.py"))
