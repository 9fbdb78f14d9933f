"""Imported PyTorch and ONNX versions predict as MLflow's own ``mlflow.pyfunc`` does.

A real ``mlflow server`` (MLflow in its cached virtual environment, with
PyTorch and ONNX installed next to it) holds models logged with MLflow's
client (``tests/compat/mlflow_seed_frameworks.py``); they are imported into
an embedded target and a ``modelreg server``, loaded with
``modelreg.load_model`` and compared with ``mlflow.pyfunc.load_model`` of the
same URI on the source.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import modelreg
from mlflow_source_fixtures import (
    ROOT,
    cached_store,
    mlflow_predicted,
    mlflow_process_env,
    mlflow_python_with_frameworks,
    served_copy,
    start_target,
)
from modelreg.mlflow_import import ImportResult, import_mlflow
from modelreg.mlflow_import.progress import Progress

pytestmark = pytest.mark.timeout(1800)

SEED = ROOT / "tests/compat/mlflow_seed_frameworks.py"


@dataclass
class Source:
    url: str
    ids: dict[str, str]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    python = mlflow_python_with_frameworks()

    def build(building: Path, url: str) -> None:
        seeded = subprocess.run(
            [str(python), str(SEED), url],
            capture_output=True,
            text=True,
            timeout=900,
            env=mlflow_process_env(),
        )
        assert seeded.returncode == 0, seeded.stderr[-4000:]
        (building / "ids.json").write_text(seeded.stdout.strip().splitlines()[-1])

    cached = cached_store(python, "mlflow-frameworks", SEED.read_bytes(), build)
    with served_copy(python, cached, tmp_path_factory.mktemp("mlflow-frameworks")) as url:
        yield Source(url, json.loads((cached / "ids.json").read_text()))


@dataclass
class Imported:
    client: modelreg.Client
    result: ImportResult
    source: Source


@pytest.fixture(scope="module", params=["embedded", "server"])
def imported(
    request: pytest.FixtureRequest, source: Source, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Imported]:
    from conftest import stop_server

    folder = tmp_path_factory.mktemp(f"frameworks-{request.param}")
    uri, _, process = start_target(request.param, folder)
    try:
        result = import_mlflow(source.url, uri, mapping_file=None, progress=Progress(enabled=False))
        yield Imported(modelreg.Client(uri), result, source)
    finally:
        if process is not None:
            stop_server(process)


def _predict(model: object, rows: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(rows))  # type: ignore[attr-defined]


def test_the_import_reports_nothing_and_counts_match(imported):
    assert imported.result.problems == []
    assert imported.result.complete, imported.result.counts


@pytest.mark.parametrize("uri", ["models:/torch_model/Production", "models:/torch_model/Staging"])
def test_an_imported_pytorch_version_predicts_as_mlflow_pyfunc_does(imported, uri):
    rows, expected = mlflow_predicted(imported.source.ids, uri)

    # MLflow pickles the whole module (or, exported, its example inputs): trust is needed.
    model = modelreg.load_model(uri, client=imported.client, trust_pickle=True)

    got = _predict(model, rows)
    assert np.allclose(got, np.asarray(expected), atol=1e-6)


def test_an_imported_pytorch_version_does_not_load_without_trust_pickle(imported):
    with pytest.raises(modelreg.errors.PermissionDenied, match="pickle"):
        modelreg.load_model("models:/torch_model/Production", client=imported.client)


def test_an_imported_onnx_version_predicts_as_mlflow_pyfunc_does(imported):
    uri = "models:/onnx_model@champion"
    rows, expected = mlflow_predicted(imported.source.ids, uri)

    model = modelreg.load_model(uri, client=imported.client)

    got = _predict(model, rows)
    assert np.allclose(got, np.asarray(expected), atol=1e-6)


def test_imported_pytorch_and_onnx_versions_carry_no_cannot_load_note(imported):
    from modelreg.mlflow_import.flavors import NOTE_TAG

    for name in ("torch_model", "onnx_model"):
        for version in imported.client.search_model_versions(f"name = '{name}'"):
            assert NOTE_TAG not in version.tags, (name, version.version)
