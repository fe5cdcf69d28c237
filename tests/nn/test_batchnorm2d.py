"""BatchNorm2d (src/nnumpy/nn/_batchnorm.py, one implementation with BatchNorm1d): gradient check,
PyTorch parity (output, gradients, running buffers in train and eval), shared math, errors.

The parity rows are PyTorch's own BatchNorm2d module tests (torch/testing/_internal/
common_modules.py ``module_inputs_torch_nn_BatchNorm2d``), named as there; ``zero_batch``
is an error here (see the last test) and ``affine_not_bias`` uses an argument nnumpy lacks.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, assert_layer_gradcheck
from _parity import DTYPES, TOL, assert_close, assert_layer_matches_torch, tensor, torch_module

from nnumpy import nn


def _random_affine(bn, seed=100):
    """γ = 1, β = 0 would hide a wrong dγ or a dβ/dγ swap."""
    if bn.affine:
        rng = np.random.default_rng(seed)
        bn.weight.data[...] = rng.normal(size=bn.num_features)
        bn.bias.data[...] = rng.normal(size=bn.num_features)
    return bn


def _warm(bn, steps=3):
    """Non-trivial running statistics from a few training batches, then eval."""
    rng = np.random.default_rng(5)
    for _ in range(steps):
        bn(rng.normal(2.0, 3.0, size=(4, bn.num_features, 3, 3)).astype(bn.dtype))
    return _random_affine(bn).eval()


GRADCHECK = [
    ("train", lambda: nn.BatchNorm2d(3), (2, 3, 4, 3)),
    ("train-batch1", lambda: nn.BatchNorm2d(2), (1, 2, 3, 3)),
    ("train-1x1-pixels", lambda: nn.BatchNorm2d(2), (5, 2, 1, 1)),
    ("noaffine", lambda: nn.BatchNorm2d(3, affine=False), (2, 3, 3, 3)),
    ("not-tracking", lambda: nn.BatchNorm2d(3, track_running_stats=False).eval(), (2, 3, 3, 2)),
    ("eval", lambda: _warm(nn.BatchNorm2d(3, dtype=np.float64)), (2, 3, 3, 3)),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,factory,shape", GRADCHECK, ids=[n for n, _, _ in GRADCHECK])
def test_batchnorm2d_gradcheck_float64(name, factory, shape, seed):
    assert_layer_gradcheck(_random_affine(factory(), 100 + seed), shape, seed)


PARITY = [
    ("BatchNorm2d", lambda dt: nn.BatchNorm2d(3, dtype=dt), (2, 3, 6, 6)),
    ("BatchNorm2d_2d_simple_average", lambda dt: nn.BatchNorm2d(3, 1e-3, None, dtype=dt), (2, 3, 6, 6)),
    ("BatchNorm2d_momentum", lambda dt: nn.BatchNorm2d(3, 1e-3, 0.8, dtype=dt), (2, 3, 6, 6)),
    ("BatchNorm2d_not_affine", lambda dt: nn.BatchNorm2d(3, 1e-3, 0.8, False, dtype=dt), (2, 3, 6, 6)),
    ("BatchNorm2d_not_tracking_stats", lambda dt: nn.BatchNorm2d(3, 1e-3, 0.8, True, False, dtype=dt), (2, 3, 6, 6)),
    ("BatchNorm2d_eval", lambda dt: _warm(nn.BatchNorm2d(3, momentum=0.3, dtype=dt)), (2, 3, 6, 6)),
    ("BatchNorm2d_eval_not_affine", lambda dt: _warm(nn.BatchNorm2d(3, affine=False, dtype=dt)), (2, 3, 5, 4)),
    ("BatchNorm2d_batch1", lambda dt: _random_affine(nn.BatchNorm2d(4, dtype=dt)), (1, 4, 3, 5)),
]


@DTYPES
@pytest.mark.parametrize("name,factory,shape", PARITY, ids=[n for n, _, _ in PARITY])
def test_batchnorm2d_matches_torch_forward_gradients_and_buffers(name, factory, shape, dtype, torch):
    assert_layer_matches_torch(factory(dtype), shape, dtype)


@DTYPES
@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum", "cumulative"])
def test_batchnorm2d_running_buffers_follow_torch_over_steps_then_eval(momentum, dtype, torch):
    """Five training steps, then eval: running_mean, running_var, num_batches_tracked and outputs agree."""
    bn = nn.BatchNorm2d(3, momentum=momentum, dtype=dtype)
    twin = torch_module(bn, dtype)
    rng = np.random.default_rng(0)
    for step in range(5):
        x = rng.normal(step, 1.0 + step, size=(2 + step, 3, 4, 5)).astype(dtype)
        assert_close(bn(x), twin(tensor(x, dtype)).detach().numpy(), TOL[dtype])
    for name, value in twin.named_buffers():
        assert_close(getattr(bn, name), value.numpy(), TOL[dtype])
    assert int(bn.num_batches_tracked) == 5
    x = rng.normal(size=(2, 3, 4, 5)).astype(dtype)
    assert_close(bn.eval()(x), twin.eval()(tensor(x, dtype)).detach().numpy(), TOL[dtype])


def test_batchnorm2d_is_batchnorm1d_over_flattened_pixels():
    """One implementation: (N, C, H, W) normalised per channel equals (N, C, H·W) through BatchNorm1d."""
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(3, 4, 5, 2)), rng.normal(size=(3, 4, 5, 2))
    bn2, bn1 = nn.BatchNorm2d(4, dtype=np.float64), nn.BatchNorm1d(4, dtype=np.float64)
    for bn in (bn2, bn1):
        _random_affine(bn)
    np.testing.assert_allclose(bn2(x), bn1(x.reshape(3, 4, 10)).reshape(x.shape), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(bn2.backward(g), bn1.backward(g.reshape(3, 4, 10)).reshape(x.shape), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(bn2.weight.grad, bn1.weight.grad, rtol=1e-13)
    np.testing.assert_allclose(bn2.running_var, bn1.running_var, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm2d_preserves_dtype(dtype):
    bn = nn.BatchNorm2d(2, dtype=dtype)
    y = bn(np.ones((2, 2, 3, 3), np.float64) * np.arange(3))
    assert y.dtype == bn.backward(np.ones(y.shape)).dtype == bn.running_var.dtype == dtype


@pytest.mark.parametrize(
    "shape,message",
    [
        ((4, 3), r"BatchNorm2d\(num_features=3\) expected input of shape \(N, 3, H, W\), got \(4, 3\)"),
        ((4, 2, 5, 5), r"BatchNorm2d\(num_features=3\) expected input of shape \(N, 3, H, W\), got \(4, 2, 5, 5\)"),
        ((1, 3, 1, 1), r"BatchNorm2d expected more than 1 value per channel when training, got input of shape \(1, 3, 1, 1\)"),
        ((0, 3, 2, 2), r"BatchNorm2d expected more than 1 value per channel when training"),
    ],
    ids=["2d-input", "channels", "one-value", "zero-batch"],
)
def test_batchnorm2d_bad_input_names_layer_expected_and_got(shape, message):
    with pytest.raises(ValueError, match=message):
        nn.BatchNorm2d(3)(np.zeros(shape))


def test_batchnorm2d_invalid_hyperparameters_and_grad_output():
    with pytest.raises(ValueError, match=r"The 'momentum' parameter of BatchNorm2d must be a float in \[0, 1\]. Got 2.0 instead."):
        nn.BatchNorm2d(3, momentum=2.0)
    bn = nn.BatchNorm2d(3)
    bn(np.random.default_rng(0).normal(size=(2, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"BatchNorm2d.backward expected grad_output of shape \(2, 3, 2, 2\), got \(2, 3, 4\)"):
        bn.backward(np.ones((2, 3, 4)))
