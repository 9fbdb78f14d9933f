"""Python flavor: classes by import path, state as JSON, pickle only when trusted."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from modelreg.errors import InvalidArgument, ModelregWarning, PermissionDenied
from modelreg.flavors import load_model_dir, save_model


class Scaler:
    """State through to_dict/from_dict."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def predict(self, xs: list[float]) -> list[float]:
        return [x * self.factor for x in xs]

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scaler:
        return cls(d["factor"])


class Linear:
    """Plain attributes that are JSON already."""

    def __init__(self, weights: list[float], bias: float) -> None:
        self.weights = weights
        self.bias = bias

    def predict(self, rows: list[list[float]]) -> list[float]:
        return [
            sum(w * x for w, x in zip(self.weights, row, strict=True)) + self.bias for row in rows
        ]


def _rebuild_and_leave_a_mark(marker: str, state: dict[str, Any]) -> Marked:
    Path(marker).write_text("unpickling ran code")
    obj = Marked.__new__(Marked)
    obj.__dict__.update(state)
    return obj


class Marked:
    """Only picklable, and unpickling it writes a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)
        self.weights = (1.0, 2.0)

    def predict(self, xs: list[float]) -> list[float]:
        return [x * sum(self.weights) for x in xs]

    def __reduce__(self):
        return _rebuild_and_leave_a_mark, (self.marker, dict(self.__dict__))


def save_marked(tmp_path: Path) -> Path:
    with pytest.warns(ModelregWarning, match="saved as a pickle"):
        save_model(Marked(tmp_path / "marker"), tmp_path / "m")
    return tmp_path / "marker"


def test_to_dict_state_round_trips_as_json(tmp_path: Path):
    save_model(Scaler(3.0), tmp_path / "m")

    loaded = load_model_dir(tmp_path / "m")

    assert (tmp_path / "m/state.json").read_text() == '{"factor":3.0}'
    assert loaded.predict([1.0, 2.0]) == [3.0, 6.0]


def test_plain_attributes_round_trip_as_json_without_pickle(tmp_path: Path):
    info = save_model(Linear([1.0, 2.0], 0.5), tmp_path / "m")

    loaded = load_model_dir(tmp_path / "m")

    assert info.manifest["flavor"]["state"] == "state"
    assert loaded.predict([[1.0, 1.0]]) == [3.5]
    assert isinstance(loaded.native, Linear)


def test_class_is_recorded_by_import_path(tmp_path: Path):
    info = save_model(Scaler(1.0), tmp_path / "m")

    assert info.manifest["flavor"]["class"] == "test_flavors_python:Scaler"


def test_pickle_is_refused_without_trust_and_never_unpickled(tmp_path: Path):
    marker = save_marked(tmp_path)

    with pytest.raises(PermissionDenied, match="is a pickle.*arbitrary code.*trust_pickle=True"):
        load_model_dir(tmp_path / "m")

    assert not marker.exists()


def test_pickle_loads_with_trust(tmp_path: Path):
    marker = save_marked(tmp_path)

    loaded = load_model_dir(tmp_path / "m", trust_pickle=True)

    assert marker.exists()
    assert loaded.predict([2.0]) == [6.0]


def test_class_defined_inside_a_function_is_refused(tmp_path: Path):
    class Local:
        def predict(self, x):
            return x

    with pytest.raises(InvalidArgument, match="defined inside a function"):
        save_model(Local(), tmp_path / "m")


def test_class_defined_in_main_is_refused(tmp_path: Path):
    cls = type("InMain", (), {"predict": lambda self, x: x, "__module__": "__main__"})

    with pytest.raises(InvalidArgument, match="defined in __main__"):
        save_model(cls(), tmp_path / "m")


def bundled_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    source = tmp_path / "src" / "bundled_model_mod.py"
    source.parent.mkdir()
    source.write_text(
        "class Doubler:\n"
        "    def __init__(self):\n"
        "        self.k = 2\n"
        "    def predict(self, xs):\n"
        "        return [x * self.k for x in xs]\n"
    )
    monkeypatch.setattr(sys, "path", [str(source.parent), *sys.path])
    monkeypatch.delitem(sys.modules, "bundled_model_mod", raising=False)
    import bundled_model_mod

    return bundled_model_mod, source


def test_bundled_code_is_not_imported_without_trust(tmp_path: Path, monkeypatch):
    module, source = bundled_module(tmp_path, monkeypatch)
    save_model(module.Doubler(), tmp_path / "m", code_paths=[source])

    with pytest.raises(PermissionDenied, match="bundles Python code"):
        load_model_dir(tmp_path / "m")


def test_bundled_code_loads_with_trust_in_a_fresh_interpreter(tmp_path: Path, monkeypatch):
    import subprocess

    module, source = bundled_module(tmp_path, monkeypatch)
    save_model(module.Doubler(), tmp_path / "m", code_paths=[source])
    code = (
        "from modelreg.flavors import load_model_dir; "
        f"print(load_model_dir({str(tmp_path / 'm')!r}, trust_pickle=True).predict([1, 2]))"
    )

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[2, 4]"
