"""PyTorch parity for every layer: same weights, same input → same output and gradients.

Tolerances: 1e-10 in float64, 1e-5 in float32 (relative to the tensor's scale).
torch is imported unconditionally: CI fails, not skips, when it is missing.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from nnumpy import nn

from ._bridge import tensor, torch_module

TOL = {np.float64: 1e-10, np.float32: 1e-5}


def _layers():
    """(id, factory(dtype), input shape) for every layer and its main options."""
    return [
        ("Linear", lambda dt: nn.Linear(5, 4, dtype=dt, rng=1), (6, 5)),
        ("Linear-nobias", lambda dt: nn.Linear(5, 4, bias=False, dtype=dt, rng=1), (6, 5)),
        ("Linear-3d", lambda dt: nn.Linear(5, 4, dtype=dt, rng=1), (3, 2, 5)),
        ("Identity", lambda dt: nn.Identity(), (6, 5)),
        ("Flatten", lambda dt: nn.Flatten(), (3, 2, 2, 2)),
        ("Flatten-0", lambda dt: nn.Flatten(0, -1), (3, 2, 2)),
        ("ReLU", lambda dt: nn.ReLU(), (6, 5)),
        ("LeakyReLU", lambda dt: nn.LeakyReLU(0.2), (6, 5)),
        ("ELU", lambda dt: nn.ELU(0.7), (6, 5)),
        ("GELU", lambda dt: nn.GELU(), (6, 5)),
        ("GELU-tanh", lambda dt: nn.GELU(approximate="tanh"), (6, 5)),
        ("Sigmoid", lambda dt: nn.Sigmoid(), (6, 5)),
        ("Tanh", lambda dt: nn.Tanh(), (6, 5)),
        ("Softplus", lambda dt: nn.Softplus(), (6, 5)),
        ("Softplus-beta", lambda dt: nn.Softplus(beta=2.0, threshold=3.0), (6, 5)),
        ("Softmax", lambda dt: nn.Softmax(dim=1), (6, 5)),
        ("Softmax-0", lambda dt: nn.Softmax(dim=0), (6, 5)),
        ("LogSoftmax", lambda dt: nn.LogSoftmax(dim=1), (6, 5)),
        ("Dropout-eval", lambda dt: nn.Dropout(0.4, rng=0).eval(), (6, 5)),
        ("BatchNorm1d-train", lambda dt: nn.BatchNorm1d(5, dtype=dt), (6, 5)),
        ("BatchNorm1d-3d", lambda dt: nn.BatchNorm1d(5, dtype=dt), (4, 5, 3)),
        ("BatchNorm1d-eval", lambda dt: _warm_bn(nn.BatchNorm1d(5, momentum=0.3, dtype=dt)), (6, 5)),
        ("BatchNorm1d-cumulative", lambda dt: nn.BatchNorm1d(5, momentum=None, dtype=dt), (6, 5)),
        (
            "MLP",
            lambda dt: nn.Sequential(
                nn.Linear(5, 8, dtype=dt, rng=2), nn.Sigmoid(), nn.Linear(8, 8, dtype=dt, rng=3), nn.Tanh(),
                nn.Linear(8, 3, dtype=dt, rng=4),
            ),
            (6, 5),
        ),
    ]


def _warm_bn(bn):
    """Give a BatchNorm1d non-trivial running stats, then switch to eval."""
    rng = np.random.default_rng(5)
    for _ in range(3):
        bn(rng.normal(2.0, 3.0, size=(8, bn.num_features)))
    bn.weight.data[...] = rng.normal(size=bn.num_features)
    bn.bias.data[...] = rng.normal(size=bn.num_features)
    return bn.eval()


LAYERS = _layers()


def _close(actual, expected, tol):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = float(np.abs(actual - expected).max(initial=0.0)) / scale
    assert err <= tol, f"max error {err:.3e} > {tol:.0e}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,factory,shape", LAYERS, ids=[n for n, _, _ in LAYERS])
def test_layer_matches_torch_forward_and_gradients(name, factory, shape, dtype):
    rng = np.random.default_rng(0)
    layer = factory(dtype)
    twin = torch_module(layer, dtype)
    x = rng.normal(size=shape).astype(dtype)
    g = rng.normal(size=np.asarray(copy.deepcopy(layer)(x)).shape).astype(dtype)

    layer.zero_grad()
    y = layer(x)
    gx = layer.backward(g)

    xt = tensor(x, dtype, requires_grad=True)
    yt = twin(xt)
    yt.backward(tensor(g, dtype))

    assert y.dtype == dtype and gx.dtype == dtype
    _close(y, yt.detach().numpy(), TOL[dtype])
    _close(gx, xt.grad.numpy(), TOL[dtype])
    torch_params = dict(twin.named_parameters())
    for pname, p in layer.named_parameters():
        _close(p.grad, torch_params[pname].grad.numpy(), TOL[dtype])
    torch_buffers = dict(twin.named_buffers())
    for bname, b in layer.named_buffers():
        _close(b, torch_buffers[bname].numpy(), TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_dropout_matches_torch_given_the_same_mask(dtype):
    """Dropout draws its mask from its own rng; with torch's mask applied the same way the math agrees."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 40)).astype(dtype)
    layer = nn.Dropout(0.3, rng=7)
    y = layer(x)
    keep = y != 0
    # Expected value: kept entries scaled by 1/(1-p), the rest zero, as torch's Dropout documents.
    np.testing.assert_allclose(y[keep], x[keep] / 0.7, rtol=TOL[dtype])
    assert 0.6 < keep.mean() < 0.8
    g = rng.normal(size=x.shape).astype(dtype)
    np.testing.assert_allclose(layer.backward(g), np.where(keep, g / 0.7, 0.0), rtol=TOL[dtype])


def test_linear_default_init_matches_torch_bounds():
    """PyTorch's default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias."""
    layer = nn.Linear(400, 300, rng=0)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert p.min() >= -bound and p.max() <= bound
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound
    assert abs(float(layer.weight.data.std()) - bound / np.sqrt(3)) < 0.01 * bound


def test_state_dict_from_torch_loads_as_is():
    twin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    model.eval()
    twin.eval()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(model(x), twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
