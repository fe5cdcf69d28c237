"""Learner hints: for a wrong gradient, a sentence naming the likely mistake.

Each hint looks at one failing tensor and returns a sentence when the error has a
shape a learner can act on (a constant factor such as a missing 1/N, a transposed
matrix, the layer's weights returned as the input gradient, an error confined to
the Jacobian's diagonal...), or None. They are only ever called on failures, so a
hint never appears for a correct backward.

:data:`TENSOR_HINTS` lists them in the order they are tried; a new diagnosis is
one function taking a :class:`HintCase`, added to that list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._numerics import nearly_equal
from ._report import GradcheckReport, TensorCheck, accumulate_advice, grad_ref, param_ref

# Extreme-input failures: how to compute the function without overflowing.
OVERFLOW_HINT = (
    "e.g. exp(-x) for x = -1000 overflows float64 (its largest value is about exp(709)): use a stable sigmoid "
    "(0.5*tanh(0.5x)+0.5 or split by sign); for a softmax subtract the row max before exp"
)
LOSS_OVERFLOW_HINT = (
    "compute the loss in a stable form: log-softmax through logsumexp (subtract the row max), "
    "log(1 + exp(x)) as np.logaddexp(0, x), BCE from logits; never log(0) (clamp or use the logits form)"
)


# ---------------------------------------------------------------------------- patterns in one gradient


def _looks_like_param(a: np.ndarray, params: dict[str, np.ndarray]) -> str | None:
    """The name of a parameter that ``a`` equals (maybe transposed or broadcast), or None."""
    for pname, w in params.items():
        if w.size < 2:
            continue
        for cand, how in ((w, ""), (w.T, " transposed")):
            if nearly_equal(a, cand):
                return f"{param_ref(pname)}{how}"
            try:
                b = np.broadcast_to(cand, a.shape)
            except ValueError:
                continue
            if a.size > cand.size and nearly_equal(a, b):
                return f"{param_ref(pname)}{how} (broadcast to {a.shape})"
    return None


def weights_hint(name: str, a: np.ndarray, params: dict[str, np.ndarray]) -> str | None:
    """The gradient equals one of the layer's parameters: backward returns or stores a weight."""
    like = _looks_like_param(a, params)
    if like is None:
        return None
    if name == "input":
        return (f"the input gradient looks like the layer's weights ({like}): does backward return "
                f"{like.split(' ')[0]} instead of grad_output @ W?")
    return f"the gradient of '{name}' equals {like}: backward stores a weight, not the product of grad_output with the cache"


def _size_names(x_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> dict[int, str]:
    """Sizes a missing or extra division is likely to be, and what each one is."""
    names: dict[int, str] = {}
    if len(x_shape) >= 1:
        names.setdefault(x_shape[0], "N, the batch size")
    numel = int(np.prod(x_shape)) if x_shape else 1
    names.setdefault(numel, f"the number of elements ({' x '.join(map(str, x_shape))})")
    for i, d in enumerate(x_shape[1:], start=1):
        names.setdefault(d, f"the size of axis {i}")
    out_numel = int(np.prod(out_shape)) if out_shape else 1
    names.setdefault(out_numel, "the number of output elements")
    return {k: v for k, v in names.items() if k >= 2}


def _factor_text(what: str, c: float, k: int, too_big: bool, meaning: str | None) -> str:
    """The sentence for a gradient ``k`` times too large (``too_big``) or ``k`` times too small."""
    if too_big:
        text = f"{what} is {k}× too large everywhere (backward / numeric = {c:.6g}): a division by {k} is missing"
        if meaning and meaning.startswith("N,"):
            return text + f". {k} is {meaning}: the backward of a mean over the batch divides by N (a missing 1/N)"
        if meaning:
            return text + (f". {k} is {meaning}: the backward of a mean divides by the number of values "
                           "averaged (a missing 1/N)")
        if k == 2:
            return text + " (a doubled factor, e.g. d(x²)/dx = 2x counted twice)"
        return text
    text = (f"{what} is 1/{k} of the true one everywhere (backward / numeric = {c:.6g}): "
            f"it divides by {k} once too often")
    if meaning:
        text += f" ({k} is {meaning})"
    if k == 2:
        text += ", or a factor 2 is missing (d(x²)/dx = 2x)"
    return text


def ratio_hint(name: str, a: np.ndarray, n: np.ndarray, sizes: dict[int, str]) -> str | None:
    """Hint when analytic / numeric is the same constant at every (non-tiny) entry."""
    scale = float(np.abs(n).max()) if n.size else 0.0
    if scale == 0.0:
        return None
    mask = np.abs(n) > 1e-3 * scale
    if int(mask.sum()) < 2:
        return None
    r = a[mask] / n[mask]
    c = float(np.median(r))
    if c == 0.0 or not np.all(np.abs(r - c) <= 1e-4 * abs(c)) or abs(c - 1.0) < 1e-4:
        return None
    what = f"the gradient of '{name}'" if name != "input" else "the input gradient"
    if abs(c + 1.0) < 1e-4:
        return f"{what} has the wrong sign everywhere (backward / numeric = -1): a minus sign is missing or extra"
    for k, too_big in ((c, True), (1.0 / c, False)):
        kk = round(k)
        if kk >= 2 and abs(k - kk) <= 1e-4 * k:
            return _factor_text(what, c, kk, too_big, sizes.get(kk))
    return f"{what} is {c:.6g}× the true one everywhere: a constant factor is wrong"


def transpose_hint(name: str, a: np.ndarray, n: np.ndarray) -> str | None:
    """A parameter's gradient that is the transpose of the true one (or has its transposed shape)."""
    formula = "for y = x @ W.T (weight of shape (out, in)) dL/dW = grad_output.T @ x; for y = x @ W it is x.T @ grad_output"
    if name == "input":
        return None
    if a.ndim == 2 and n.ndim == 2 and a.shape == n.shape[::-1] and a.shape != n.shape:
        return f"the gradient of '{name}' has the transposed shape {a.shape} instead of {n.shape}: {formula}"
    if a.ndim == 2 and a.shape == n.shape and a.shape[0] == a.shape[1] and nearly_equal(a, n.T):
        return f"the gradient of '{name}' is the transpose of the true one: {formula}"
    return None


def shape_hint(name: str, a: np.ndarray, expected: tuple[int, ...], out_shape: tuple[int, ...]) -> str | None:
    """A gradient of the wrong shape: what shape it has, and what it should have."""
    if a.shape == expected:
        return None
    what = "the input gradient" if name == "input" else f"the gradient of '{name}'"
    if name == "input" and a.shape == tuple(out_shape):
        return (f"{what} has the output's shape {a.shape}: backward must push grad_output back through the layer "
                f"(e.g. grad_output @ W) to get the input's shape {expected}")
    if a.ndim == len(expected) == 2 and a.shape == expected[::-1] and name == "input":
        return f"{what} has the transposed shape {a.shape}: transpose the product (the input has shape {expected})"
    return f"{what} must have shape {expected} (dL/dx has the shape of x), got {a.shape}"


def mask_hint(a: np.ndarray, n: np.ndarray, x: np.ndarray, atol: float, rtol: float) -> str | None:
    """Errors confined to where the input is ≤ 0 (or > 0): the branch of a piecewise derivative."""
    if x.shape != a.shape:
        return None
    bad = np.abs(a - n) > atol + rtol * np.abs(n)
    if int(bad.sum()) < 3 or bad.all():
        return None
    neg = x <= 0
    for where, region in ((neg, "≤ 0"), (~neg, "> 0")):
        if not bad[~where].any() and where.any() and (~where).any():
            return (f"the input gradient is wrong only where the input is {region} ({int(bad.sum())} entries): "
                    "check that branch of the derivative (the mask)")
    return None


# ---------------------------------------------------------------------------- patterns found by re-running backward


def linearity_hint(run, backward, R: np.ndarray, x_shape) -> str | None:
    """A vector-Jacobian product is linear in grad_output: doubling it must double the result."""
    try:
        run()
        g1 = np.array(backward(R.copy()), dtype=np.float64)
        run()
        g2 = np.array(backward(2.0 * R), dtype=np.float64)
    except Exception:  # only a hint: a backward that fails here is reported elsewhere
        return None
    if g1.shape != tuple(x_shape) or g2.shape != g1.shape or not np.any(g1):
        return None
    if nearly_equal(g1, g2):
        return ("backward's result does not change when grad_output is doubled: it ignores grad_output. "
                "The input gradient is grad_output pushed back through the layer "
                "(grad_output @ W for a linear map, grad_output * f'(x) for an activation)")
    if not np.allclose(g2, 2.0 * g1, rtol=1e-6, atol=1e-12):
        return ("backward is not linear in grad_output (doubling grad_output does not double the result): "
                "it must multiply grad_output by a Jacobian that depends only on what forward cached")
    return None


def _sample_jacobians(run, backward, x: np.ndarray, out_shape, d_in: int, d_out: int,
                      eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The (d_out, d_in) Jacobian of sample 0's output by sample 0's input: ``(from backward, numeric)``."""
    x0 = x.reshape(x.shape[0], -1)[0]  # a view into x (contiguous float64)
    j_num = np.empty((d_out, d_in))
    j_ana = np.empty((d_out, d_in))
    for j in range(d_in):
        old = x0[j]
        x0[j] = old + eps
        yp = run().reshape(out_shape[0], -1)[0].copy()
        x0[j] = old - eps
        ym = run().reshape(out_shape[0], -1)[0].copy()
        x0[j] = old
        j_num[:, j] = (yp - ym) / (2.0 * eps)
    for k in range(d_out):
        run()
        e = np.zeros(out_shape)
        e.reshape(out_shape[0], -1)[0, k] = 1.0
        j_ana[k] = np.asarray(backward(e), dtype=np.float64).reshape(x.shape[0], -1)[0]
    return j_ana, j_num


def jacobian_hint(run, backward, x: np.ndarray, out_shape, eps: float, atol: float, rtol: float) -> str | None:
    """Compare the Jacobian of sample 0 entry by entry: diagonal vs off-diagonal errors."""
    if x.ndim < 1 or len(out_shape) < 1 or out_shape[0] != x.shape[0]:
        return None
    d_in = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    d_out = int(np.prod(out_shape[1:])) if len(out_shape) > 1 else 1
    if d_in != d_out or d_in < 2 or d_in > 64:
        return None
    try:
        j_ana, j_num = _sample_jacobians(run, backward, x, out_shape, d_in, d_out, eps)
    except Exception:  # only a hint
        return None
    bad = np.abs(j_ana - j_num) > atol + rtol * np.abs(j_num)
    if not bad.any():
        return None
    eye = np.eye(d_in, dtype=bool)
    scale = float(np.abs(j_num).max())
    coupled = float(np.abs(j_num[~eye]).max()) > 1e-6 * scale
    diag_bad, off_bad = bad[eye].any(), bad[~eye].any()
    i = int(np.argmax(np.abs(np.diag(j_ana) - np.diag(j_num))))
    example = f"for sample 0, ∂y_{i}/∂x_{i} is {j_ana[i, i]:.6g} from backward but {j_num[i, i]:.6g} numerically"
    if diag_bad and not off_bad and coupled:
        return ("only the diagonal of the Jacobian is wrong (every off-diagonal ∂y_i/∂x_j matches): "
                f"{example}. For softmax ∂y_i/∂x_j = y_i(δ_ij − y_j), i.e. J = diag(y) − y yᵀ with diagonal "
                "y_i(1 − y_i): check the δ_ij term (added, not assigned; y_i, not 1)")
    if diag_bad and not off_bad:
        return (f"the layer is element-wise (its Jacobian is diagonal), so grad_input = grad_output * f'(x), "
                f"and f'(x) is wrong: {example}")
    if off_bad and not diag_bad and coupled:
        return "only the off-diagonal entries of the Jacobian (∂y_i/∂x_j, i ≠ j) are wrong; the diagonal matches"
    if off_bad and not coupled:
        return ("each output depends only on its own input (element-wise layer), but backward mixes entries: "
                "use an element-wise product (*) where a matrix product (@) was used")
    return None


# ---------------------------------------------------------------------------- the list of hints


@dataclass
class HintCase:
    """What a hint may look at: one failing tensor and the evaluation it came from.

    ``run()`` re-runs forward on ``x`` and ``backward`` is the module's; both are
    ``None`` for a loss, whose hints cannot re-run anything.
    """

    check: TensorCheck
    params: dict[str, np.ndarray]
    x: np.ndarray | None
    out_shape: tuple[int, ...]
    atol: float
    rtol: float
    eps: float
    run: Callable[[], np.ndarray] | None = None
    backward: Callable[[np.ndarray], np.ndarray] | None = None
    R: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def analytic(self) -> np.ndarray | None:
        return self.check.analytic_array

    @property
    def numeric(self) -> np.ndarray | None:
        return self.check.numeric_array

    @property
    def comparable(self) -> bool:
        """Both gradients exist and have the same shape, so they compare entry by entry."""
        return self.analytic is not None and self.numeric is not None and self.analytic.shape == self.numeric.shape

    @property
    def can_rerun_input(self) -> bool:
        """The input gradient, which a hint may recompute by re-running forward and backward."""
        return self.name == "input" and self.run is not None and self.comparable


def _missing_gradient(c: HintCase) -> str | None:
    if c.analytic is None and c.check.problem.startswith("backward left no gradient"):
        return f"backward never added a gradient into {grad_ref(c.name)}: in backward use " + accumulate_advice(c.name)
    return None


def _weights(c: HintCase) -> str | None:
    if c.analytic is None or c.numeric is None:
        return None
    return weights_hint(c.name, c.analytic, c.params)


def _transposed(c: HintCase) -> str | None:
    if c.analytic is None or c.numeric is None:
        return None
    return transpose_hint(c.name, c.analytic, c.numeric)


def _wrong_shape(c: HintCase) -> str | None:
    if c.analytic is None or c.numeric is None or c.comparable:
        return None
    return shape_hint(c.name, c.analytic, c.numeric.shape, c.out_shape)


def _non_finite(c: HintCase) -> str | None:
    if c.comparable and not np.all(np.isfinite(c.analytic)):
        return "backward produced inf or NaN where the true gradient is finite: an overflow or a division by zero"
    return None


def _all_zeros(c: HintCase) -> str | None:
    if c.comparable and not np.any(c.analytic) and np.any(c.numeric):
        return f"backward gives all zeros for {c.name!r}: is the gradient computed but not returned/accumulated?"
    return None


def _constant_ratio(c: HintCase) -> str | None:
    if not c.comparable:
        return None
    # The sizes come from the input even for a parameter's gradient: a bias
    # gradient off by N is off by the batch size, not by a size of its own shape.
    sizes = _size_names(c.x.shape if c.x is not None else c.numeric.shape, c.out_shape)
    return ratio_hint(c.name, c.analytic, c.numeric, sizes)


def _wrong_branch(c: HintCase) -> str | None:
    if not c.comparable or c.x is None or c.name != "input":
        return None
    return mask_hint(c.analytic, c.numeric, c.x, c.atol, c.rtol)


def _ignores_grad_output(c: HintCase) -> str | None:
    if not c.can_rerun_input:
        return None
    return linearity_hint(c.run, c.backward, c.R, c.x.shape)


def _jacobian_pattern(c: HintCase) -> str | None:
    if not c.can_rerun_input:
        return None
    return jacobian_hint(c.run, c.backward, c.x, c.out_shape, c.eps, c.atol, c.rtol)


@dataclass(frozen=True)
class Hint:
    """One diagnosis: ``find(case)`` returns a sentence or None.

    An ``alone`` hint is only tried while no earlier hint has spoken for the
    tensor: it explains the error as a whole, so it must not contradict them.
    """

    find: Callable[[HintCase], str | None]
    alone: bool = False


#: The hints tried on every failing tensor, in this order.
TENSOR_HINTS: list[Hint] = [
    Hint(_missing_gradient),
    Hint(_weights),
    Hint(_transposed),
    Hint(_wrong_shape, alone=True),
    Hint(_non_finite),
    Hint(_all_zeros),
    Hint(_constant_ratio, alone=True),
    Hint(_wrong_branch, alone=True),
    Hint(_ignores_grad_output, alone=True),
    Hint(_jacobian_pattern, alone=True),
]


def add_hints(report: GradcheckReport, params: dict[str, np.ndarray], x: np.ndarray, out_shape,
              run=None, backward=None, R=None, eps: float = 1e-6) -> None:
    """Attach hints to every failing tensor check of ``report``."""
    out_shape = tuple(out_shape)
    for tc in report.checks:
        if tc.ok:
            continue
        case = HintCase(tc, params, x, out_shape, report.atol, report.rtol, eps, run, backward, R)
        for hint in TENSOR_HINTS:
            if hint.alone and tc.hints:
                continue
            text = hint.find(case)
            if text:
                tc.hints.append(text)


def backward_error_hints(e: Exception, params: dict[str, np.ndarray]) -> list[str]:
    """Hints for a backward that raised: a weight gradient of the transposed shape."""
    text = str(e)
    hints = []
    for name, w in params.items():
        if w.ndim == 2 and w.shape[0] != w.shape[1] and "does not match parameter" in text and str(w.shape[::-1]) in text:
            hints.append(
                f"the gradient for {param_ref(name)} has the transposed shape {w.shape[::-1]} instead of {w.shape}: "
                "for y = x @ W.T (weight of shape (out, in)) dL/dW = grad_output.T @ x"
            )
    return hints
