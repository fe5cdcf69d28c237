"""Loss behaviour that parity cannot show: input validation, extremes, reductions."""

from __future__ import annotations

import numpy as np
import pytest

from nnumpy import nn


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


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: nn.MSELoss(reduction="avg"), "The 'reduction' parameter of MSELoss must be one of 'mean', 'sum', 'none'. Got 'avg' instead."),
        (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), "The 'label_smoothing' parameter of CrossEntropyLoss must be a float in [0, 1]. Got 1.5 instead."),
        (lambda: nn.HuberLoss(delta=0), "The 'delta' parameter of HuberLoss must be a float > 0. Got 0 instead."),
        (lambda: nn.CrossEntropyLoss(weight=[[1.0]]), "must be a 1-D array of C class weights"),
        (lambda: nn.Dropout(p=1.0), "The 'p' parameter of Dropout must be a float in [0, 1). Got 1.0 instead."),
        (lambda: nn.Dropout(p=-0.1), "The 'p' parameter of Dropout must be a float in [0, 1). Got -0.1 instead."),
        (lambda: nn.Linear(0, 3), "The 'in_features' parameter of Linear must be an int >= 1. Got 0 instead."),
        (lambda: nn.Linear(3, 2, dtype=np.int32), "The 'dtype' parameter of Linear must be float32 or float64. Got int32 instead."),
        (lambda: nn.GELU(approximate="fast"), "The 'approximate' parameter of GELU must be one of 'none', 'tanh'. Got 'fast' instead."),
        (lambda: nn.BatchNorm1d(3, momentum=2.0), "The 'momentum' parameter of BatchNorm1d must be a float in [0, 1]. Got 2.0 instead."),
    ],
)
def test_invalid_hyperparameters_get_the_documented_message(make, message):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    assert message in str(info.value)


def test_invalid_hyperparameter_types_raise_type_error():
    with pytest.raises(TypeError, match="The 'p' parameter of Dropout must be a float"):
        nn.Dropout(p="0.5")
    with pytest.raises(TypeError, match="The 'in_features' parameter of Linear must be an int"):
        nn.Linear(3.0, 2)


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
