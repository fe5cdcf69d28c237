"""Hypothesis properties (fixed CI profile in conftest.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnumpy import nn
from nnumpy.nn import functional as F

finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)
logits_2d = st.integers(1, 6).flatmap(
    lambda n: st.integers(2, 7).flatmap(lambda c: arrays(np.float64, (n, c), elements=finite))
)


@given(logits_2d, st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_are_shift_invariant(x, shift):
    y = F.softmax(x, axis=1)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(x + shift, axis=1), y, atol=1e-12)
    assert np.all(y >= 0)


@given(logits_2d, st.data())
def test_cross_entropy_gradient_rows_sum_to_zero_and_loss_nonnegative(x, data):
    n, c = x.shape
    y = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    fn = nn.CrossEntropyLoss()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = fn(x, y)
        g = fn.backward()
    assert np.isfinite(loss) and loss >= 0
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-12)


@given(arrays(np.float64, (3, 4), elements=st.floats(-1e4, 1e4, allow_nan=False)),
       arrays(np.float64, (3, 4), elements=st.floats(0, 1)))
def test_losses_finite_and_nonnegative_at_large_logits(x, t):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        for fn, target in ((nn.BCEWithLogitsLoss(), t), (nn.CrossEntropyLoss(), t / np.maximum(t.sum(1, keepdims=True), 1e-12)),
                           (nn.MSELoss(), t), (nn.HuberLoss(), t), (nn.L1Loss(), t)):
            value = fn(x, target)
            assert np.isfinite(value) and value >= -1e-9
            assert np.all(np.isfinite(fn.backward()))


LAYER_FACTORIES = [nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Softplus,
                   lambda: nn.Softmax(1), lambda: nn.LogSoftmax(1), lambda: nn.Linear(4, 3, rng=0),
                   lambda: nn.BatchNorm1d(4), lambda: nn.Dropout(0.3, rng=0)]


@given(st.sampled_from([np.float32, np.float64]), st.integers(0, len(LAYER_FACTORIES) - 1),
       st.integers(2, 5))
def test_dtype_preserved_through_every_layer(dtype, which, n):
    layer = LAYER_FACTORIES[which]()
    if hasattr(layer, "weight") or isinstance(layer, nn.BatchNorm1d):
        layer.to(dtype)
    x = np.linspace(-3, 3, n * 4).reshape(n, 4).astype(dtype)
    y = layer(x)
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype
    assert all(p.grad.dtype == dtype for p in layer.parameters())


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_sigmoid_in_unit_interval_and_symmetric(x):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = F.sigmoid(x)
        np.testing.assert_allclose(y + F.sigmoid(-x), 1.0, atol=1e-15)
    assert np.all((y >= 0) & (y <= 1))
