"""nnumpy.nn.utils (src/nnumpy/nn/utils.py): clip_grad_norm_ and clip_grad_value_ against torch.nn.utils,
grads that are None, non-finite norms, dtypes and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _parity import DTYPES, TOL

from nnumpy import nn
from nnumpy.nn import Parameter
from nnumpy.nn.utils import clip_grad_norm_, clip_grad_value_

SHAPES = [(3, 4), (4,), (2, 2, 2), (5,)]


def _pairs(dtype, scale, torch, none_at=(3,)):
    """nnumpy Parameters and torch tensors with the same gradients; those at ``none_at`` have none."""
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES):
        p, t = Parameter(np.zeros(shape, dtype=dtype)), torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype).name),
                                                                     requires_grad=True)
        if i not in none_at:
            g = (rng.normal(size=shape) * scale).astype(dtype)
            p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@DTYPES
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.0, 0.5, 1e4])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, dtype, torch):
    ours, theirs = _pairs(dtype, 2.0, torch)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(float(expected), rel=TOL[dtype])
    for p, t in zip(ours, theirs):
        if t.grad is None:
            assert p.grad is None
            continue
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=TOL[dtype], atol=TOL[dtype] * 1e-3)


@DTYPES
@pytest.mark.parametrize("clip_value", [0.0, 0.3, 100.0])
def test_clip_grad_value_matches_torch(clip_value, dtype, torch):
    ours, theirs = _pairs(dtype, 1.0, torch)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, t in zip(ours, theirs):
        if t.grad is not None:
            assert p.grad.dtype == dtype
            np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_clip_grad_norm_worked_example():
    # grads [3, 4] and [12]: ‖g‖₂ = √(9 + 16 + 144) = 13; max_norm 1 scales by 1 / (13 + 1e-6).
    a, b, c = Parameter(np.zeros(2)), Parameter(np.zeros(1)), Parameter(np.zeros(1))
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])
    assert clip_grad_norm_([a, b, c], 1.0) == 13.0
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), np.array([3, 4, 12]) / (13 + 1e-6), rtol=1e-15)
    assert c.grad is None
    # below max_norm: unchanged; the inf-norm is the largest |g|; one Parameter works like a list.
    assert clip_grad_norm_(b, 1.0, norm_type="inf") == pytest.approx(12 / (13 + 1e-6))
    assert clip_grad_norm_(a.__class__(np.zeros(1)), 1.0) == 0.0  # no gradient anywhere


def test_clip_grad_norm_on_a_model_generator():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    model(np.ones((5, 3)))
    model.backward(np.ones((5, 2)))
    total = clip_grad_norm_(model.parameters(), max_norm=0.1)
    after = math.sqrt(sum(float((p.grad**2).sum()) for p in model.parameters()))
    assert total > 0.1 and after == pytest.approx(0.1, rel=1e-5)


def test_clip_grad_norm_non_finite(torch):
    p = Parameter(np.zeros(2))
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match=r"The total norm of order 2.0 of the gradients is non-finite \(inf\)"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad, [np.inf, 1.0])  # untouched when it raises
    for bad in (np.inf, np.nan):
        p.grad = np.array([bad, 1.0])
        t = torch.tensor([bad, 1.0], dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor([bad, 1.0], dtype=torch.float64)
        if bad == np.inf:  # inf · 0: NumPy says so (the gradient had overflowed), torch stays silent
            with pytest.warns(RuntimeWarning, match="invalid value encountered in multiply"):
                total = clip_grad_norm_(p, 1.0)
        else:
            total = clip_grad_norm_(p, 1.0)
        expected = torch.nn.utils.clip_grad_norm_([t], 1.0)
        np.testing.assert_array_equal([total], [float(expected)])
        np.testing.assert_array_equal(p.grad, t.grad.numpy())  # scaled by the non-finite norm, as torch


@pytest.mark.parametrize(
    ("call", "exc", "message"),
    [
        (lambda p: clip_grad_norm_(p, -1.0), ValueError, "The 'max_norm' parameter of clip_grad_norm_ must be a float >= 0. Got -1.0 instead."),
        (lambda p: clip_grad_norm_(p, 1.0, norm_type=0), ValueError, "The 'norm_type' parameter of clip_grad_norm_ must be a float > 0. Got 0 instead."),
        (lambda p: clip_grad_value_(p, -0.5), ValueError, "The 'clip_value' parameter of clip_grad_value_ must be a float >= 0. Got -0.5 instead."),
        (lambda p: clip_grad_norm_(np.zeros(2), 1.0), TypeError, "The 'parameters' parameter of clip_grad_norm_ must be a Parameter or an iterable of Parameters (model.parameters()). Got array([0., 0.]) instead."),
        (lambda p: clip_grad_value_([p, np.zeros(2)], 1.0), TypeError, "clip_grad_value_: parameters[1] is ndarray, not an nnumpy.nn.Parameter."),
    ],
)  # fmt: skip
def test_clip_grad_argument_checks(call, exc, message):
    with pytest.raises(exc) as info:
        call(Parameter(np.zeros(2)))
    assert str(info.value) == message


def test_nn_utils_is_reachable_from_nn():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_ and nn.utils.clip_grad_value_ is clip_grad_value_
