"""Model directories: manifest, environment, requirements, digests, refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LinearRegression

from modelreg.errors import InvalidArgument, ModelregWarning, NotFound
from modelreg.flavors import (
    ModelInfo,
    detect_flavor,
    load_model_dir,
    read_model_info,
    save_model,
    weights_digest,
)
from modelreg.signature import infer_signature


def regression() -> LinearRegression:
    X = np.arange(20, dtype=float).reshape(10, 2)
    return LinearRegression().fit(X, X.sum(axis=1))


def edit_manifest(directory: Path, change) -> None:
    path = directory / "modelreg.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


class FailsToPredict:
    def __init__(self) -> None:
        self.ok = False

    def predict(self, x):
        raise RuntimeError("not today")


def test_files_lists_every_file_written(tmp_path: Path):
    info = save_model(regression(), tmp_path / "m")

    written = sorted(p.relative_to(tmp_path / "m").as_posix() for p in (tmp_path / "m").rglob("*"))

    assert list(info.files) == written == ["model.skops", "modelreg.json", "requirements.txt"]


def test_environment_records_python_and_framework_versions(tmp_path: Path):
    info = save_model(regression(), tmp_path / "m")

    assert info.environment["python"] == ".".join(map(str, sys.version_info[:3]))
    assert info.environment["packages"]["scikit-learn"] == sklearn.__version__


def test_requirements_are_pinned_from_the_environment(tmp_path: Path):
    save_model(regression(), tmp_path / "m")

    lines = (tmp_path / "m/requirements.txt").read_text().splitlines()

    assert f"scikit-learn=={sklearn.__version__}" in lines


def test_pip_requirements_replace_the_recorded_ones(tmp_path: Path):
    info = save_model(regression(), tmp_path / "m", pip_requirements=["scikit-learn>=1.4"])

    assert info.requirements == ("scikit-learn>=1.4",)
    assert (tmp_path / "m/requirements.txt").read_text() == "scikit-learn>=1.4\n"


def test_pip_requirements_may_be_a_requirements_file(tmp_path: Path):
    (tmp_path / "reqs.txt").write_text("# pinned\nnumpy>=2\n\nscikit-learn  # any\n")

    info = save_model(regression(), tmp_path / "m", pip_requirements=tmp_path / "reqs.txt")

    assert info.requirements == ("numpy>=2", "scikit-learn")


def test_extra_pip_requirements_are_added_to_the_pinned_ones(tmp_path: Path):
    info = save_model(regression(), tmp_path / "m", extra_pip_requirements=["gunicorn>=22"])

    assert info.requirements[-1] == "gunicorn>=22"
    assert f"scikit-learn=={sklearn.__version__}" in info.requirements
    assert (tmp_path / "m/requirements.txt").read_text().endswith("\ngunicorn>=22\n")


def test_an_extra_requirement_already_recorded_is_not_repeated(tmp_path: Path):
    pinned = f"scikit-learn=={sklearn.__version__}"

    info = save_model(regression(), tmp_path / "m", extra_pip_requirements=[pinned, pinned])

    assert info.requirements.count(pinned) == 1


def test_replacing_and_adding_requirements_at_once_is_refused(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="pip_requirements and extra_pip_requirements"):
        save_model(
            regression(), tmp_path / "m", pip_requirements=["a"], extra_pip_requirements=["b"]
        )

    assert not (tmp_path / "m").exists()


def test_a_bad_extra_requirement_is_named_as_such(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="extra_pip_requirements must be non-empty"):
        save_model(regression(), tmp_path / "m", extra_pip_requirements=["ok", " "])


def test_explicit_signature_wins_over_the_example(tmp_path: Path):
    given = infer_signature(np.zeros((1, 2), np.float32))

    info = save_model(
        regression(), tmp_path / "m", signature=given.to_dict(), input_example=[[1, 2]]
    )

    assert info.signature == given


def test_example_the_model_cannot_predict_gives_an_inputs_only_signature(tmp_path: Path):
    with pytest.warns(ModelregWarning, match="failed to predict its input_example"):
        info = save_model(FailsToPredict(), tmp_path / "m", input_example=[1.0, 2.0])

    assert info.signature.outputs is None


def test_manifest_parses_back_into_the_same_info(tmp_path: Path):
    info = save_model(regression(), tmp_path / "m", input_example=np.zeros((2, 2)))

    parsed = ModelInfo.from_manifest((tmp_path / "m/modelreg.json").read_bytes())

    assert parsed.weights_digest == info.weights_digest
    assert parsed.signature == info.signature
    assert read_model_info(tmp_path / "m") == info


def test_weights_digest_ignores_environment_and_requirements(tmp_path: Path):
    info = save_model(regression(), tmp_path / "m")

    edit_manifest(tmp_path / "m", lambda m: m.update(environment={}, requirements=["x"]))

    assert weights_digest(tmp_path / "m") == info.weights_digest


def test_weights_digest_changes_when_a_weight_file_changes(tmp_path: Path):
    info = save_model(regression(), tmp_path / "m")

    with (tmp_path / "m/model.skops").open("ab") as f:
        f.write(b"\0")

    assert weights_digest(tmp_path / "m") != info.weights_digest


def test_non_empty_target_directory_is_refused(tmp_path: Path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m/keep.txt").write_text("mine")

    with pytest.raises(InvalidArgument, match="exists and is not an empty directory"):
        save_model(regression(), tmp_path / "m")

    assert (tmp_path / "m/keep.txt").read_text() == "mine"


def test_failed_save_leaves_nothing_behind(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="torch_format must be one of"):
        save_model(regression(), tmp_path / "m", flavor="pytorch", torch_format="onnx")

    assert not (tmp_path / "m").exists()


def test_object_without_predict_is_refused():
    with pytest.raises(InvalidArgument, match="cannot tell how to save a dict"):
        detect_flavor({"weights": [1, 2]})


def test_unknown_flavor_name_is_refused(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="flavor must be one of"):
        save_model(regression(), tmp_path / "m", flavor="tensorflow-v1")


def test_directory_without_manifest_is_not_found(tmp_path: Path):
    with pytest.raises(NotFound, match="has no modelreg.json"):
        load_model_dir(tmp_path)


@pytest.mark.parametrize("bad", ["../model.skops", "/etc/passwd", "a\\b", "a/../../b", "x\0y"])
def test_manifest_paths_that_escape_the_directory_are_refused(tmp_path: Path, bad: str):
    save_model(regression(), tmp_path / "m")
    edit_manifest(tmp_path / "m", lambda m: m.update(model_files=[bad]))

    with pytest.raises(InvalidArgument, match="model_files entry"):
        load_model_dir(tmp_path / "m")


def test_importing_flavors_and_signature_loads_no_framework():
    heavy = ["torch", "sklearn", "numpy", "pandas", "onnx", "onnxruntime", "skops", "safetensors"]
    code = (
        "import sys, modelreg.flavors, modelreg.signature, modelreg.environment; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
