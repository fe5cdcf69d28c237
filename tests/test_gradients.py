"""Float64 central-difference checks of every layer and loss (max relative error ≤ 1e-6),
plus a whole network checked along a random direction."""

from __future__ import annotations

import numpy as np
import pytest

from nnumpy import nn
from nnumpy.check import gradcheck


def _away_from_kinks(x):
    """Keep samples at least 0.05 from 0, where ReLU-like layers have a kink."""
    return np.where(np.abs(x) < 0.05, np.sign(x + 1e-12) * 0.05 + x, x)


LAYERS = [
    ("Linear", lambda: nn.Linear(5, 4, rng=1), (6, 5)),
    ("Linear-nobias", lambda: nn.Linear(5, 4, bias=False, rng=1), (6, 5)),
    ("Linear-3d", lambda: nn.Linear(5, 4, rng=1), (2, 3, 5)),
    ("Identity", nn.Identity, (6, 5)),
    ("Flatten", nn.Flatten, (3, 2, 2, 2)),
    ("ReLU", nn.ReLU, (6, 5)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (6, 5)),
    ("ELU", nn.ELU, (6, 5)),
    ("GELU", nn.GELU, (6, 5)),
    ("GELU-tanh", lambda: nn.GELU("tanh"), (6, 5)),
    ("Sigmoid", nn.Sigmoid, (6, 5)),
    ("Tanh", nn.Tanh, (6, 5)),
    ("Softplus", nn.Softplus, (6, 5)),
    ("Softplus-threshold", lambda: nn.Softplus(beta=2.0, threshold=1.0), (6, 5)),
    ("Softmax", lambda: nn.Softmax(dim=1), (6, 5)),
    ("Softmax-dim0", lambda: nn.Softmax(dim=0), (6, 5)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=1), (6, 5)),
    ("Dropout-fixed-mask", lambda: nn.Dropout(0.4, rng=3), (6, 5)),
    ("BatchNorm1d-train", lambda: nn.BatchNorm1d(5), (6, 5)),
    ("BatchNorm1d-train-3d", lambda: nn.BatchNorm1d(5), (4, 5, 3)),
    ("BatchNorm1d-eval", lambda: nn.BatchNorm1d(5).eval(), (6, 5)),
    ("BatchNorm1d-noaffine", lambda: nn.BatchNorm1d(5, affine=False), (6, 5)),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name,factory,shape", LAYERS, ids=[n for n, _, _ in LAYERS])
def test_layer_gradcheck_float64(name, factory, shape, seed):
    layer = factory()
    if isinstance(layer, nn.BatchNorm1d) and layer.affine:
        rng = np.random.default_rng(100 + seed)
        layer.weight.data[...] = rng.normal(size=layer.num_features)
        layer.bias.data[...] = rng.normal(size=layer.num_features)
    x = _away_from_kinks(np.random.default_rng(seed).normal(size=shape) * 2)
    report = gradcheck(layer, x, rng=seed)
    assert report.ok, str(report)
    assert report.max_rel_error <= 1e-6, str(report)
    # every parameter was checked, biases included
    assert {c.name for c in report.checks} == {"input"} | {n for n, _ in layer.named_parameters()}


def _loss_cases():
    rng = np.random.default_rng(7)
    n, c = 5, 4
    logits = rng.normal(size=(n, c)) * 2
    idx = rng.integers(0, c, size=n)
    ign = idx.copy()
    ign[2] = -100
    w = rng.uniform(0.5, 2, size=c)
    return [
        ("MSE", nn.MSELoss(), logits, rng.normal(size=(n, c))),
        ("MSE-sum", nn.MSELoss(reduction="sum"), logits, rng.normal(size=(n, c))),
        ("MSE-none", nn.MSELoss(reduction="none"), logits, rng.normal(size=(n, c))),
        ("L1", nn.L1Loss(), logits, logits + _away_from_kinks(rng.normal(size=(n, c)))),
        ("Huber", nn.HuberLoss(delta=0.8), logits, logits + rng.uniform(0.1, 0.6, (n, c)) * rng.choice([-1, 1, 3], (n, c))),
        ("BCE", nn.BCELoss(), rng.uniform(0.05, 0.95, (n, c)), rng.uniform(0, 1, (n, c))),
        ("BCE-weight-sum", nn.BCELoss(weight=w, reduction="sum"), rng.uniform(0.05, 0.95, (n, c)), rng.integers(0, 2, (n, c)).astype(float)),
        ("BCEWithLogits", nn.BCEWithLogitsLoss(), logits, rng.uniform(0, 1, (n, c))),
        ("BCEWithLogits-posw", nn.BCEWithLogitsLoss(pos_weight=w, reduction="none"), logits, rng.uniform(0, 1, (n, c))),
        ("CE", nn.CrossEntropyLoss(), logits, idx),
        ("CE-sum", nn.CrossEntropyLoss(reduction="sum"), logits, idx),
        ("CE-none", nn.CrossEntropyLoss(reduction="none"), logits, idx),
        ("CE-weight-smooth-ignore", nn.CrossEntropyLoss(weight=w, label_smoothing=0.1), logits, ign),
        ("CE-probs", nn.CrossEntropyLoss(), logits, rng.dirichlet(np.ones(c), size=n)),
        ("CE-onehot-smooth", nn.CrossEntropyLoss(label_smoothing=0.2), logits, np.eye(c)[idx]),
        ("NLL", nn.NLLLoss(), logits, idx),
        ("NLL-weight-ignore", nn.NLLLoss(weight=w), logits, ign),
    ]


LOSSES = _loss_cases()


@pytest.mark.parametrize("name,loss_fn,pred,target", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_gradcheck_float64(name, loss_fn, pred, target):
    report = gradcheck(loss_fn, pred, target)
    assert report.ok, str(report)
    assert report.max_rel_error <= 1e-6, str(report)


def test_network_gradcheck_along_random_direction():
    """A whole MLP + loss: directional derivative (L(θ+εv) − L(θ−εv))/2ε equals ⟨∇L, v⟩."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(6, 8, dtype=np.float64, rng=1), nn.Tanh(), nn.Linear(8, 8, dtype=np.float64, rng=2),
        nn.Sigmoid(), nn.Linear(8, 3, dtype=np.float64, rng=3),
    )
    loss_fn = nn.CrossEntropyLoss()
    x, y = rng.normal(size=(10, 6)), rng.integers(0, 3, 10)
    params = list(model.parameters())
    model.zero_grad()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    v = [rng.normal(size=p.shape) for p in params]
    analytic = sum(float(np.sum(p.grad * d)) for p, d in zip(params, v))
    eps = 1e-6
    base = [p.data.copy() for p in params]

    def loss_at(sign):
        for p, b, d in zip(params, base, v):
            p.data = b + sign * eps * d
        return loss_fn(model(x), y)

    numeric = (loss_at(1) - loss_at(-1)) / (2 * eps)
    assert abs(analytic - numeric) / max(abs(numeric), 1e-8) < 1e-6


def test_gradcheck_refuses_float32_request():
    with pytest.raises(ValueError, match="float64 only"):
        gradcheck(nn.Sigmoid(), np.ones((2, 2)), dtype=np.float32)


def test_gradcheck_upcasts_float32_module_without_touching_it():
    layer = nn.Linear(3, 2, rng=0)
    before = layer.weight.data.copy()
    report = gradcheck(layer, np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    assert report.ok and report.max_rel_error < 1e-6
    assert layer.weight.dtype == np.float32 and np.array_equal(layer.weight.data, before)


def test_gradcheck_report_names_worst_entry():
    class Wrong(nn.Linear):
        def backward(self, grad_output):
            gx = super().backward(grad_output)
            gx[1, 2] += 1.0
            return gx

    report = gradcheck(Wrong(3, 2, rng=0), np.random.default_rng(1).normal(size=(4, 3)))
    assert not report.ok
    row = next(c for c in report.checks if c.name == "input")
    assert row.worst_index == (1, 2)
    assert "(1, 2)" in str(report) and "FAIL" in str(report)
