"""Dropout2d (src/nnumpy/nn/_dropout.py): whole channels dropped, gradient check with a fixed
mask, the math of PyTorch's Dropout2d given the same mask, eval identity, errors."""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, assert_layer_gradcheck
from _parity import DTYPES, TOL, assert_layer_matches_torch

from nnumpy import nn


@pytest.mark.parametrize("seed", SEEDS)
def test_dropout2d_gradcheck_float64_with_its_mask_replayed(seed):
    assert_layer_gradcheck(nn.Dropout2d(0.4, rng=3), (3, 4, 3, 2), seed)


@DTYPES
def test_dropout2d_matches_torch_in_eval(dtype, torch):
    assert_layer_matches_torch(nn.Dropout2d(0.4, rng=0).eval(), (2, 3, 4, 4), dtype)


@DTYPES
def test_dropout2d_zeroes_whole_channels_with_torch_scale(dtype):
    """Given the mask, y = x·m[n, c]/(1 − p) and dL/dx = G·m[n, c]/(1 − p), as torch's Dropout2d documents."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 30, 3, 4)).astype(dtype)
    layer = nn.Dropout2d(0.3, rng=7)
    y = layer(x)
    kept = np.abs(y).reshape(40, 30, -1).max(axis=2) > 0  # (N, C): channel kept?
    np.testing.assert_allclose(y, np.where(kept[:, :, None, None], x / 0.7, 0.0), rtol=TOL[dtype])
    assert 0.6 < kept.mean() < 0.8
    g = rng.normal(size=x.shape).astype(dtype)
    gx = layer.backward(g)
    assert gx.dtype == y.dtype == dtype
    np.testing.assert_allclose(gx, np.where(kept[:, :, None, None], g / 0.7, 0.0), rtol=TOL[dtype])


def test_dropout2d_is_identity_in_eval_and_reproducible_with_seed():
    x = np.ones((8, 6, 2, 2), np.float32)
    assert np.array_equal(nn.Dropout2d(0.5, rng=0).eval()(x), x)
    assert np.array_equal(nn.Dropout2d(0.5, rng=3)(x), nn.Dropout2d(0.5, rng=3)(x))
    assert np.array_equal(nn.Dropout2d(0.0)(x), x)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4, 4), (1, 2, 3, 4, 5)])
def test_dropout2d_wants_images_in_train_and_eval(shape):
    for layer in (nn.Dropout2d(0.5, rng=0), nn.Dropout2d(0.5, rng=0).eval()):
        with pytest.raises(ValueError, match=rf"Dropout2d\(p=0.5\) expected input of shape \(N, C, H, W\), got {re_shape(shape)}"):
            layer(np.ones(shape))


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def test_dropout2d_arguments_and_grad_output():
    with pytest.raises(ValueError, match=r"The 'p' parameter of Dropout2d must be a float in \[0, 1\). Got 1.0 instead."):
        nn.Dropout2d(1.0)
    layer = nn.Dropout2d(0.5, rng=0)
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.ones((1, 1, 2, 2)))
    layer(np.ones((1, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"Dropout2d.backward expected grad_output of shape \(1, 2, 2, 2\)"):
        layer.backward(np.ones((1, 2, 4)))
