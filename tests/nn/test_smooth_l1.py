"""SmoothL1Loss (src/nnumpy/nn/_loss.py): gradient check, PyTorch parity over β and reductions,
and what parity cannot show: β = 0 (L1), β = 1 (Huber), no overflow far in the linear branch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _parity import DTYPES, TOL, tensor, torch_loss

from nnumpy import nn
from nnumpy.check import gradcheck

BETAS = [0.0, 0.5, 1.0, 2.5]
REDUCTIONS = ["mean", "sum", "none"]


def _pred_target(beta, shape=(6, 4), seed=0):
    """Differences on both branches, kept 0.05 away from the kinks at ±β (and at 0 when β = 0)."""
    rng = np.random.default_rng(seed)
    target = rng.normal(size=shape)
    scale = max(beta, 0.5)
    d = rng.uniform(0.05, 3.0, size=shape) * scale * rng.choice([-1.0, 1.0], size=shape)
    d = np.where(np.abs(np.abs(d) - beta) < 0.05, d + 0.1 * np.sign(d), d)
    return target + d, target


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", BETAS)
def test_smooth_l1_gradcheck_float64(beta, reduction):
    pred, target = _pred_target(beta)
    report = gradcheck(nn.SmoothL1Loss(reduction=reduction, beta=beta), pred, target)
    assert report.ok, str(report)
    assert report.max_rel_error <= 1e-6, str(report)


@DTYPES
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", BETAS)
def test_smooth_l1_matches_torch_value_and_gradient(beta, reduction, dtype, torch):
    pred, target = _pred_target(beta, seed=1)
    pred[0, :3] = target[0, :3] + np.array([beta, -beta, 0.0])  # exactly on the kinks: same branch as torch
    pred, target = pred.astype(dtype), target.astype(dtype)
    loss_fn = nn.SmoothL1Loss(reduction=reduction, beta=beta)
    twin = torch_loss(loss_fn, dtype)
    value = loss_fn(pred, target)
    pt = tensor(pred, dtype, requires_grad=True)
    vt = twin(pt, tensor(target, dtype))
    go = np.random.default_rng(2).normal(size=np.shape(value)).astype(dtype) if reduction == "none" else None
    grad = loss_fn.backward(go)
    vt.backward(None if go is None else torch.from_numpy(go))
    expected = vt.detach().numpy()
    assert np.abs(np.asarray(value) - expected).max() / max(1.0, float(np.abs(expected).max())) <= TOL[dtype]
    assert grad.dtype == dtype
    assert np.abs(grad - pt.grad.numpy()).max() / max(1.0, float(np.abs(pt.grad.numpy()).max())) <= TOL[dtype]
    if reduction == "none":
        assert value.dtype == dtype and value.shape == pred.shape
    else:
        assert isinstance(value, float)


def test_smooth_l1_worked_example():
    # β = 0.5: d = 0.25 is quadratic, ½·0.25²/0.5 = 0.0625; d = -2 is linear, 2 - 0.25 = 1.75.
    loss_fn = nn.SmoothL1Loss(reduction="none", beta=0.5)
    np.testing.assert_array_equal(loss_fn(np.array([0.25, -2.0]), np.zeros(2)), [0.0625, 1.75])
    np.testing.assert_array_equal(loss_fn.backward(), [0.5, -1.0])  # d/β, sign(d)


def test_smooth_l1_beta_0_is_l1_and_beta_1_is_huber():
    pred, target = _pred_target(1.0, seed=3)
    for reduction in REDUCTIONS:
        smooth0, l1 = nn.SmoothL1Loss(reduction, beta=0.0), nn.L1Loss(reduction)
        np.testing.assert_array_equal(smooth0(pred, target), l1(pred, target))
        np.testing.assert_array_equal(smooth0.backward(), l1.backward())
        smooth1, huber = nn.SmoothL1Loss(reduction), nn.HuberLoss(reduction, delta=1.0)
        np.testing.assert_allclose(smooth1(pred, target), huber(pred, target), rtol=1e-15)
        np.testing.assert_allclose(smooth1.backward(), huber.backward(), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smooth_l1_huge_differences_stay_finite_without_warnings(dtype):
    big = np.finfo(dtype).max / 4
    pred = np.array([big, -big, 0.5], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = nn.SmoothL1Loss(reduction="none", beta=1e-30)(pred, np.zeros(3, dtype=dtype))
        grad = nn.SmoothL1Loss(reduction="sum", beta=1e-30)
        grad(pred, np.zeros(3, dtype=dtype))
        g = grad.backward()
    assert np.isfinite(value).all() and value.dtype == dtype
    np.testing.assert_array_equal(g, np.array([1.0, -1.0, 1.0], dtype=dtype))


def test_smooth_l1_config_and_checks():
    loss_fn = nn.SmoothL1Loss(reduction="sum", beta=0.25)
    assert loss_fn.get_config() == {"reduction": "sum", "beta": 0.25}
    assert nn.LOSSES["SmoothL1Loss"] is nn.SmoothL1Loss
    with pytest.raises(ValueError) as info:
        nn.SmoothL1Loss(beta=-1.0)
    assert str(info.value) == "The 'beta' parameter of SmoothL1Loss must be a float >= 0. Got -1.0 instead."
    with pytest.raises(ValueError, match="expected target of the input's shape"):
        loss_fn(np.zeros(3), np.zeros(4))
