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


# ---------------------------------------------------------------------------- BatchNorm's batch count, both ways
# With momentum=None BatchNorm keeps a cumulative average, r ← r + (stat − r) / num_batches_tracked,
# so the count itself must cross over: a model that continues training on the other side only
# agrees if num_batches_tracked arrived intact (an int64 scalar in both libraries).
def _bn_mlp_nnumpy(dtype):
    return nn.Sequential(nn.Linear(6, 8, dtype=dtype, rng=0), nn.BatchNorm1d(8, momentum=None, dtype=dtype),
                         nn.ReLU(), nn.Linear(8, 3, dtype=dtype, rng=1), nn.BatchNorm1d(3, dtype=dtype))


def _bn_mlp_torch(torch, dtype):
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8, momentum=None), torch.nn.ReLU(),
                               torch.nn.Linear(8, 3), torch.nn.BatchNorm1d(3)).to(torch_dtype(dtype))


def _batches(dtype, n, seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(10, 6)) * (i + 1) + i).astype(dtype) for i in range(n)]


def _buffers_equal(model, twin, tol):
    theirs = {k: v.detach().numpy() for k, v in twin.state_dict().items()}
    ours = model.state_dict()
    assert ours.keys() == theirs.keys()
    for key, value in ours.items():
        if key.endswith("num_batches_tracked"):
            assert value.dtype == np.int64 and theirs[key].dtype == np.int64 and int(value) == int(theirs[key])
        else:
            np.testing.assert_allclose(value, theirs[key], rtol=tol, atol=tol, err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_count_goes_nnumpy_to_torch(tmp_path, dtype, torch):
    from safetensors.torch import load_file

    model = _bn_mlp_nnumpy(dtype).train()
    for x in _batches(dtype, 3, seed=0):
        model(x)
    assert int(model[1].num_batches_tracked) == 3
    path = nnumpy.save(model, tmp_path / "bn.safetensors")

    twin = _bn_mlp_torch(torch, dtype)
    state = load_file(path)
    assert state["1.num_batches_tracked"].dtype == torch.int64 and int(state["1.num_batches_tracked"]) == 3
    twin.load_state_dict(state, strict=True)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    _buffers_equal(model, twin, tol)
    for x in _batches(dtype, 2, seed=1):  # both continue training: the cumulative averages stay equal
        model(x)
        twin(torch.from_numpy(x))
    _buffers_equal(model, twin, tol)
    x = _batches(dtype, 1, seed=2)[0]
    with torch.no_grad():
        np.testing.assert_allclose(model.eval()(x), twin.eval()(torch.from_numpy(x)).numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_count_goes_torch_to_nnumpy(tmp_path, dtype, torch):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    twin = _bn_mlp_torch(torch, dtype).train()
    for x in _batches(dtype, 4, seed=3):
        twin(torch.from_numpy(x))
    path = tmp_path / "torch-bn.safetensors"
    save_file(twin.state_dict(), path)

    model = nnumpy.load_state(_bn_mlp_nnumpy(dtype), path)
    assert model[1].num_batches_tracked.dtype == np.int64 and int(model[1].num_batches_tracked) == 4
    tol = 1e-12 if dtype == np.float64 else 1e-5
    _buffers_equal(model, twin, tol)
    for x in _batches(dtype, 2, seed=4):
        model.train()(x)
        twin(torch.from_numpy(x))
    _buffers_equal(model, twin, tol)
    # and back again: nnumpy's file of the continued model fills a fresh torch twin exactly
    from safetensors.torch import load_file

    again = _bn_mlp_torch(torch, dtype)
    again.load_state_dict(load_file(nnumpy.save(model, tmp_path / "back.safetensors")), strict=True)
    _buffers_equal(model, again, 0.0)
