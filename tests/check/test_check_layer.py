"""check_layer: the learner's report. Every classic bug of the tutorial (docs/custom-layer.md)
and the structural ones below must be caught (K/K), the built-in layers must pass, and the
tutorial's pasted output must match a fresh run (the ``tutorial`` fixture is in conftest.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _numbers import masked, numbers_that_differ

from nnumpy import nn
from nnumpy.check import LayerReport, check_layer, check_loss
from nnumpy.nn import Module, Parameter


def test_tutorial_output_matches_fresh_run(tutorial):
    _, outputs = tutorial
    assert len(outputs) >= 10
    for expected, got in outputs:
        assert masked(got) == masked(expected), f"docs/custom-layer.md is stale; a fresh run prints:\n{got}"
        assert not numbers_that_differ(expected, got), f"numbers differ (tutorial, fresh run): {numbers_that_differ(expected, got)}"


def test_tutorial_number_comparison_can_fail():
    assert numbers_that_differ("worst 0.682613 at 12 of 12, err 2.6e-10", "worst 0.682613 at 12 of 12, err 3.1e-10") == []
    assert numbers_that_differ("worst 0.682613 at 12 of 12", "worst 0.682713 at 11 of 12") == [("0.682613", "0.682713"),
                                                                                          ("12", "11")]


# The tutorial's broken layers: class, constructor args, input shape, failed check, hint phrase.
TUTORIAL_BUGS = {
    "returns the weights": ("DenseReturnsWeights", (3, 2), (4, 3), "grad_shape", "looks like the layer's weights"),
    "returns the weights (shapes fit)": ("DenseReturnsWeights", (3, 3), (3, 3), "gradient", "grad_output @ W"),
    "transposed weight gradient (crash)": ("DenseTransposedGrad", (3, 2), (4, 3), "backward", "transposed shape"),
    "transposed weight gradient": ("DenseTransposedGrad", (3, 3), (4, 3), "gradient", "transpose of the true one"),
    "softmax Jacobian diagonal": ("SoftmaxWrongDiagonal", (), (4, 3), "gradient", "only the diagonal"),
    "ReLU overwrites grad_output": ("ReLUInPlace", (), (4, 3), "grad_output", "new array"),
    "missing 1/N (batch mean)": ("BatchMeanMissingN", (), (4, 3), "gradient", "missing 1/N"),
    "sigmoid overflows": ("NaiveSigmoid", (), (4, 3), "large_inputs", "stable sigmoid"),
    "param.grad overwritten": ("DenseOverwrites", (3, 2), (4, 3), "accumulate", "accumulate"),
}
TUTORIAL_CORRECT = [("Dense", (3, 2)), ("MySoftmax", ()), ("StableSigmoid", ())]


@pytest.mark.parametrize("name", list(TUTORIAL_BUGS))
def test_check_layer_catches_tutorial_bug(tutorial, name):
    ns, _ = tutorial
    cls, args, shape, check, phrase = TUTORIAL_BUGS[name]
    report = check_layer(ns[cls](*args), shape)
    assert not report.ok
    assert check in report.failed, report
    assert any(phrase in f for f in report.failures), report


@pytest.mark.parametrize("cls, args", TUTORIAL_CORRECT)
def test_check_layer_passes_tutorial_layer(tutorial, cls, args):
    ns, _ = tutorial
    report = check_layer(ns[cls](*args), (4, 3))
    assert report.ok, report


# The classic bugs, each as the tutorial writes it: (kind, class, args, shape, check, tensor, hint phrase).
# Every report must say, in words, which check and tensor, the worst entry, the size of the error and a hint.
CLASSIC_BUGS = {
    "weights returned as dL/dx": ("layer", "DenseReturnsWeights", (3, 3), (3, 3), "gradient", "input",
                                  "does backward return self.weight instead of grad_output @ W?"),
    "softmax Jacobian diagonal": ("layer", "SoftmaxWrongDiagonal", (), (4, 3), "gradient", "input",
                                  "only the diagonal of the Jacobian is wrong"),
    "ReLU overwrites grad_output": ("layer", "ReLUInPlace", (), (4, 3), "grad_output", "grad_output",
                                    "write the result into a new array"),
    "missing 1/N (loss)": ("loss", "MSEMissingN", (), (4, 3), "gradient", "pred", "a missing 1/N"),
    "missing 1/N (batch mean)": ("layer", "BatchMeanMissingN", (), (4, 3), "gradient", "input", "a missing 1/N"),
    "sigmoid overflows": ("layer", "NaiveSigmoid", (), (4, 3), "large_inputs", "output", "use a stable sigmoid"),
}
_WORST = re.compile(r"Worst entry (input|pred|grad_output)\[\d+(?:, \d+)*\]")
_SIZE = re.compile(r"abs (?:error|change) \d\.\d\de[+-]\d\d|overflow encountered")


def _classic_report(ns, kind, cls, args, shape):
    if kind == "loss":
        return check_loss(ns[cls](*args), shape, target=np.zeros(shape))
    return check_layer(ns[cls](*args), shape)


@pytest.mark.parametrize("name", list(CLASSIC_BUGS))
def test_check_layer_classic_bug_report_names_tensor_entry_size_and_hint(tutorial, name):
    kind, cls, args, shape, check, tensor, hint = CLASSIC_BUGS[name]
    report = _classic_report(tutorial[0], kind, cls, args, shape)
    assert check in report.failed, report
    failure = next(f for f in report.findings if f.check == check)
    assert failure.check == check and failure.tensor == tensor, failure
    assert _WORST.search(failure.message), failure.message
    assert _SIZE.search(failure.message), failure.message
    assert any(hint in h for h in failure.hints), failure.hints


def test_check_layer_classic_bugs_all_caught(tutorial, capsys):
    caught = sum(not _classic_report(tutorial[0], *spec[:4]).ok for spec in CLASSIC_BUGS.values())
    with capsys.disabled():
        print(f"\nclassic bugs of docs/custom-layer.md caught: {caught}/{len(CLASSIC_BUGS)}")
    assert caught == len(CLASSIC_BUGS)


def test_check_layer_grad_output_write_reports_changed_entries():
    R = np.arange(12.0).reshape(4, 3) - 5.5
    after = np.where(R > 0, R, 0.0)  # what ReLUInPlace leaves behind
    from nnumpy.check._steps import changes as _changes

    assert _changes("grad_output", R, after) == (
        "6 of 12 entries changed. Worst entry grad_output[0, 0]: was -5.5, now 0 (abs change 5.50e+00)."
    )
    assert _changes("grad_output", R, R.copy()) == ""



def test_check_layer_overflow_probe_leaves_gradient_check_clean(tutorial):
    ns, _ = tutorial
    report = check_layer(ns["NaiveSigmoid"](), (4, 3))
    assert report.failed == ["large_inputs"]
    assert report.gradcheck.ok and report.gradcheck.max_rel_error < 1e-6
    assert "forward overflowed on inputs of size ±1000" in report.failures[0]
    assert "0.5*tanh(0.5x)+0.5 or split by sign" in report.failures[0]


# ---------------------------------------------------------------------------- structural bugs


class _Base(Module):
    """y = x·w element-wise (w a Parameter), written correctly; subclasses break one rule."""

    def __init__(self, n=3):
        super().__init__()
        self.weight = Parameter(np.linspace(0.5, 1.5, n))

    def forward(self, x):
        self.x = x
        return x * self.weight.data

    def backward(self, grad_output):
        self.weight.accumulate((grad_output * self.x).sum(axis=0))
        return grad_output * self.weight.data


class _WritesSameValues(_Base):
    def backward(self, grad_output):
        grad_output[...] = grad_output  # a write that leaves every value as it was
        return super().backward(grad_output)


class _ForwardInPlace(_Base):
    def forward(self, x):
        x[x < 0] = 0.0  # a ReLU applied to the caller's array
        return super().forward(x)


class _ForwardWritesSameValues(_Base):
    def forward(self, x):
        x[x < -1e6] = -1e6  # never changes a value of an ordinary input, but writes into it
        return super().forward(x)


class _SqueezesBatch(_Base):
    def forward(self, x):
        return np.squeeze(super().forward(x))  # (1, D) -> (D,)

    def backward(self, grad_output):
        return super().backward(grad_output.reshape(self.x.shape))


class _ReturnsNone(_Base):
    def backward(self, grad_output):
        super().backward(grad_output)


class _ScalesGradTwice(_Base):
    def backward(self, grad_output):
        self.weight.accumulate((grad_output * self.x).sum(axis=0))
        self.weight.accumulate((grad_output * self.x).sum(axis=0))
        return grad_output * self.weight.data


class _ForwardCrashes(_Base):
    def forward(self, x):
        return x @ np.ones((7, 2))


class _LogShifted(Module):
    """y = log(x + 500): fine for ordinary inputs, log of a negative number at x = -1000."""

    def forward(self, x):
        self.x = x
        return np.log(x + 500.0)

    def backward(self, grad_output):
        return grad_output / (self.x + 500.0)


class _NeverAccumulates(_Base):
    def backward(self, grad_output):
        return grad_output * self.weight.data


class _OnlyBatchOne(_Base):
    def forward(self, x):
        self.x = x
        return x[0] * self.weight.data[None, :]  # broadcasts sample 0 to (1, D): right only when N = 1

    def backward(self, grad_output):
        return super().backward(grad_output)


STRUCTURAL_BUGS = {
    "writes grad_output (values unchanged)": (_WritesSameValues, "grad_output", "values happen to be unchanged"),
    "forward modifies its input": (_ForwardInPlace, "forward", "in place"),
    "forward writes into its input": (_ForwardWritesSameValues, "forward", "in place"),
    "squeeze drops the batch axis at N=1": (_SqueezesBatch, "batch", "np.squeeze"),
    "backward returns None": (_ReturnsNone, "grad_shape", "returned None"),
    "accumulates twice per call": (_ScalesGradTwice, "gradient", "2× too large"),
    "forward crashes": (_ForwardCrashes, "forward", "ValueError"),
    "never sets param.grad": (_NeverAccumulates, "gradient", "accumulate"),
}


@pytest.mark.parametrize("name", list(STRUCTURAL_BUGS))
def test_check_layer_catches_structural_bug(name):
    cls, check, phrase = STRUCTURAL_BUGS[name]
    report = check_layer(cls(), (4, 3))
    assert check in report.failed, report
    assert any(phrase in f for f in report.failures), report


def test_check_layer_all_planted_bugs_detected(tutorial, capsys):
    ns, _ = tutorial
    cases = [(ns[c](*a), s) for c, a, s, _, _ in TUTORIAL_BUGS.values()]
    cases += [(cls(), (4, 3)) for cls, _, _ in STRUCTURAL_BUGS.values()]
    detected = sum(not check_layer(layer, shape).ok for layer, shape in cases)
    with capsys.disabled():
        print(f"\ncheck_layer planted bugs detected: {detected}/{len(cases)}")
    assert detected == len(cases)


def test_check_layer_batch_check_runs_batch_size_n_too():
    # checked at (1, 3): forward is right for one sample, but the batch check's N = 2 exposes it
    report = check_layer(_OnlyBatchOne(), (1, 3))
    assert report.failed == ["batch"], report
    assert "for an input of shape (2, 3) forward returned shape (1, 3)" in report.failures[0]
    assert "batch sizes 1 and 2" in str(report)


def test_check_layer_base_of_structural_bugs_passes():
    assert check_layer(_Base(), (4, 3)).ok


def test_check_layer_large_inputs_reports_invalid_value():
    # log of a negative number under np.errstate(invalid='raise'): reported, not a warning
    report = check_layer(_LogShifted(), (4, 3))
    assert report.failed == ["large_inputs"], report


# ---------------------------------------------------------------------------- no false alarms

BUILTIN_LAYERS = {
    "Linear": (lambda: nn.Linear(3, 2, rng=0), (4, 3)),
    "Linear-float32-3d": (lambda: nn.Linear(3, 2, rng=0), (2, 4, 3)),
    "Identity": (nn.Identity, (4, 3)),
    "Flatten": (nn.Flatten, (2, 2, 3)),
    "ReLU": (nn.ReLU, (4, 3)),
    "LeakyReLU": (nn.LeakyReLU, (4, 3)),
    "ELU": (nn.ELU, (4, 3)),
    "GELU": (nn.GELU, (4, 3)),
    "GELU-tanh": (lambda: nn.GELU("tanh"), (4, 3)),
    "Sigmoid": (nn.Sigmoid, (4, 3)),
    "Tanh": (nn.Tanh, (4, 3)),
    "Softplus": (nn.Softplus, (4, 3)),
    "Softmax": (lambda: nn.Softmax(dim=1), (4, 3)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), (4, 3)),
    "Dropout": (lambda: nn.Dropout(0.3, rng=0), (4, 3)),
    "BatchNorm1d-eval": (lambda: nn.BatchNorm1d(3).eval(), (4, 3)),
    "MLP": (lambda: nn.Sequential(nn.Linear(3, 5, rng=0), nn.Sigmoid(), nn.Linear(5, 2, rng=1)), (4, 3)),
}


@pytest.mark.parametrize("name", list(BUILTIN_LAYERS))
def test_check_layer_passes_builtin_layer(name):
    make, shape = BUILTIN_LAYERS[name]
    report = check_layer(make(), shape)
    assert report.ok, report
    assert all(status == "ok" for status in report.checks.values())
    assert report.notes == []


def test_check_layer_batchnorm_batch_size_one_hint():
    report = check_layer(nn.BatchNorm1d(3), (4, 3))
    assert report.failed == ["batch"]
    assert "batch_sizes=(2, N)" in report.failures[0]
    assert check_layer(nn.BatchNorm1d(3), (4, 3), batch_sizes=(2, 4)).ok


# ---------------------------------------------------------------------------- report and API


def test_check_layer_report_reads_well(tutorial):
    ns, _ = tutorial
    report = check_layer(ns["DenseTransposedGrad"](3, 3), (4, 3))
    assert isinstance(report, LayerReport) and not report
    text = str(report)
    assert text.startswith("check_layer(DenseTransposedGrad) on input shape (4, 3): FAILED (1 of 9 checks failed)")
    failure = report.failures[0]
    tc = next(c for c in report.gradcheck.checks if c.name == "weight")
    idx = ", ".join(map(str, tc.worst_index))
    assert f"Worst entry weight[{idx}]" in failure
    assert f"{tc.analytic:.6g}" in failure and f"{tc.numeric:.6g}" in failure
    assert f"relative error {tc.max_rel_error:.2e}" in failure
    assert "hint [transposed-weight-gradient]:" in text and "gradient check table" in text


def test_check_layer_leaves_layer_untouched():
    layer = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.Dropout(0.5, rng=1))
    state = {k: v.copy() for k, v in layer.state_dict().items()}
    rng_state = layer[2].rng.bit_generator.state
    assert check_layer(layer, (4, 3), batch_sizes=(2, 4)).ok  # BatchNorm in training needs N > 1
    assert all(np.array_equal(state[k], v) for k, v in layer.state_dict().items())
    assert layer[2].rng.bit_generator.state == rng_state
    assert all(p.grad is None for p in layer.parameters())
    assert layer[0].weight.dtype == np.float32 and layer[0]._x is None


def test_check_layer_is_reproducible():
    a = check_layer(_ScalesGradTwiceTwin(), (4, 3), rng=5)
    b = check_layer(_ScalesGradTwiceTwin(), (4, 3), rng=5)
    assert a.failures == b.failures


class _ScalesGradTwiceTwin(_ScalesGradTwice):
    pass


class _PlainWeights(Module):
    def __init__(self):
        super().__init__()
        self.W = np.ones((3, 2))  # not a Parameter: invisible to gradcheck and optimizers

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, grad_output):
        return grad_output @ self.W.T


def test_check_layer_notes_plain_ndarray_weights():
    report = check_layer(_PlainWeights(), (4, 3))
    assert report.ok
    assert len(report.notes) == 1 and "'W'" in report.notes[0] and "'x'" not in report.notes[0]


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: check_layer(nn.MSELoss(), (4, 3)), TypeError, "check_loss"),
        (lambda: check_layer("layer", (4, 3)), TypeError, "Module"),
        (lambda: check_layer(nn.ReLU(), (4, 0)), ValueError, "input_shape"),
        (lambda: check_layer(nn.ReLU(), ()), ValueError, "input_shape"),
        (lambda: check_layer(nn.ReLU(), 4), TypeError, "input_shape"),
        (lambda: check_layer(nn.ReLU(), (4, 3), batch_sizes=(0,)), ValueError, "batch_sizes"),
        (lambda: check_layer(nn.ReLU(), (4, 3), rng=-1), ValueError, "rng"),
    ],
)
def test_check_layer_rejects_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


class _WeightGradDividedBy(_Base):
    """The weight gradient divided by ``k`` once too often."""

    k = 2

    def backward(self, grad_output):
        self.weight.accumulate((grad_output * self.x).sum(axis=0) / self.k)
        return grad_output * self.weight.data


class _WeightGradDividedByN(_WeightGradDividedBy):
    k = 4


def test_check_layer_parameter_ratio_hint_names_sizes_of_the_input():
    # Input (4, 3): N is 4. A parameter gradient at 1/2 must not be called "2 is N"
    # (a size of the parameter's own shape); at 1/4 it is the batch size.
    half = "\n".join(check_layer(_WeightGradDividedBy(), (4, 3), rng=0).hints)
    assert "1/2 of the true one" in half and "N, the batch size" not in half
    quarter = "\n".join(check_layer(_WeightGradDividedByN(), (4, 3), rng=0).hints)
    assert "4 is N, the batch size" in quarter


def test_check_layer_worst_entry_abs_error_is_that_entry():
    text = str(check_layer(_WeightGradDividedBy(), (4, 3), rng=0))
    m = re.search(r"Worst entry weight\[(\d+)\]: backward gives (\S+), central difference gives (\S+) "
                  r"\(abs error (\S+),", text)
    assert m, text
    a, n, err = float(m.group(2)), float(m.group(3)), float(m.group(4))
    # The reported error is |backward − central difference| at that entry (3 significant
    # digits printed), not the tensor's largest absolute error.
    assert err == pytest.approx(abs(a - n), rel=1e-2)


# ---------------------------------------------------------------------------- diagnoses as data


def test_check_layer_diagnosis_templates_use_the_same_facts_in_both_languages():
    import string

    from nnumpy.check._diagnoses import CODES

    def fields(template):
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for code, entry in CODES.items():
        assert fields(entry.text.en) == fields(entry.text.ko), code
        assert entry.title.en and entry.title.ko and entry.title.en != entry.title.ko, code


def test_check_layer_report_lang_ko_and_bad_lang(tutorial):
    ns, _ = tutorial
    report = check_layer(ns["DenseTransposedGrad"](3, 3), (4, 3), lang="ko")
    assert report.diagnoses[0].code == "transposed-weight-gradient" and report.lang == "ko"
    assert "전치" in report.diagnoses[0].text and "transpose" in report.diagnoses[0].text_in("en")
    assert "실패 (검사 9개 중 1개 실패)" in str(report)
    with pytest.raises(ValueError, match="'lang'"):
        check_layer(nn.ReLU(), (4, 3), lang="fr")
