"""modelreg serve, predict and evaluate run what a model brings only when the operator says so.

A custom model's class lives in a package the serving process has not imported;
importing it runs that package's code, so it loads only with ``--trust-code PACKAGE``
(a model from code: ``--trust-all-code``), as ``modelreg.load_model`` takes them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

import modelreg
from conftest import server_env
from serve_fixtures import start_serve

PACKAGE = """
from modelreg.pyfunc import PythonModel


class Doubler(PythonModel):
    def predict(self, context, model_input):
        return [2 * x for x in model_input["a"]]
"""
ROW = {"dataframe_split": {"columns": ["a", "b"], "data": [[2.0, 0.0]]}}


@pytest.fixture
def doubler(tmp_path, monkeypatch):
    """Model 'doubler' v1: a PythonModel whose class is in package 'trustpkg', which the
    test process imports and a fresh process finds on PYTHONPATH."""
    (tmp_path / "pkgs/trustpkg").mkdir(parents=True)
    (tmp_path / "pkgs/trustpkg/__init__.py").write_text(PACKAGE)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    from trustpkg import Doubler  # noqa: PLC0415  (the package exists only now)

    store = tmp_path / "store"
    client = modelreg.Client(store)
    run_id = client.create_run("0").info.run_id
    modelreg.pyfunc.log_model(
        python_model=Doubler(), registered_model_name="doubler", run_id=run_id, client=client
    )
    yield store
    sys.modules.pop("trustpkg", None)


def serve_env(tmp_path):
    """The package on the path of a fresh process, before what the tests run from."""
    inherited = os.environ.get("PYTHONPATH")
    paths = [str(tmp_path / "pkgs"), *([inherited] if inherited else [])]
    return {"PYTHONPATH": os.pathsep.join(paths)}


def test_serve_refuses_a_class_it_would_have_to_import_without_trust(tmp_path, doubler):
    with pytest.raises(RuntimeError, match=r"trustpkg.*trust_code"):
        start_serve("models:/doubler/1", str(doubler), tmp_path, env=serve_env(tmp_path))


def test_serve_imports_the_package_it_is_told_to_trust(tmp_path, doubler):
    served = start_serve(
        "models:/doubler/1", str(doubler), tmp_path, "--trust-code", "trustpkg",
        env=serve_env(tmp_path),
    )  # fmt: skip
    try:
        answer = httpx.post(served.url + "/invocations", json=ROW, timeout=10)
    finally:
        served.stop()

    assert answer.json() == {"predictions": [4.0]}


def test_predict_takes_the_same_trust(tmp_path, doubler):
    (tmp_path / "rows.csv").write_text("a,b\n2.0,0.0\n")
    command = [
        sys.executable, "-m", "modelreg", "predict", "models:/doubler/1",
        "--tracking-uri", str(doubler), "--input", str(tmp_path / "rows.csv"),
        "--output", str(tmp_path / "out.csv"),
    ]  # fmt: skip
    env = {**server_env(), **serve_env(tmp_path)}

    refused = subprocess.run(command, capture_output=True, text=True, env=env)
    done = subprocess.run(
        [*command, "--trust-code", "trustpkg"], capture_output=True, text=True, env=env
    )

    assert refused.returncode == 1 and "trust_code" in refused.stderr
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.csv").read_text().splitlines() == ["prediction", "4.0"]
