"""A Korean report is Korean all the way: every failure sentence, not only the titles and hints.

The English sentences of check_layer, check_loss and gradcheck are pinned by the other tests;
here each broken layer or loss of the learner-bug catalogue (and a few made to reach the
remaining failure paths) is checked with ``lang="ko"``, and every failure's sentence must be
Korean apart from code (``forward``, ``grad_output``, ``self.W.grad``, shapes, numbers) and the
text of a Python exception, which stays as Python wrote it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from nnumpy import nn
from nnumpy.check import check_layer, check_loss, gradcheck
from nnumpy.nn import Loss, Parameter

from .learner_bugs.bugs import BUGS, run

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# An exception as error_text writes it ("ValueError: what it said"): Python's words, left as they are.
# In a Korean sentence it ends where the Korean resumes.
_EXCEPTION = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Warning)\b.*?(?=[\uac00-\ud7a3]|$)")
_CODE_CHARS = re.compile(r"[._()\[\]{}=/*+<>'\"0-9±:,;-]")
# Names a Korean sentence writes in code form, as the Korean titles and hints do.
_CODE_WORDS = {"forward", "backward", "grad_output", "pred", "target", "input", "output", "dtype", "inf", "NaN",
               "None", "nan", "N", "x", "reduction", "param", "self", "float64", "Parameter", "mean", "sum", "loss"}
# Sentence fragments of the English messages; none may reach a Korean report.
_ENGLISH = ["is wrong at", "Worst entry", "central difference gives", "backward gives", "overflowed", "raised",
            "returned", "in place", "that entry alone", "gradient check", "batch size", "is still None",
            "is not twice", "equals one pass", "entries changed", "although", "must", "the input gradient",
            "gradcheck of", "problem:", "largest change", "could not run"]


def english_words(sentence: str) -> list[str]:
    """The English words of ``sentence`` that are neither code nor an exception's text."""
    words = []
    for token in _EXCEPTION.sub(" ", sentence).split():
        for part in _HANGUL.split(token):
            if len(part) > 1 and not _CODE_CHARS.search(part) and part not in _CODE_WORDS:
                words.append(part)
    return words


def assert_korean(report, en_report) -> None:
    text = str(report)
    assert report.findings, text
    assert len(report.findings) == len(en_report.findings)
    assert [f.check for f in report.findings] == [f.check for f in en_report.findings]
    for ko, en in zip(report.findings, en_report.findings):
        assert _HANGUL.search(ko.message), ko.message
        assert english_words(en.message), en.message  # the detector does see English
        assert not english_words(ko.message), (english_words(ko.message), ko.message)
        assert ko.message != en.message
    prose = "\n".join(_EXCEPTION.sub(" ", line) for line in text.split("\n"))
    leaked = [phrase for phrase in _ENGLISH if phrase in prose]
    assert not leaked, f"{leaked}\n{text}"


def test_english_words_sees_english_and_spares_code():
    assert english_words("forward가 ValueError: shapes (4,3) and (2,3) not aligned를 일으켰습니다.") == []
    assert english_words("backward가 self.W.grad에 dL/dx를 grad_output * (x > 0) 돌려줍니다 (relative error 1e-3).") \
        == ["error"]
    assert english_words("gradient check: backward gives -1.25") == ["gradient", "gives"]


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.name)
def test_catalogue_bug_failures_read_in_korean(bug):
    assert_korean(run(bug, lang="ko"), run(bug, lang="en"))


# ------------------------------------------------------------ failure paths the catalogue does not reach


class _Sigmoid(nn.Module):
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, grad_output):
        return grad_output * self.out  # the derivative is out * (1 - out)


class _IntOutput(nn.Module):
    def forward(self, x):
        return (x > 0).astype(np.int64)

    def backward(self, grad_output):
        return grad_output


class _ForwardRaises(nn.Module):
    def forward(self, x):
        return x @ np.ones((5, 2))

    def backward(self, grad_output):
        return grad_output


class _BackwardRaises(nn.Module):
    def forward(self, x):
        return 2.0 * x

    def backward(self, grad_output):
        return grad_output @ np.ones((5, 2))


class _NoReturn(nn.Module):
    def forward(self, x):
        return 2.0 * x

    def backward(self, grad_output):
        2.0 * grad_output


class _GradNeverSet(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = Parameter(np.ones(3))

    def forward(self, x):
        return x * self.w.data

    def backward(self, grad_output):
        return grad_output * self.w.data


class _ForwardNaN(nn.Module):
    def forward(self, x):
        return x + np.nan

    def backward(self, grad_output):
        return grad_output


class _InfGradient(nn.Module):
    def forward(self, x):
        return 2.0 * x

    def backward(self, grad_output):
        return np.full_like(grad_output, np.inf)


class _InfOnLargeInputs(nn.Module):
    def forward(self, x):
        self.x = x
        return np.where(np.abs(x) > 100, np.inf, x)

    def backward(self, grad_output):
        return grad_output


class _RaisesOnLargeInputs(_InfOnLargeInputs):
    def forward(self, x):
        if np.abs(x).max() > 100:
            raise ValueError("input too large")
        return 1.0 * x


class _NotReduced(Loss):
    def forward(self, pred, target):
        self.d = pred - target
        return self.d**2

    def backward(self, grad_output=None):
        return 2.0 * self.d


class _KinkNaN(Loss):
    def forward(self, pred, target):
        self.d = pred - target
        return float(np.mean(np.abs(self.d)))

    def backward(self, grad_output=None):
        return self.d / np.abs(self.d) / self.d.size


class _NaNLoss(_NotReduced):
    def forward(self, pred, target):
        self.d = pred - target
        return float("nan")


class _BackwardRaisesLoss(_NotReduced):
    def forward(self, pred, target):
        self.d = pred - target
        return float(np.mean(self.d**2))

    def backward(self, grad_output=None):
        return self.d @ np.ones((5, 2))


class _CacheDeleted(_BackwardRaisesLoss):
    def backward(self, grad_output=None):
        d = self.d
        del self.d
        return 2.0 * d / d.size


class _NoneWritesGradOutput(_NotReduced):
    def __init__(self):
        super().__init__(reduction="none")

    def backward(self, grad_output=None):
        grad_output *= 2.0 * self.d
        return grad_output


class _GradWrongShape(Loss):
    def forward(self, pred, target):
        self.d = pred - target
        return float(np.mean(self.d**2))

    def backward(self, grad_output=None):
        return (2.0 * self.d / self.d.size).sum(axis=0)


LAYERS = {
    "sigmoid with overflow and a wrong derivative": (_Sigmoid, (4, 3)),
    "integer output": (_IntOutput, (4, 3)),
    "forward raises": (_ForwardRaises, (4, 3)),
    "backward raises": (_BackwardRaises, (4, 3)),
    "backward returns None": (_NoReturn, (4, 3)),
    "parameter gradient never set": (_GradNeverSet, (4, 3)),
    "forward returns NaN": (_ForwardNaN, (4, 3)),
    "backward returns inf": (_InfGradient, (4, 3)),
    "inf on large inputs": (_InfOnLargeInputs, (4, 3)),
    "raises on large inputs": (_RaisesOnLargeInputs, (4, 3)),
}
LOSSES = {
    "mean loss not reduced": (_NotReduced, (4, 3)),
    "0/0 at the kink": (_KinkNaN, (4, 3)),
    "gradient of the wrong shape": (_GradWrongShape, (4, 3)),
    "NaN loss": (_NaNLoss, (4, 3)),
    "backward raises": (_BackwardRaisesLoss, (4, 3)),
    "second backward raises": (_CacheDeleted, (4, 3)),
    "reduction='none' writes into grad_output": (_NoneWritesGradOutput, (4, 3)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_broken_layer_failures_read_in_korean(name):
    cls, shape = LAYERS[name]
    assert_korean(check_layer(cls(), shape, lang="ko"), check_layer(cls(), shape))


@pytest.mark.parametrize("name", list(LOSSES))
def test_broken_loss_failures_read_in_korean(name):
    cls, shape = LOSSES[name]
    target = np.random.default_rng(0).normal(size=shape)
    assert_korean(check_loss(cls(), shape, target, lang="ko"), check_loss(cls(), shape, target))


def test_sigmoid_report_names_the_lone_entry_in_korean():
    text = str(check_layer(_Sigmoid(), (4, 3), lang="ko"))
    assert "입력 기울기 dL/dx가 항목 12개 중 12개에서 틀립니다" in text, text
    assert "FloatingPointError: overflow encountered in exp" in text  # Python's words stay
    assert "원인 항목 input[0, 0] = -1000" in text, text
    assert "기울기 검사 표 (float64):" in text


def test_gradcheck_report_reads_in_korean():
    x = np.random.default_rng(0).normal(size=(4, 3))
    report = gradcheck(_Sigmoid(), x, lang="ko")
    text = str(report)
    assert text.startswith("_Sigmoid의 gradcheck: 실패 (최대 상대 오차"), text
    assert str(gradcheck(_Sigmoid(), x)).startswith("gradcheck of _Sigmoid: FAILED (max relative error")
    wrong_shape = str(gradcheck(_GradWrongShape(), x, np.zeros((4, 3)), lang="ko"))
    assert "(backward가 돌려준 모양 (3,), 기대한 모양 (4, 3))" in wrong_shape, wrong_shape
