"""Model files are PyTorch-compatible: the same safetensors file fills both frameworks' models.

The rest of nnumpy.io is tested in tests/test_io.py."""

from __future__ import annotations

import numpy as np
import pytest
from _parity import torch_dtype, torch_module

import nnumpy
from nnumpy import io, nn


def _mlp(dtype) -> nn.Sequential:
    """The shape of the 784-…-10 MNIST MLP, scaled down (20 inputs) to keep the test fast."""
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(20, 16, dtype=dtype, rng=0), nn.BatchNorm1d(16, dtype=dtype), nn.ReLU(),
        nn.Linear(16, 12, dtype=dtype, rng=1), nn.Tanh(), nn.Dropout(0.1, rng=2), nn.Linear(12, 10, dtype=dtype, rng=3),
    )
    model(np.random.default_rng(4).normal(size=(8, 1, 4, 5)).astype(dtype))  # move BatchNorm's running stats
    return model


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_file_loads_into_torch_with_load_state_dict(tmp_path, dtype, torch):
    from safetensors.torch import load_file

    model = _mlp(dtype).eval()
    path = nnumpy.save(model, tmp_path / "mlp.safetensors")
    twin = torch_module(model, dtype)
    with torch.no_grad():  # scramble the twin so only the file can make the outputs agree
        for p in twin.parameters():
            p.zero_()
    state = load_file(path)
    assert state["2.num_batches_tracked"].dtype == torch.int64 and state["2.num_batches_tracked"].shape == ()
    twin.load_state_dict(state, strict=True)
    x = np.random.default_rng(5).normal(size=(6, 1, 4, 5)).astype(dtype)
    with torch.no_grad():
        expected = twin.eval()(torch.from_numpy(x)).numpy()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(model(x), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("metadata", [None, {"format": "pt"}])
def test_load_state_reads_torch_save_file(tmp_path, metadata, torch):
    from safetensors.torch import save_file

    dtype = np.float64
    torch.manual_seed(0)
    twin = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(20, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
        torch.nn.Linear(16, 12), torch.nn.Tanh(), torch.nn.Dropout(0.1), torch.nn.Linear(12, 10),
    ).to(torch_dtype(dtype))
    twin(torch.randn(8, 1, 4, 5, dtype=torch.float64))  # running stats away from their defaults
    path = tmp_path / "torch.safetensors"
    save_file(twin.state_dict(), path, metadata=metadata)  # foreign file: no nnumpy checksum, allowed

    model = nnumpy.load_state(_mlp(dtype), path)
    x = np.random.default_rng(6).normal(size=(6, 1, 4, 5))
    with torch.no_grad():
        expected = twin.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.eval()(x), expected, rtol=1e-12, atol=1e-12)
    info = io.inspect(path)
    assert info["format"] == "safetensors" and info["architecture"] is None and info["dtype"] == "float64"
