"""PyTorch flavor: torch.export programs and safetensors state dicts, both free of pickle."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.flavors import load_model_dir, save_model


class MLP(torch.nn.Module):
    def __init__(self, n_in: int = 4, hidden: int = 8) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def mlp(n_in: int = 4, hidden: int = 8) -> MLP:
    torch.manual_seed(0)
    return MLP(n_in, hidden).eval()


def expected(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model(x).numpy()


def test_exported_program_round_trips_and_takes_any_batch_size(tmp_path: Path):
    model, x = mlp(), torch.randn(5, 4)
    save_model(model, tmp_path / "m", input_example=x)

    loaded = load_model_dir(tmp_path / "m")
    bigger = torch.randn(11, 4)

    assert loaded.metadata.manifest["flavor"]["format"] == "export"
    np.testing.assert_allclose(loaded.predict(bigger.numpy()), expected(model, bigger), rtol=1e-6)


def test_tensor_in_gives_tensor_out(tmp_path: Path):
    model, x = mlp(), torch.randn(3, 4)
    save_model(model, tmp_path / "m", input_example=x)

    out = load_model_dir(tmp_path / "m").predict(x)

    assert isinstance(out, torch.Tensor) and out.shape == (3, 2)


def test_state_dict_round_trips_through_the_class_import_path(tmp_path: Path):
    model, x = mlp(n_in=4, hidden=16), torch.randn(5, 4)

    save_model(model, tmp_path / "m", torch_format="state_dict", init_kwargs={"hidden": 16})
    loaded = load_model_dir(tmp_path / "m")

    assert loaded.metadata.manifest["flavor"]["class"] == "test_flavors_pytorch:MLP"
    assert isinstance(loaded.native, MLP)
    np.testing.assert_allclose(loaded.predict(x.numpy()), expected(model, x), rtol=1e-6)


def test_without_example_the_state_dict_format_is_used(tmp_path: Path):
    info = save_model(mlp(), tmp_path / "m")

    assert info.manifest["flavor"]["format"] == "state_dict"
    assert info.manifest["model_files"] == ["model.safetensors"]


def test_a_class_no_other_process_can_import_is_refused_with_the_ways_out(tmp_path: Path):
    class Local(torch.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(InvalidArgument, match="inside a function.*give input_example="):
        save_model(Local(), tmp_path / "m")


def test_export_without_input_example_is_refused(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="input_example: torch_format='export'"):
        save_model(mlp(), tmp_path / "m", torch_format="export")


def test_signature_comes_from_the_example_tensor(tmp_path: Path):
    info = save_model(mlp(), tmp_path / "m", input_example=torch.randn(2, 4))

    assert info.signature.inputs.specs[0].to_dict() == {
        "name": None,
        "dtype": "float32",
        "shape": [-1, 4],
    }
    assert info.signature.outputs.specs[0].shape == (-1, 2)


def test_float64_input_to_a_float32_model_is_refused(tmp_path: Path):
    save_model(mlp(), tmp_path / "m", input_example=torch.randn(2, 4))

    with pytest.raises(InvalidArgument, match="expected dtype float32, got float64"):
        load_model_dir(tmp_path / "m").predict(np.zeros((2, 4)))


def test_identical_weights_give_identical_digests_in_both_formats(tmp_path: Path):
    x = torch.randn(2, 4)
    a = save_model(mlp(), tmp_path / "a", input_example=x)
    b = save_model(mlp(), tmp_path / "b", input_example=x)
    c = save_model(mlp(), tmp_path / "c")
    d = save_model(mlp(), tmp_path / "d")

    assert a.weights_digest == b.weights_digest
    assert c.weights_digest == d.weights_digest


def test_saving_leaves_a_training_model_in_training_mode(tmp_path: Path):
    model = mlp().train()

    save_model(model, tmp_path / "m", input_example=torch.randn(2, 4))

    assert model.training


def test_export_archive_with_a_pickled_entry_is_refused_without_trust(tmp_path: Path):
    save_model(mlp(), tmp_path / "m", input_example=torch.randn(2, 4))
    with zipfile.ZipFile(tmp_path / "m/model.pt2", "a") as archive:
        archive.writestr("model/data/constants/custom_obj_0", b"pickled bytes")

    with pytest.raises(PermissionDenied, match="custom_obj_0.*trust_pickle=True"):
        load_model_dir(tmp_path / "m")


def test_state_dict_class_that_is_not_a_module_is_refused(tmp_path: Path):
    import json

    save_model(mlp(), tmp_path / "m")
    manifest_path = tmp_path / "m/modelreg.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["flavor"]["class"] = "subprocess:Popen"
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(InvalidArgument, match="subprocess:Popen is not a subclass of torch"):
        load_model_dir(tmp_path / "m")


class DoublesItsInput(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul_(2)


def _read_only_ones() -> np.ndarray:
    rows = np.ones((2, 3), dtype=np.float32)
    rows.flags.writeable = False
    return rows


def _frame_of_ones() -> object:
    import pandas as pd

    return pd.DataFrame(np.ones((2, 3), dtype=np.float32))


@pytest.mark.parametrize("torch_format", ["export", "state_dict"])
@pytest.mark.parametrize("make_rows", [_read_only_ones, _frame_of_ones])
def test_a_model_writing_into_its_input_leaves_read_only_rows_untouched(
    tmp_path: Path, torch_format: str, make_rows
):
    save_model(
        DoublesItsInput(), tmp_path / "m", torch_format=torch_format, input_example=torch.ones(2, 3)
    )
    rows = make_rows()

    out = load_model_dir(tmp_path / "m").predict(rows)

    np.testing.assert_array_equal(out, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(np.asarray(rows), np.ones((2, 3)))
