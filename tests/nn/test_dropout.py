"""Dropout (src/nnumpy/nn/_dropout.py): gradient check with a fixed mask, PyTorch parity, behaviour.

Contracts every layer keeps are tables in tests/nn/test_layers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, assert_layer_gradcheck
from _parity import DTYPES, TOL, assert_layer_matches_torch

from nnumpy import nn


@pytest.mark.parametrize("seed", SEEDS)
def test_dropout_gradcheck_float64_with_fixed_mask(seed):
    # gradcheck replays the layer's mask (it restores the layer's rng state before every forward)
    assert_layer_gradcheck(nn.Dropout(0.4, rng=3), (6, 5), seed)


@DTYPES
def test_dropout_eval_matches_torch_forward_and_gradients(dtype, torch):
    assert_layer_matches_torch(nn.Dropout(0.4, rng=0).eval(), (6, 5), dtype)


@DTYPES
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


def test_dropout_is_identity_in_eval_and_reproducible_with_seed():
    x = np.ones((100, 10), np.float32)
    assert np.array_equal(nn.Dropout(0.5, rng=0).eval()(x), x)
    a, b = nn.Dropout(0.5, rng=3)(x), nn.Dropout(0.5, rng=3)(x)
    assert np.array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}
