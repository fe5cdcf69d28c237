"""The gradient checker itself is tested: planted wrong backwards must be reported (K/K),
their correct twins must pass, and the hints must name the pattern of each bug."""

from __future__ import annotations

import numpy as np
import pytest

from nnumpy import nn
from nnumpy.check import GradcheckReport, gradcheck
from nnumpy.nn import Loss, Module, Parameter


# ---------------------------------------------------------------------------- planted bugs
# Each layer has a ``bug`` switch: False is the correct backward, True the classic mistake,
# so every planted bug has a twin that must pass (the checker sees the bug, not the layer).


class SquareLinear(Module):
    """y = x Wᵀ + b; bugs: 'transposed' (dW = xᵀG) or 'weights' (returns W as dL/dx)."""

    def __init__(self, n, bug=None):
        super().__init__()
        rng = np.random.default_rng(3)
        self.weight = Parameter(rng.normal(size=(n, n)))  # (n, n): a transposed dW still fits
        self.bias = Parameter(rng.normal(size=n))
        self.bug = bug

    def forward(self, x):
        self.x = x
        return x @ self.weight.data.T + self.bias.data

    def backward(self, grad_output):
        dw = self.x.T @ grad_output if self.bug == "transposed" else grad_output.T @ self.x
        self.weight.accumulate(dw)
        self.bias.accumulate(grad_output.sum(axis=0))
        return self.weight.data if self.bug == "weights" else grad_output @ self.weight.data


class BatchMean(Module):
    """y = mean over the batch; bug: the 1/N is missing from backward."""

    def __init__(self, bug=None):
        super().__init__()
        self.bug = bug

    def forward(self, x):
        self.n = x.shape[0]
        return x.mean(axis=0)  # (N, D) -> (D,)

    def backward(self, grad_output):
        g = np.tile(grad_output, (self.n, 1))  # (N, D)
        return g if self.bug else g / self.n


class RowSoftmax(Module):
    """Softmax over axis 1 through its explicit Jacobian; bug: J_ii = y_i assigned instead of added."""

    def __init__(self, bug=None):
        super().__init__()
        self.bug = bug

    def forward(self, x):
        z = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = z / z.sum(axis=1, keepdims=True)
        return self.y

    def backward(self, grad_output):
        y = self.y
        jac = -y[:, :, None] * y[:, None, :]  # (N, C, C)
        i = np.arange(y.shape[1])
        if self.bug:
            jac[:, i, i] = y
        else:
            jac[:, i, i] += y
        return np.einsum("nij,ni->nj", jac, grad_output)


class MaskReLU(Module):
    """ReLU; bug: backward zeroes grad_output in place (its returned values are still right)."""

    def __init__(self, bug=None):
        super().__init__()
        self.bug = bug

    def forward(self, x):
        self.mask = x > 0
        return np.maximum(x, 0.0)

    def backward(self, grad_output):
        if self.bug:
            grad_output[~self.mask] = 0.0
            return grad_output
        return np.where(self.mask, grad_output, 0.0)


class MeanSquaredError(Loss):
    """MSE over all elements; bug: the 1/N of the mean is missing from backward."""

    def __init__(self, bug=None):
        super().__init__()
        self.bug = bug

    def forward(self, pred, target):
        self.diff = pred - target
        return float(np.mean(self.diff**2))

    def backward(self, grad_output=None):
        g = 2.0 * self.diff
        return g if self.bug else g / self.diff.size


_X = np.random.default_rng(11).normal(size=(4, 3))
_X3 = np.random.default_rng(12).normal(size=(3, 3))  # batch 3 = width 3: 'weights' has the right shape

# name -> (factory(bug), inputs, a phrase the hint must contain)
PLANTED = {
    "missing 1/N (layer)": (lambda bug: BatchMean(bug), (_X,), "missing 1/N"),
    "missing 1/N (loss)": (lambda bug: MeanSquaredError(bug), (_X, np.zeros((4, 3))), "missing 1/N"),
    "transposed weight gradient": (lambda bug: SquareLinear(3, "transposed" if bug else None), (_X,), "transpose"),
    "returns the weights (shape differs)": (lambda bug: SquareLinear(3, "weights" if bug else None), (_X,), "weights"),
    "returns the weights (shape fits)": (lambda bug: SquareLinear(3, "weights" if bug else None), (_X3,), "weights"),
    "softmax Jacobian with a wrong diagonal": (lambda bug: RowSoftmax(bug), (_X,), "diagonal"),
}
# Detected by the comparison of grad_output before and after backward, not by a hint.
MUTATES = {"ReLU backward mutates grad_output": (lambda bug: MaskReLU(bug), (_X,))}
ALL_BUGS = {**{k: v[:2] for k, v in PLANTED.items()}, **MUTATES}


@pytest.mark.parametrize("name", list(ALL_BUGS))
def test_gradcheck_reports_planted_bug(name):
    factory, inputs = ALL_BUGS[name]
    report = gradcheck(factory(True), *inputs)
    assert not report.ok, f"planted bug not detected: {name}\n{report}"


@pytest.mark.parametrize("name", list(ALL_BUGS))
def test_gradcheck_passes_correct_twin(name):
    factory, inputs = ALL_BUGS[name]
    report = gradcheck(factory(False), *inputs)
    assert report.ok, f"false alarm on the correct version of: {name}\n{report}"
    assert report.max_rel_error < 1e-6
    assert report.hints == []


@pytest.mark.parametrize("name", list(PLANTED))
def test_gradcheck_hint_names_planted_pattern(name):
    factory, inputs, phrase = PLANTED[name]
    report = gradcheck(factory(True), *inputs)
    assert any(phrase in h for h in report.hints), f"no hint with {phrase!r} for {name}:\n{report}"
    assert phrase in str(report)


def test_gradcheck_planted_bugs_all_detected(capsys):
    detected = [name for name, (factory, inputs) in ALL_BUGS.items() if not gradcheck(factory(True), *inputs).ok]
    with capsys.disabled():
        print(f"\ngradcheck planted bugs detected: {len(detected)}/{len(ALL_BUGS)}")
    assert len(detected) == len(ALL_BUGS)


def test_gradcheck_mutation_caught_although_values_right():
    report = gradcheck(MaskReLU(bug=True), _X)
    assert all(c.ok for c in report.checks)  # the returned gradient is right...
    assert any("in place" in p for p in report.problems)  # ...but grad_output was modified
    assert not report.ok


@pytest.mark.parametrize(
    "factory, inputs, phrase",
    [
        (lambda: BatchMean(bug=True), (_X,), "4× too large"),  # N = 4, the batch size
        (lambda: BatchMean(bug=True), (_X,), "N, the batch size"),
        (lambda: MeanSquaredError(bug=True), (_X, np.zeros((4, 3))), "12× too large"),  # 4·3 elements
        (lambda: MeanSquaredError(bug=True), (_X, np.zeros((4, 3))), "the number of elements"),
        (lambda: SquareLinear(3, "weights"), (_X,), "grad_output @ W"),
    ],
)
def test_gradcheck_hint_states_exact_numbers(factory, inputs, phrase):
    assert phrase in "\n".join(gradcheck(factory(), *inputs).hints)


class _Scaled(Module):
    """y = x·w (element-wise); backward scaled by ``factor`` to plant constant-ratio bugs."""

    def __init__(self, factor):
        super().__init__()
        self.weight = Parameter(np.linspace(0.5, 1.5, 3))
        self.factor = factor

    def forward(self, x):
        self.x = x
        return x * self.weight.data

    def backward(self, grad_output):
        self.weight.accumulate((grad_output * self.x).sum(axis=0))
        return self.factor * grad_output * self.weight.data


@pytest.mark.parametrize(
    "factor, phrase",
    [(0.25, "1/4 of the true one"), (-1.0, "wrong sign"), (2.0, "2× too large"), (1.7, "1.7× the true one")],
)
def test_gradcheck_ratio_hint_constant_factor(factor, phrase):
    report = gradcheck(_Scaled(factor), np.random.default_rng(0).normal(size=(5, 3)))
    assert not report.ok
    assert any(phrase in h for h in report.hints), report


class _IgnoresGradOutput(Module):
    """dL/dx = ones @ W: backward forgets to multiply grad_output in."""

    def __init__(self):
        super().__init__()
        self.weight = Parameter(np.random.default_rng(5).normal(size=(2, 3)))

    def forward(self, x):
        return x @ self.weight.data.T

    def backward(self, grad_output):
        self.weight.accumulate(np.zeros((2, 3)))
        return np.ones_like(grad_output) @ self.weight.data


def test_gradcheck_hint_backward_ignoring_grad_output():
    report = gradcheck(_IgnoresGradOutput(), _X, check_inputs=True)
    input_check = report.checks[0]
    assert not input_check.ok
    assert any("ignores grad_output" in h for h in input_check.hints), report


class _ElementwiseWrongDerivative(Module):
    """y = x³ with dy/dx written as 3x (instead of 3x²): an element-wise derivative error."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad_output):
        return grad_output * 3.0 * self.x


def test_gradcheck_hint_elementwise_derivative():
    report = gradcheck(_ElementwiseWrongDerivative(), _X)
    assert any("element-wise" in h and "f'(x)" in h for h in report.hints), report


class _LeakyWrongBranch(Module):
    """Leaky ReLU whose negative-side slope is 0.1 in forward but 0.2 in backward."""

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, 0.1 * x)

    def backward(self, grad_output):
        return grad_output * np.where(self.x > 0, 1.0, 0.2)


def test_gradcheck_hint_error_confined_to_negative_inputs():
    x = np.random.default_rng(2).normal(size=(6, 4))
    report = gradcheck(_LeakyWrongBranch(), x)
    assert any("only where the input is ≤ 0" in h for h in report.hints), report


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Linear(3, 2, rng=0),
        lambda: nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1)),
        lambda: nn.Softmax(dim=1),
        lambda: nn.Dropout(0.5, rng=0),
    ],
)
def test_gradcheck_accepts_builtin_modules(make):
    report = gradcheck(make(), _X)
    assert report.ok and report.max_rel_error < 1e-6, report


def test_gradcheck_leaves_module_untouched():
    layer = nn.Linear(3, 2, rng=0)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    gradcheck(layer, _X)
    assert all(np.array_equal(before[k], v) for k, v in layer.state_dict().items())
    assert layer.weight.grad is None and layer.weight.dtype == np.float32


def test_gradcheck_refuses_float32():
    with pytest.raises(ValueError, match="float64 only"):
        gradcheck(nn.Linear(3, 2, rng=0), _X, dtype=np.float32)


@pytest.mark.parametrize("bad, exc", [("not a module", TypeError), (np.ones(3), TypeError)])
def test_gradcheck_rejects_non_module(bad, exc):
    with pytest.raises(exc, match="Module or Loss"):
        gradcheck(bad, _X)


def test_gradcheck_report_table_names_worst_entry():
    report = gradcheck(SquareLinear(3, "transposed"), _X)
    text = str(report)
    assert isinstance(report, GradcheckReport) and not report
    assert "FAIL" in text and "weight" in text and "hint [transposed-weight-gradient]:" in text
    worst = next(c for c in report.checks if c.name == "weight")
    assert worst.worst_index is not None and str(worst.worst_index) in text
    assert worst.n_bad >= 1 and worst.analytic_array.shape == (3, 3)
