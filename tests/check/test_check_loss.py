"""check_loss: the learner's report for a hand-written loss. The tutorial's loss bug and the
loss bugs below must be caught, their correct twins and the built-in losses must pass."""

from __future__ import annotations

import numpy as np
import pytest

from nnumpy import nn
from nnumpy.check import check_loss
from nnumpy.nn import Loss


def test_check_loss_catches_tutorial_missing_n(tutorial):
    ns, _ = tutorial
    report = check_loss(ns["MSEMissingN"](), (4, 3), np.zeros((4, 3)))
    assert report.failed == ["gradient"]
    assert "12× too large" in report.failures[0] and "missing 1/N" in report.failures[0]


# ---------------------------------------------------------------------------- no false alarms

_T_REAL = np.random.default_rng(1).normal(size=(4, 3))
_T_PROB = np.random.default_rng(1).uniform(size=(4, 3))
_T_IDX = np.array([0, 2, 1, 2])
BUILTIN_LOSSES = {
    "MSELoss": (nn.MSELoss, _T_REAL),
    "MSELoss-sum": (lambda: nn.MSELoss(reduction="sum"), _T_REAL),
    "L1Loss": (nn.L1Loss, _T_REAL),
    "HuberLoss": (nn.HuberLoss, _T_REAL),
    "BCELoss": (nn.BCELoss, _T_PROB),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss, _T_PROB),
    "CrossEntropyLoss": (nn.CrossEntropyLoss, _T_IDX),
    "CrossEntropyLoss-none": (lambda: nn.CrossEntropyLoss(reduction="none"), _T_IDX),
    "NLLLoss": (nn.NLLLoss, _T_IDX),
}


@pytest.mark.parametrize("name", list(BUILTIN_LOSSES))
def test_check_loss_passes_builtin_loss(name):
    make, target = BUILTIN_LOSSES[name]
    report = check_loss(make(), (4, 3), target)
    assert report.ok, report


def test_check_loss_probability_fallback_noted():
    report = check_loss(nn.BCELoss(), (4, 3), _T_PROB)
    assert report.ok and "probabilities" in report.notes[0]
    assert "exactly 0 and 1" in str(report)


# ---------------------------------------------------------------------------- loss bugs


class _MSE(Loss):
    def forward(self, pred, target):
        self.diff = pred - target
        return float(np.mean(self.diff**2))

    def backward(self, grad_output=None):
        return 2.0 * self.diff / self.diff.size


class _MSEScalesCache(_MSE):
    def backward(self, grad_output=None):
        self.diff *= 2.0 / self.diff.size  # scales its cache: the second call is different
        return self.diff


class _MSENotReduced(_MSE):
    def forward(self, pred, target):
        self.diff = pred - target
        return self.diff**2


class _CENaive(Loss):
    """Cross-entropy with a softmax that does not subtract the max: overflows at logits of 1000."""

    def forward(self, pred, target):
        e = np.exp(pred)
        self.p = e / e.sum(axis=1, keepdims=True)
        self.t = target
        return float(-np.mean(np.log(self.p[np.arange(len(target)), target])))

    def backward(self, grad_output=None):
        g = self.p.copy()
        g[np.arange(len(self.t)), self.t] -= 1.0
        return g / len(self.t)


class _MSEModifiesPred(_MSE):
    def forward(self, pred, target):
        pred -= target
        self.diff = pred.copy()
        return float(np.mean(self.diff**2))


LOSS_BUGS = {
    "backward scales its cache": (_MSEScalesCache, _T_REAL, "repeatable", "self.grad /= n"),
    "loss not reduced": (_MSENotReduced, _T_REAL, "forward", "one number"),
    "softmax without max shift": (_CENaive, _T_IDX, "large_inputs", "logsumexp"),
    "forward modifies pred": (_MSEModifiesPred, _T_REAL, "forward", "in place"),
}


@pytest.mark.parametrize("name", list(LOSS_BUGS))
def test_check_loss_catches_bug(name):
    cls, target, check, phrase = LOSS_BUGS[name]
    report = check_loss(cls(), (4, 3), target)
    assert check in report.failed, report
    assert any(phrase in f for f in report.failures), report


def test_check_loss_correct_twin_passes():
    assert check_loss(_MSE(), (4, 3), _T_REAL).ok


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: check_loss(nn.MSELoss(), (4, 3), np.zeros((5, 3))), ValueError, "target"),
        (lambda: check_loss(nn.MSELoss(), (4, 3), np.zeros((4, 3)), batch_sizes=(8,)), ValueError, "batch sizes"),
        (lambda: check_loss(object(), (4, 3), np.zeros((4, 3))), TypeError, "Loss"),
    ],
)
def test_check_loss_rejects_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
