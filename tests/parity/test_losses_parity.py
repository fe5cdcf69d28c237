"""PyTorch parity for every loss and its options: same prediction and target → same
loss and same d(loss)/d(prediction). 1e-10 in float64, 1e-5 in float32."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnumpy import nn

from ._bridge import tensor, torch_loss

TOL = {np.float64: 1e-10, np.float32: 1e-5}
N, C = 7, 4


def _targets(rng):
    idx = rng.integers(0, C, size=N)
    probs = rng.dirichlet(np.ones(C), size=N)
    ignored = idx.copy()
    ignored[[1, 4]] = -100
    ignored5 = idx.copy()
    ignored5[[0, 2]] = 3  # ignore_index=3 below
    return idx, probs, ignored, ignored5


def _cases():
    rng = np.random.default_rng(42)
    idx, probs, ignored, ignored3 = _targets(rng)
    logits = rng.normal(size=(N, C)) * 3
    reg_t = rng.normal(size=(N, C))
    p = rng.uniform(0.02, 0.98, size=(N, C))
    bin_t = rng.integers(0, 2, size=(N, C)).astype(float)
    soft_t = rng.uniform(0, 1, size=(N, C))
    w = rng.uniform(0.5, 2.0, size=C)
    cases = []
    for red in ("mean", "sum", "none"):
        cases += [
            (f"MSE-{red}", nn.MSELoss(reduction=red), logits, reg_t),
            (f"L1-{red}", nn.L1Loss(reduction=red), logits, reg_t),
            (f"Huber-{red}", nn.HuberLoss(reduction=red, delta=0.7), logits, reg_t),
            (f"BCE-{red}", nn.BCELoss(reduction=red), p, soft_t),
            (f"BCE-weight-{red}", nn.BCELoss(weight=w, reduction=red), p, bin_t),
            (f"BCEWithLogits-{red}", nn.BCEWithLogitsLoss(reduction=red), logits, soft_t),
            (f"BCEWithLogits-posw-{red}", nn.BCEWithLogitsLoss(reduction=red, pos_weight=w, weight=w[::-1].copy()), logits, bin_t),
            (f"CE-{red}", nn.CrossEntropyLoss(reduction=red), logits, idx),
            (f"CE-weight-{red}", nn.CrossEntropyLoss(weight=w, reduction=red), logits, idx),
            (f"CE-smooth-{red}", nn.CrossEntropyLoss(label_smoothing=0.2, reduction=red), logits, idx),
            (f"CE-weight-smooth-{red}", nn.CrossEntropyLoss(weight=w, label_smoothing=0.15, reduction=red), logits, idx),
            (f"CE-ignore-{red}", nn.CrossEntropyLoss(reduction=red), logits, ignored),
            (f"CE-ignore3-weight-smooth-{red}",
             nn.CrossEntropyLoss(weight=w, ignore_index=3, label_smoothing=0.1, reduction=red), logits, ignored3),
            (f"CE-ignore-smooth-{red}", nn.CrossEntropyLoss(label_smoothing=0.1, reduction=red), logits, ignored),
            (f"CE-probs-{red}", nn.CrossEntropyLoss(reduction=red), logits, probs),
            (f"CE-probs-weight-smooth-{red}", nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, reduction=red), logits, probs),
            (f"NLL-{red}", nn.NLLLoss(reduction=red), logits - 2, idx),
            (f"NLL-weight-ignore-{red}", nn.NLLLoss(weight=w, reduction=red), logits - 2, ignored),
        ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,loss_fn,pred,target", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch_value_and_gradient(name, loss_fn, pred, target, dtype):
    twin = torch_loss(loss_fn, dtype)
    pred = pred.astype(dtype)
    target = target.astype(dtype) if target.dtype.kind == "f" else target
    value = loss_fn(pred, target)
    pt = tensor(pred, dtype, requires_grad=True)
    tt = tensor(target, dtype) if target.dtype.kind == "f" else torch.from_numpy(target)
    vt = twin(pt, tt)
    go = np.random.default_rng(1).normal(size=np.shape(value)).astype(dtype) if loss_fn.reduction == "none" else None
    grad = loss_fn.backward(go)
    vt.backward(None if go is None else torch.from_numpy(go))
    expected = vt.detach().numpy()
    scale = max(1.0, float(np.abs(expected).max()))
    assert np.abs(np.asarray(value) - expected).max() / scale <= TOL[dtype]
    gscale = max(1.0, float(np.abs(pt.grad.numpy()).max()))
    assert grad.dtype == dtype
    assert np.abs(grad - pt.grad.numpy()).max() / gscale <= TOL[dtype]
    if loss_fn.reduction != "none":
        assert isinstance(value, float)


@pytest.mark.parametrize("name,loss_fn,pred,target", [c for c in CASES if "BCE-" in c[0] and "mean" in c[0]])
def test_bce_clamps_log_like_torch(name, loss_fn, pred, target):
    """p exactly 0 or 1: PyTorch clamps log at -100, so the loss stays finite."""
    p = np.array([[0.0, 1.0, 0.5, 1e-50]])
    t = np.array([[1.0, 0.0, 1.0, 1.0]])
    fn = nn.BCELoss()
    expected = torch.nn.BCELoss()(torch.tensor(p), torch.tensor(t)).item()
    assert fn(p, t) == pytest.approx(expected, rel=1e-12)
