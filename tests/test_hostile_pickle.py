"""Pickle payloads that would write a marker file are never run without ``trust_pickle=True``.

The hostile model goes through the registry like any other (logged, registered,
served by a server) and is loaded back by URI; the marker file proves whether
code from the model ran, in the loading process or in the server.
"""

from __future__ import annotations

import pickle
import sys
import uuid
from pathlib import Path

import pytest

import modelreg
from modelreg.errors import InvalidArgument, ModelregWarning, PermissionDenied
from modelreg.flavors import save_model


class Slotted:
    """A model only pickle can save (its state is not JSON)."""

    __slots__ = ("weight",)

    def __init__(self) -> None:
        self.weight = 2.0

    def predict(self, xs: list[float]) -> list[float]:
        return [x * self.weight for x in xs]


class _Touch:
    """Unpickling this creates the file ``marker``: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def _register(client, folder: Path, name: str) -> str:
    run_id = client.create_run("0").info.run_id
    client.log_artifacts(run_id, folder, "model")
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{run_id}/model")
    return run_id


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / f"pwned-{uuid.uuid4().hex}"


@pytest.fixture
def pickled(tmp_path: Path, marker: Path) -> Path:
    """A model directory whose model.pkl, once unpickled, touches ``marker``."""
    with pytest.warns(ModelregWarning, match="pickle"):
        save_model(Slotted(), tmp_path / "evil")
    (tmp_path / "evil" / "model.pkl").write_bytes(pickle.dumps(_Touch(marker)))
    return tmp_path / "evil"


def test_a_pickle_payload_is_never_run_without_trust(client, pickled, marker):
    run_id = _register(client, pickled, "evil")

    for uri in ("models:/evil/1", "models:/evil/latest", f"runs:/{run_id}/model"):
        with pytest.raises(PermissionDenied, match="trust_pickle=True"):
            modelreg.load_model(uri, client=client)
    assert not marker.exists()

    with pytest.raises(Exception):  # noqa: B017 - the payload is no model once it has run
        modelreg.load_model("models:/evil/1", client=client, trust_pickle=True)
    assert marker.exists(), "the payload is live: trusting the model runs it"


@pytest.fixture
def bundled(tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A model directory bundling code that touches ``marker`` when imported."""
    module = f"evil_code_{uuid.uuid4().hex[:8]}"
    source = tmp_path / "src" / f"{module}.py"
    source.parent.mkdir()
    source.write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).touch()\n"
        "class Doubler:\n"
        "    def predict(self, xs):\n"
        "        return [2 * x for x in xs]\n"
    )
    monkeypatch.syspath_prepend(str(source.parent))
    doubler = __import__(module).Doubler()
    save_model(doubler, tmp_path / "bundled", code_paths=[source])
    marker.unlink()
    del sys.modules[module]
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(source.parent)])
    return tmp_path / "bundled"


def test_bundled_code_is_never_imported_without_trust(client, bundled, marker):
    _register(client, bundled, "bundled")

    with pytest.raises(PermissionDenied, match="bundles Python code"):
        modelreg.load_model("models:/bundled/1", client=client)
    assert not marker.exists()


def test_a_manifest_pointing_outside_the_model_is_refused(client, pickled, tmp_path):
    manifest = pickled / "modelreg.json"
    manifest.write_text(manifest.read_text().replace('"model.pkl"', '"../../../etc/passwd"', 1))
    _register(client, pickled, "escape")

    with pytest.raises(InvalidArgument, match="flavor.file"):
        modelreg.load_model("models:/escape/1", client=client, trust_pickle=True)


@pytest.fixture
def installed(tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A model whose class lives in an installed module that touches ``marker`` when
    imported; the module is importable but not imported yet."""
    module = f"evil_installed_{uuid.uuid4().hex[:8]}"
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / f"{module}.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).touch()\n"
        "class Doubler:\n"
        "    def predict(self, xs):\n"
        "        return [2 * x for x in xs]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    save_model(__import__(module).Doubler(), tmp_path / "installed")
    marker.unlink()
    del sys.modules[module]
    return tmp_path / "installed", module


def test_a_module_the_model_names_is_not_imported_without_trust(client, installed, marker):
    folder, module = installed
    _register(client, folder, "installed")

    with pytest.raises(PermissionDenied, match=f"trust_code=\\['{module}'\\]"):
        modelreg.load_model("models:/installed/1", client=client)
    assert not marker.exists()
    assert module not in sys.modules


@pytest.mark.parametrize("trust", [True, "allow-list"])
def test_a_module_the_caller_trusts_is_imported(client, installed, marker, trust):
    folder, module = installed
    _register(client, folder, "installed")

    loaded = modelreg.load_model(
        "models:/installed/1", client=client, trust_code=True if trust is True else [module]
    )

    assert loaded.predict([1, 2]) == [2, 4]
    assert marker.exists()


def test_an_allow_list_allows_only_the_packages_it_names(client, installed, marker):
    folder, module = installed
    _register(client, folder, "installed")

    with pytest.raises(PermissionDenied, match="trust_code"):
        modelreg.load_model("models:/installed/1", client=client, trust_code=[module[:-1]])
    assert not marker.exists()


def test_a_standard_library_module_named_by_a_manifest_is_not_imported(client, installed):
    """#14 point 15: ``this:Nothing`` printed the Zen of Python while loading."""
    if "this" in sys.modules:
        pytest.skip("'this' was imported by something else in this process")
    folder, module = installed
    manifest = folder / "modelreg.json"
    manifest.write_text(manifest.read_text().replace(f"{module}:Doubler", "this:Nothing"))
    _register(client, folder, "zen")

    with pytest.raises(PermissionDenied, match="module 'this'"):
        modelreg.load_model("models:/zen/1", client=client)
    assert "this" not in sys.modules
