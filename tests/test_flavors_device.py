"""load_model(device=...): PyTorch and Transformers models on a GPU, a clear error without one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from modelreg.errors import InvalidArgument
from modelreg.flavors import load_model_dir, save_model

needs_no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")


def linear(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    save_model(torch.nn.Linear(3, 1), tmp_path / "m", input_example=torch.rand(2, 3))
    return tmp_path / "m"


@needs_no_gpu
def test_cuda_without_a_gpu_is_refused_saying_so(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="CUDA is not available on this machine"):
        load_model_dir(linear(tmp_path), device="cuda")


@needs_no_gpu
def test_cuda_without_a_gpu_is_refused_for_transformers_too(tmp_path: Path):
    from transformers_fixtures import TEXTS, tiny_pipeline

    save_model(tiny_pipeline(), tmp_path / "m", input_example=TEXTS)

    with pytest.raises(InvalidArgument, match="CUDA is not available on this machine"):
        load_model_dir(tmp_path / "m", device="cuda:0")


def test_cpu_device_loads_and_predicts(tmp_path: Path):
    x = np.random.RandomState(0).rand(4, 3).astype("float32")

    loaded = load_model_dir(linear(tmp_path), device="cpu")

    assert loaded.predict(x).shape == (4, 1)


def test_an_unknown_device_name_is_refused(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="is not a torch device"):
        load_model_dir(linear(tmp_path), device="tpu-ish")


def test_a_device_for_a_flavor_without_devices_is_refused(tmp_path: Path):
    from sklearn.linear_model import LinearRegression

    X = np.random.RandomState(0).rand(10, 2)
    save_model(LinearRegression().fit(X, X[:, 0]), tmp_path / "m")

    with pytest.raises(InvalidArgument, match="this is a sklearn model"):
        load_model_dir(tmp_path / "m", device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_loads_the_module_on_the_gpu(tmp_path: Path):
    loaded = load_model_dir(linear(tmp_path), device="cuda")

    assert next(loaded.native.parameters()).is_cuda
    assert isinstance(loaded.predict(np.ones((2, 3), dtype="float32")), np.ndarray)
