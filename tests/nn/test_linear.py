"""Linear, Identity, Flatten (src/nnumpy/nn/_linear.py): gradient check, PyTorch parity, behaviour.

Contracts every layer keeps (dtype, backward before forward, hyperparameter messages) are
tables in tests/nn/test_layers.py, with rows named after the layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, assert_layer_gradcheck
from _parity import DTYPES, assert_layer_matches_torch

from nnumpy import nn

GRADCHECK = [
    ("Linear", lambda: nn.Linear(5, 4, rng=1), (6, 5)),
    ("Linear-nobias", lambda: nn.Linear(5, 4, bias=False, rng=1), (6, 5)),
    ("Linear-3d", lambda: nn.Linear(5, 4, rng=1), (2, 3, 5)),
    ("Identity", nn.Identity, (6, 5)),
    ("Flatten", nn.Flatten, (3, 2, 2, 2)),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,factory,shape", GRADCHECK, ids=[n for n, _, _ in GRADCHECK])
def test_linear_gradcheck_float64(name, factory, shape, seed):
    assert_layer_gradcheck(factory(), shape, seed)


PARITY = [
    ("Linear", lambda dt: nn.Linear(5, 4, dtype=dt, rng=1), (6, 5)),
    ("Linear-nobias", lambda dt: nn.Linear(5, 4, bias=False, dtype=dt, rng=1), (6, 5)),
    ("Linear-3d", lambda dt: nn.Linear(5, 4, dtype=dt, rng=1), (3, 2, 5)),
    ("Identity", lambda dt: nn.Identity(), (6, 5)),
    ("Flatten", lambda dt: nn.Flatten(), (3, 2, 2, 2)),
    ("Flatten-0", lambda dt: nn.Flatten(0, -1), (3, 2, 2)),
]


@DTYPES
@pytest.mark.parametrize("name,factory,shape", PARITY, ids=[n for n, _, _ in PARITY])
def test_linear_matches_torch_forward_and_gradients(name, factory, shape, dtype, torch):
    assert_layer_matches_torch(factory(dtype), shape, dtype)


def test_linear_default_init_matches_torch_bounds():
    """PyTorch's default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias."""
    layer = nn.Linear(400, 300, rng=0)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert p.min() >= -bound and p.max() <= bound
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound
    assert abs(float(layer.weight.data.std()) - bound / np.sqrt(3)) < 0.01 * bound


def test_linear_shape_mismatch_names_layer_expected_and_got():
    with pytest.raises(ValueError, match=r"Linear\(in_features=784, out_features=10\) expected input of shape "
                                         r"\(N, \*, 784\), got \(32, 28, 28\)"):
        nn.Linear(784, 10)(np.zeros((32, 28, 28)))


def test_linear_accepts_leading_dimensions():
    layer = nn.Linear(5, 2, rng=0)
    assert layer(np.zeros((3, 4, 5))).shape == (3, 4, 2)


@pytest.mark.parametrize("batch", [1, 2, 32, 256, 300])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_output_and_input_gradient_are_c_contiguous_at_every_batch_size(batch, dtype):
    layer = nn.Linear(7, 5, rng=0, dtype=dtype)
    x = np.random.default_rng(batch).standard_normal((batch, 7)).astype(dtype)
    y = layer(x)
    dx = layer.backward(np.ones_like(y))
    assert y.flags.c_contiguous and dx.flags.c_contiguous
    assert y.dtype == dtype and dx.dtype == dtype


def test_linear_backward_computes_the_textbook_gradients():
    # dW = Gᵀx, db = Σ_rows G, dx = G W, written out in float64.
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, rng=1, dtype=np.float64)
    x, g = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    layer(x)
    dx = layer.backward(g)
    np.testing.assert_array_equal(layer.weight.grad, g.T @ x)
    np.testing.assert_array_equal(layer.bias.grad, g.sum(axis=0))
    np.testing.assert_array_equal(dx, g @ layer.weight.data)


def test_linear_gradient_accumulation_with_a_refilled_input_buffer_is_exact():
    # Two micro-batches that reuse one input buffer, refilled in place after each backward:
    # weight.grad must be the exact sum of the two batches' Gᵀx.
    rng = np.random.default_rng(0)
    layer = nn.Linear(5, 3, rng=1, dtype=np.float64)
    batches = [rng.standard_normal((4, 5)) for _ in range(2)]
    grads = [rng.standard_normal((4, 3)) for _ in range(2)]
    buf = np.empty((4, 5))
    g_buf = np.empty((4, 3))
    for xb, gb in zip(batches, grads):
        buf[...] = xb
        g_buf[...] = gb
        layer(buf)
        layer.backward(g_buf)
    buf[...] = 1e6  # a third refill after the last backward changes nothing either
    g_buf[...] = 1e6
    expected = grads[0].T @ batches[0] + grads[1].T @ batches[1]
    np.testing.assert_array_equal(layer.weight.grad, expected)
    np.testing.assert_array_equal(layer.bias.grad, grads[0].sum(axis=0) + grads[1].sum(axis=0))


def test_linear_backward_without_input_grad_fills_the_same_parameter_gradients():
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    a, b = nn.Linear(4, 3, rng=1, dtype=np.float64), nn.Linear(4, 3, rng=1, dtype=np.float64)
    a(x), b(x)
    assert a.backward(g, input_grad=False) is None
    b.backward(g)
    np.testing.assert_array_equal(a.weight.grad, b.weight.grad)
    np.testing.assert_array_equal(a.bias.grad, b.bias.grad)
    assert nn.Linear.can_skip_input_grad and not nn.Sigmoid.can_skip_input_grad


def test_linear_input_changed_in_place_between_forward_and_backward_does_not_change_gradients():
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    layer = nn.Linear(5, 3, rng=1, dtype=np.float64)
    buf = x.copy()
    layer(buf)
    buf[...] = 7.0  # the caller reuses its buffer before backward
    layer.backward(g)
    np.testing.assert_array_equal(layer.weight.grad, g.T @ x)
