"""CrossEntropyLoss and NLLLoss on (N, C, d1, …) inputs with (N, d1, …) targets (src/nnumpy/nn/_loss.py):
PyTorch parity, gradient check, equivalence with the flattened 2-D loss, errors.

The parity rows are PyTorch's own module tests (torch/testing/_internal/common_modules.py
``module_inputs_torch_nn_CrossEntropyLoss`` and ``..._NLLLoss``): every constructor case and
reduction on their 3-d, 4-d and higher-dimensional shapes, probability targets included.
"""

from __future__ import annotations

import numpy as np
import pytest
from _parity import DTYPES, assert_loss_matches_torch

from nnumpy import nn
from nnumpy.check import gradcheck


def _log_softmax(x):
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def _ce_cases():
    rng = np.random.default_rng(0)
    w = rng.uniform(0.2, 2.0, size=3)
    kwargs = [("", {}), ("weights", {"weight": w}), ("ignore_index", {"ignore_index": 1}),
              ("label_smoothing", {"label_smoothing": 0.15}),
              ("ignore_index_label_smoothing", {"ignore_index": 1, "label_smoothing": 0.15})]
    cases = []
    for reduction in ("mean", "sum", "none"):
        for desc, kw in kwargs:
            for shape_name, shape in (("3d", (2, 3, 5)), ("4d", (2, 3, 5, 5)), ("higher_dim", (2, 3, 5, 5, 2, 2))):
                x = rng.normal(size=shape) * 2
                t = rng.integers(0, 3, size=shape[:1] + shape[2:])
                cases.append((f"CE-{shape_name}_{desc}_{reduction}", nn.CrossEntropyLoss(reduction=reduction, **kw), x, t))
            if "ignore_index" not in kw:
                for shape_name, shape in (("3d", (5, 3, 4)), ("4d", (5, 3, 4, 2)), ("higher_dim", (2, 3, 5, 5, 2, 2))):
                    x = rng.normal(size=shape)
                    p = np.exp(_log_softmax(rng.normal(size=shape)))
                    cases.append((f"CE-{shape_name}_prob_target_{desc}_{reduction}",
                                  nn.CrossEntropyLoss(reduction=reduction, **kw), x, p))
    return cases


def _nll_cases():
    rng = np.random.default_rng(1)
    w = np.abs(rng.normal(size=4))
    kwargs = [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_none", {"reduction": "none"}),
              ("ignore_index", {"ignore_index": 2}), ("weights", {"weight": w}),
              ("weights_ignore_index", {"weight": w, "ignore_index": 2}),
              ("weights_ignore_index_neg", {"weight": w, "ignore_index": -1})]
    cases = []
    for desc, kw in kwargs:
        for shape_name, shape in (("3d", (2, 4, 5)), ("nd", (2, 4, 5, 5)), ("higher_dim", (2, 4, 5, 5, 2, 2))):
            x = _log_softmax(rng.normal(size=shape))
            t = rng.integers(0, 4, size=shape[:1] + shape[2:])
            if kw.get("ignore_index") == -1:
                t.flat[::7] = -1
            cases.append((f"NLL-{shape_name}_{desc}", nn.NLLLoss(**kw), x, t))
    return cases


CASES = _ce_cases() + _nll_cases()


@DTYPES
@pytest.mark.parametrize("name,loss_fn,pred,target", CASES, ids=[c[0] for c in CASES])
def test_nd_class_loss_matches_torch_value_and_gradient(name, loss_fn, pred, target, dtype, torch):
    assert_loss_matches_torch(loss_fn, pred, target, dtype, seed=2)


GRADCHECK = [c for c in CASES if c[0].startswith(("CE-4d", "NLL-nd"))]


@pytest.mark.parametrize("name,loss_fn,pred,target", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_nd_class_loss_gradcheck_float64(name, loss_fn, pred, target):
    """ε = 1e-5: a 'mean' over 50 pixels makes every gradient entry ~1/50 smaller while the
    rounding noise of the loss, ~1e-16/ε, stays; at ε = 1e-6 that noise alone is ~5e-6 of the
    smallest entries. At 1e-5 it is 10× less, and the truncation error (~ε²) is still far below."""
    report = gradcheck(loss_fn, pred, target, eps=1e-5)
    assert report.ok and report.max_rel_error <= 1e-6, str(report)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nd_cross_entropy_is_the_2d_loss_on_one_row_per_pixel(reduction):
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(2, 4, 3, 5)), rng.integers(0, 4, size=(2, 3, 5))
    t[0, 1, 2] = -100
    kw = dict(weight=rng.uniform(0.5, 2, 4), label_smoothing=0.1, reduction=reduction)
    nd, flat = nn.CrossEntropyLoss(**kw), nn.CrossEntropyLoss(**kw)
    rows = np.moveaxis(x, 1, -1).reshape(-1, 4)  # (N·H·W, C)
    np.testing.assert_allclose(np.asarray(nd(x, t)).reshape(-1), np.asarray(flat(rows, t.reshape(-1))).reshape(-1), rtol=1e-14)
    np.testing.assert_allclose(np.moveaxis(nd.backward(), 1, -1).reshape(-1, 4), flat.backward(), rtol=1e-14)


@pytest.mark.parametrize(
    "loss_fn,shape,target,error,message",
    [
        (nn.CrossEntropyLoss(), (2, 3, 4, 4), np.zeros((2, 4, 3), int), ValueError,
         r"CrossEntropyLoss expected target of shape \(2, 4, 4\) for input of shape \(2, 3, 4, 4\), got \(2, 4, 3\)"),
        (nn.NLLLoss(), (2, 3, 4), np.zeros((2, 3, 4), int), ValueError,
         r"NLLLoss expected target of shape \(2, 4\) for input of shape \(2, 3, 4\), got \(2, 3, 4\)"),
        (nn.CrossEntropyLoss(), (2, 3, 2, 2), np.array([[[0, 1], [2, 3]], [[0, 0], [0, 0]]]), ValueError,
         r"CrossEntropyLoss target 3 at position \(0, 1, 1\) is out of range: class indices must be in \[0, 2\]"),
        (nn.NLLLoss(), (2, 3, 2, 2), -np.ones((2, 2, 2), int), ValueError,
         r"NLLLoss target -1 at position \(0, 0, 0\) is out of range"),
        (nn.CrossEntropyLoss(), (2, 3, 2), np.zeros((2, 2)), TypeError,
         r"expected integer class indices of shape \(2, 2\), got a float array of shape \(2, 2\)"),
        (nn.CrossEntropyLoss(), (2, 3, 2), np.zeros((2, 4, 2)), ValueError,
         r"expected class-probability target of shape \(2, 3, 2\) \(C=3 probabilities per sample on axis 1\), got \(2, 4, 2\)"),
        (nn.CrossEntropyLoss(weight=np.ones(4)), (2, 3, 2), np.zeros((2, 2), int), ValueError,
         r"CrossEntropyLoss has 4 class weights but the input has C=3 classes"),
    ],
    ids=["ce-target-shape", "nll-target-shape", "ce-out-of-range", "nll-negative", "float-indices", "prob-shape", "weights"],
)
def test_nd_class_loss_bad_target_names_expected_and_got(loss_fn, shape, target, error, message):
    with pytest.raises(error, match=message):
        loss_fn(np.zeros(shape), target)


def test_nd_class_loss_none_backward_checks_grad_output_shape():
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    loss_fn(np.zeros((2, 3, 4, 5)), np.zeros((2, 4, 5), int))
    with pytest.raises(ValueError, match=r"expected grad_output of shape \(2, 4, 5\), got \(2, 20\)"):
        loss_fn.backward(np.ones((2, 20)))
