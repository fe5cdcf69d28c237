"""Losses (src/nnumpy/nn/_loss.py): MSE, L1, Huber, BCE, BCEWithLogits, CrossEntropy, NLL.
Gradient check, PyTorch parity, and what parity cannot show: input validation, extremes,
reductions, hypothesis properties.

Hyperparameter messages of every layer and loss are one table in tests/nn/test_layers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import away_from_kinks
from _parity import DTYPES, assert_loss_matches_torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnumpy import nn
from nnumpy.check import gradcheck


# ---------------------------------------------------------------------------- gradient check
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
        ("L1", nn.L1Loss(), logits, logits + away_from_kinks(rng.normal(size=(n, c)))),
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


GRADCHECK = _loss_cases()


@pytest.mark.parametrize("name,loss_fn,pred,target", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_loss_gradcheck_float64(name, loss_fn, pred, target):
    report = gradcheck(loss_fn, pred, target)
    assert report.ok, str(report)
    assert report.max_rel_error <= 1e-6, str(report)


# ---------------------------------------------------------------------------- PyTorch parity
# Same prediction and target → same loss and same d(loss)/d(prediction), every loss and option.
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


@DTYPES
@pytest.mark.parametrize("name,loss_fn,pred,target", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch_value_and_gradient(name, loss_fn, pred, target, dtype, torch):
    assert_loss_matches_torch(loss_fn, pred, target, dtype, seed=1)


@pytest.mark.parametrize("name,loss_fn,pred,target", [c for c in CASES if "BCE-" in c[0] and "mean" in c[0]])
def test_bce_clamps_log_like_torch(name, loss_fn, pred, target, torch):
    """p exactly 0 or 1: PyTorch clamps log at -100, so the loss stays finite."""
    p = np.array([[0.0, 1.0, 0.5, 1e-50]])
    t = np.array([[1.0, 0.0, 1.0, 1.0]])
    fn = nn.BCELoss()
    expected = torch.nn.BCELoss()(torch.tensor(p), torch.tensor(t)).item()
    assert fn(p, t) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------- behaviour
def test_cross_entropy_negative_one_is_an_error_not_the_last_class():
    with pytest.raises(ValueError, match=r"target -1 at position 1 is out of range: class indices must be in \[0, 2\]"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, -1]))


@pytest.mark.parametrize("loss_cls", [nn.CrossEntropyLoss, nn.NLLLoss])
def test_class_index_out_of_range(loss_cls):
    with pytest.raises(ValueError, match=r"target 3 at position 0 is out of range"):
        loss_cls()(np.zeros((2, 3)), np.array([3, 0]))


@pytest.mark.parametrize("loss_cls", [nn.CrossEntropyLoss, nn.NLLLoss])
def test_float_targets_where_indices_required(loss_cls):
    with pytest.raises(TypeError, match=r"expected integer class indices of shape \(2,\), got a float array"):
        loss_cls()(np.zeros((2, 3)), np.array([1.0, 0.0]))


def test_one_hot_rows_with_wrong_width():
    with pytest.raises(ValueError, match=r"expected class-probability target of shape \(2, 3\).*got \(2, 4\)"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.eye(4)[:2])


def test_cross_entropy_input_must_be_2d():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\), got \(3,\)"):
        nn.CrossEntropyLoss()(np.zeros(3), np.array([0]))


def test_target_shape_mismatch_for_elementwise_loss():
    with pytest.raises(ValueError, match=r"MSELoss expected target of the input's shape \(4, 1\), got \(4,\)"):
        nn.MSELoss()(np.zeros((4, 1)), np.zeros(4))


def test_bce_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match=r"BCELoss expected probabilities in \[0, 1\]"):
        nn.BCELoss()(np.array([1.5, 0.2]), np.array([1.0, 0.0]))


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss()],
                         ids=lambda m: type(m).__name__)
def test_loss_backward_before_forward(loss_fn):
    with pytest.raises(RuntimeError, match="before forward"):
        loss_fn.backward()


LOSS_EXTREMES = [
    (nn.CrossEntropyLoss(), np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]), np.array([1, 0])),
    (nn.CrossEntropyLoss(label_smoothing=0.1), np.array([[1e4, -1e4, 0.0], [5.0, 5.0, 5.0]]), np.array([1, 2])),
    (nn.CrossEntropyLoss(), np.array([[1e4, -1e4, 0.0]]), np.array([[0.0, 1.0, 0.0]])),
    (nn.NLLLoss(), np.array([[-1e4, 0.0]]), np.array([0])),
    (nn.BCEWithLogitsLoss(), np.array([1e4, -1e4, 1e4]), np.array([0.0, 1.0, 1.0])),
    (nn.BCEWithLogitsLoss(pos_weight=[3.0]), np.array([[1e4], [-1e4]]), np.array([[0.0], [1.0]])),
    (nn.BCELoss(), np.array([0.0, 1.0, 1.0]), np.array([1.0, 0.0, 1.0])),
    (nn.MSELoss(), np.array([1e4, -1e4]), np.array([0.0, 0.0])),
    (nn.HuberLoss(), np.array([1e4, -1e4]), np.array([0.0, 0.0])),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss_fn,pred,target", LOSS_EXTREMES, ids=[type(c[0]).__name__ for c in LOSS_EXTREMES])
def test_losses_finite_at_extreme_inputs_with_fp_errors_raised(loss_fn, pred, target, dtype):
    target = target.astype(dtype) if target.dtype.kind == "f" else target
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = loss_fn(pred.astype(dtype), target)
        grad = loss_fn.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad.dtype == dtype


def test_cross_entropy_equal_logits_gives_log_c():
    loss = nn.CrossEntropyLoss()(np.zeros((3, 5)), np.array([0, 1, 4]))
    assert loss == pytest.approx(np.log(5))


def test_cross_entropy_ignore_index_default_target_is_skipped():
    fn = nn.CrossEntropyLoss()
    full = fn(np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, -100]))
    assert not fn.backward()[1].any()
    assert full == pytest.approx(fn(np.array([[2.0, 0.0]]), np.array([0])))


def test_reduction_none_backward_takes_grad_output():
    fn = nn.MSELoss(reduction="none")
    per = fn(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    np.testing.assert_allclose(per, [1.0, 4.0])
    np.testing.assert_allclose(fn.backward(), [2.0, 4.0])
    np.testing.assert_allclose(fn.backward(np.array([0.5, 0.0])), [1.0, 0.0])
    with pytest.raises(ValueError, match=r"expected grad_output of shape \(2,\)"):
        fn.backward(np.ones(3))


# ---------------------------------------------------------------------------- properties
finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)
logits_2d = st.integers(1, 6).flatmap(
    lambda n: st.integers(2, 7).flatmap(lambda c: arrays(np.float64, (n, c), elements=finite))
)


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
