"""Numerical gradient checking: compare a hand-written backward with central differences.

``gradcheck(module, x)`` checks dL/dx and dL/dθ for every parameter θ of a
Module, with L = Σ (module(x) ⊙ R) for a fixed random R, so every entry of
the backward's vector-Jacobian product is compared with
(L(θ + ε) − L(θ − ε)) / 2ε. ``gradcheck(loss_fn, pred, target)`` checks
d(loss)/d(pred) of a Loss.

Checks always run in float64: float32 central differences carry ~1e-3 noise
and would hide real bugs. float32 modules and inputs are upcast on a copy (the
caller's objects are never modified).

Besides the values, the check reports a backward that modifies its incoming
gradient in place, or returns a gradient of the wrong shape, and for a wrong
gradient it looks for a recognisable pattern (a constant factor such as a
missing 1/N, a transposed matrix, the layer's weights returned as the input
gradient, an error confined to the Jacobian's diagonal) and says so in a hint.

``check_layer(layer, input_shape)`` and ``check_loss(loss_fn, pred_shape,
target)`` are the learner's reports: the gradient check plus the structural
rules every backward must follow (leave ``grad_output`` alone, return the
input's shape, add into ``param.grad``, work for batch sizes 1 and N, stay
finite on inputs of size ±1000), each failure explained in plain words.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ._random import as_generator
from ._validation import check_float, check_shape
from .nn._loss import Loss
from .nn._module import Module

__all__ = [
    "gradcheck",
    "check_layer",
    "check_loss",
    "GradcheckReport",
    "TensorCheck",
    "LayerReport",
    "Failure",
]


@dataclass
class TensorCheck:
    """The comparison for one tensor (the input, or one parameter).

    ``analytic_array`` and ``numeric_array`` hold the full gradients (the
    hand-written one may have a wrong shape or be ``None``); ``n_bad`` counts
    the entries outside the tolerance and ``hints`` explains a recognisable
    pattern in the error.
    """

    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...] | None
    analytic: float  # value of the hand-written gradient at the worst entry
    numeric: float  # value of the central difference at the worst entry
    ok: bool
    problem: str = ""  # a structural problem (wrong shape, missing grad, ...) if any
    n_bad: int = 0
    analytic_array: np.ndarray | None = field(default=None, repr=False, compare=False)
    numeric_array: np.ndarray | None = field(default=None, repr=False, compare=False)
    hints: list[str] = field(default_factory=list)

    def row(self) -> str:
        idx = "-" if self.worst_index is None else str(self.worst_index)
        status = "ok" if self.ok else "FAIL"
        text = (
            f"{self.name:<16} {str(self.shape):<14} {self.max_abs_error:>11.3e} {self.max_rel_error:>11.3e} "
            f"{idx:<12} {self.analytic:>12.5g} {self.numeric:>12.5g}  {status}"
        )
        return text + (f"  ({self.problem})" if self.problem else "")


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`: ``ok``, ``max_rel_error`` and a per-tensor table."""

    target: str
    checks: list[TensorCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.checks)

    @property
    def max_rel_error(self) -> float:
        return max((c.max_rel_error for c in self.checks), default=0.0)

    @property
    def max_abs_error(self) -> float:
        return max((c.max_abs_error for c in self.checks), default=0.0)

    @property
    def worst(self) -> TensorCheck | None:
        return max(self.checks, key=lambda c: c.max_rel_error, default=None)

    @property
    def hints(self) -> list[str]:
        """Every hint of every tensor, as ``"name: hint"`` strings."""
        return [f"{c.name}: {h}" for c in self.checks for h in c.hints]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        verdict = "OK" if self.ok else "FAILED"
        lines = [
            f"gradcheck of {self.target}: {verdict} (max relative error {self.max_rel_error:.3e}; "
            f"float64, eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})",
            f"{'tensor':<16} {'shape':<14} {'max abs err':>11} {'max rel err':>11} {'worst index':<12} "
            f"{'analytic':>12} {'numeric':>12}  status",
        ]
        lines += [c.row() for c in self.checks]
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"hint: {h}" for h in self.hints]
        return "\n".join(lines)

    __repr__ = __str__


def _compare(name: str, analytic, numeric: np.ndarray, atol: float, rtol: float) -> TensorCheck:
    shape = numeric.shape
    if analytic is None:
        return TensorCheck(name, shape, float("inf"), float("inf"), None, float("nan"), float("nan"), False,
                           "backward left no gradient (grad is None)", numeric_array=numeric)
    a = np.asarray(analytic, dtype=np.float64)
    if a.shape != shape:
        return TensorCheck(name, shape, float("inf"), float("inf"), None, float("nan"), float("nan"), False,
                           f"backward returned shape {a.shape}, expected {shape}",
                           analytic_array=a, numeric_array=numeric)
    if a.size == 0:
        return TensorCheck(name, shape, 0.0, 0.0, None, 0.0, 0.0, True, analytic_array=a, numeric_array=numeric)
    if not np.all(np.isfinite(a)):
        bad = np.unravel_index(int(np.argmax(~np.isfinite(a))), shape)
        return TensorCheck(name, shape, float("inf"), float("inf"), tuple(int(i) for i in bad),
                           float(a[bad]), float(numeric[bad]), False, "non-finite analytic gradient",
                           n_bad=int(np.sum(~np.isfinite(a))), analytic_array=a, numeric_array=numeric)
    diff = np.abs(a - numeric)
    # Relative error |a − n| / max(|a|, |n|, floor). Central differences carry
    # ~1e-10 of rounding noise, so an entry whose true gradient is ~0 would show a
    # huge "relative" error; the floor (1e-3 of the tensor's largest gradient)
    # measures such entries against the tensor's scale instead.
    scale = max(float(np.abs(numeric).max()), float(np.abs(a).max()))
    denom = np.maximum(np.maximum(np.abs(a), np.abs(numeric)), max(1e-3 * scale, 1e-12))
    rel = diff / denom
    worst = np.unravel_index(int(np.argmax(rel)), shape)
    bad = diff > atol + rtol * np.abs(numeric)
    return TensorCheck(
        name, shape, float(diff.max()), float(rel[worst]), tuple(int(i) for i in worst),
        float(a[worst]), float(numeric[worst]), not bool(bad.any()),
        n_bad=int(bad.sum()), analytic_array=a, numeric_array=numeric,
    )


def _restore_rngs(states: dict[int, Any], module: Module) -> None:
    for m in module.modules():
        rng = getattr(m, "rng", None)
        if isinstance(rng, np.random.Generator) and id(m) in states:
            rng.bit_generator.state = states[id(m)]


def _rng_states(module: Module) -> dict[int, Any]:
    return {
        id(m): copy.deepcopy(m.rng.bit_generator.state)
        for m in module.modules()
        if isinstance(getattr(m, "rng", None), np.random.Generator)
    }


def _central_difference(f, arr: np.ndarray, eps: float) -> np.ndarray:
    """(f(arr + eps·e_i) − f(arr − eps·e_i)) / 2eps for every entry i, arr modified and restored."""
    grad = np.zeros(arr.shape, dtype=np.float64)
    flat = arr.reshape(-1)  # a view: arr is contiguous float64 here
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2.0 * eps)
    return grad


def _as64(x) -> np.ndarray:
    arr = np.array(x, dtype=np.float64, copy=True, order="C")
    return arr


def gradcheck(
    obj,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    rng=0,
    check_inputs: bool = True,
    dtype=np.float64,
) -> GradcheckReport:
    """Check a Module's or a Loss's hand-written backward against central differences.

    For a Module, ``inputs`` are the forward arguments (usually one array); the
    input gradient and every parameter's gradient are checked, in training
    mode as the module is (Dropout's random mask is replayed identically for
    every evaluation by restoring its ``rng`` state). For a Loss, ``inputs``
    are ``(prediction, target)`` and d(loss)/d(prediction) is checked.

    A failing tensor gets ``hints`` when its error has a recognisable pattern
    (constant factor such as a missing 1/N, transposed gradient, weights
    returned instead of the input gradient, diagonal-only Jacobian error).

    Args:
        obj: a ``Module`` or a ``Loss``.
        *inputs: the arrays to evaluate at.
        eps: central-difference step (default 1e-6).
        atol, rtol: an entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|
            (PyTorch's ``gradcheck`` defaults).
        rng: seed or Generator for the random output weighting R.
        check_inputs: also check the gradient of the (first) input (default True).
        dtype: must be float64; ``np.float32`` is refused (float32 differences are noise).

    Returns:
        GradcheckReport with ``ok``, ``max_rel_error`` and a table (``print(report)``).

    Example:
        >>> from nnumpy import nn
        >>> report = gradcheck(nn.Linear(3, 2, rng=0), np.random.default_rng(0).normal(size=(4, 3)))
        >>> report.ok, report.max_rel_error < 1e-6
        (True, True)
    """
    if np.dtype(dtype) != np.float64:
        raise ValueError(
            f"gradcheck runs in float64 only (float32 central differences are ~1e-3 noise); got dtype={np.dtype(dtype).name}. "
            "float32 modules and inputs are upcast automatically."
        )
    eps = check_float("gradcheck", "eps", eps, gt=0)
    if not isinstance(obj, Module):
        raise TypeError(f"gradcheck expects an nnumpy Module or Loss, got {type(obj).__name__}.")
    if not inputs:
        raise ValueError("gradcheck needs at least one input array to evaluate at.")
    gen = _salted_generator(rng, "gradcheck")
    obj = copy.deepcopy(obj).to(np.float64)
    if isinstance(obj, Loss):
        return _check_loss(obj, inputs, eps, atol, rtol, gen)
    return _check_module(obj, inputs, eps, atol, rtol, gen, check_inputs)


def _salted_generator(rng, owner: str) -> np.random.Generator:
    # An int seed is salted: users often draw their inputs from default_rng(seed),
    # and R equal to the input would make some gradients vanish by symmetry.
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng([int(rng), 7919])
    return as_generator(rng, owner)


def _check_module(module: Module, inputs, eps, atol, rtol, gen, check_inputs) -> GradcheckReport:
    report = GradcheckReport(target=type(module).__name__, eps=eps, atol=atol, rtol=rtol)
    xs = [_as64(x) for x in inputs]
    states = _rng_states(module)

    def run():
        _restore_rngs(states, module)
        return np.asarray(module(*xs), dtype=np.float64)

    out = run()
    R = gen.standard_normal(out.shape)  # fixed random weighting of the outputs
    R_sent = R.copy()
    module.zero_grad()
    grad_in = module.backward(R_sent)
    if not np.array_equal(R_sent, R):
        report.problems.append(
            "backward modified its incoming gradient (grad_output) in place; compute into a new array instead"
        )
    analytic = {name: (None if p.grad is None else p.grad.copy()) for name, p in module.named_parameters()}

    def loss():
        return float(np.sum(run() * R))

    if check_inputs:
        report.checks.append(_compare("input", grad_in, _central_difference(loss, xs[0], eps), atol, rtol))
    for name, p in module.named_parameters():
        p.data = np.ascontiguousarray(p.data, dtype=np.float64)
        report.checks.append(_compare(name, analytic[name], _central_difference(loss, p.data, eps), atol, rtol))
    if not all(c.ok for c in report.checks):
        params = {name: p.data for name, p in module.named_parameters()}
        _add_hints(report, params, xs[0], out.shape, run=run, backward=module.backward, R=R, eps=eps)
    return report


def _check_loss(loss_fn: Loss, inputs: Sequence[Any], eps, atol, rtol, gen) -> GradcheckReport:
    report = GradcheckReport(target=type(loss_fn).__name__, eps=eps, atol=atol, rtol=rtol)
    if len(inputs) < 2:
        raise ValueError("gradcheck of a loss needs (prediction, target).")
    pred = _as64(inputs[0])
    target = np.asarray(inputs[1])
    if target.dtype.kind == "f":
        target = target.astype(np.float64)
    value = loss_fn(pred, target)
    none = getattr(loss_fn, "reduction", "mean") == "none"
    R = gen.standard_normal(np.shape(value)) if none else None

    def loss():
        v = loss_fn(pred, target)
        return float(np.sum(np.asarray(v) * R)) if none else float(v)

    if none:
        R_sent = R.copy()
        analytic = loss_fn.backward(R_sent)
        if not np.array_equal(R_sent, R):
            report.problems.append("backward modified its incoming gradient in place")
    else:
        analytic = loss_fn.backward()
    report.checks.append(_compare("input", analytic, _central_difference(loss, pred, eps), atol, rtol))
    if not report.checks[0].ok:
        _add_hints(report, {}, pred, np.shape(value))
    return report


# ---------------------------------------------------------------------------- hints
# Each hint function looks at one failing tensor and returns a sentence when the
# error has a shape a learner can act on, or None. They are only ever called on
# failures, so a hint never appears for a correct backward.


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-12))


def _attr(name: str) -> str:
    """How a learner would write the parameter: self.weight (or '0.weight' when nested)."""
    return f"self.{name}" if name.isidentifier() else f"'{name}'"


def _grad_ref(name: str) -> str:
    return f"self.{name}.grad" if name.isidentifier() else f"the .grad of parameter '{name}'"


def _accumulate_ref(name: str) -> str:
    short = name.split(".")[-1]
    if name.isidentifier():
        return f"self.{name}.accumulate(d{short}) or self.{name}.grad += ..., never self.{name}.grad = ..."
    return f"param.accumulate(d{short}) or param.grad += ... for parameter '{name}', never param.grad = ..."


def _looks_like_param(a: np.ndarray, params: dict[str, np.ndarray]) -> str | None:
    """The name of a parameter that ``a`` equals (maybe transposed or broadcast), or None."""
    for pname, w in params.items():
        if w.size < 2:
            continue
        for cand, how in ((w, ""), (w.T, " transposed")):
            if _close(a, cand):
                return f"{_attr(pname)}{how}"
            try:
                b = np.broadcast_to(cand, a.shape)
            except ValueError:
                continue
            if a.size > cand.size and _close(a, b):
                return f"{_attr(pname)}{how} (broadcast to {a.shape})"
    return None


def _weights_hint(name: str, a: np.ndarray, params: dict[str, np.ndarray]) -> str | None:
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


def _ratio_hint(name: str, a: np.ndarray, n: np.ndarray, sizes: dict[int, str]) -> str | None:
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
            meaning = sizes.get(kk)
            if too_big:
                text = f"{what} is {kk}× too large everywhere (backward / numeric = {c:.6g}): a division by {kk} is missing"
                if meaning and meaning.startswith("N,"):
                    return text + f". {kk} is {meaning}: the backward of a mean over the batch divides by N (a missing 1/N)"
                if meaning:
                    return text + (f". {kk} is {meaning}: the backward of a mean divides by the number of values "
                                   "averaged (a missing 1/N)")
                if kk == 2:
                    return text + " (a doubled factor, e.g. d(x²)/dx = 2x counted twice)"
                return text
            text = (f"{what} is 1/{kk} of the true one everywhere (backward / numeric = {c:.6g}): "
                    f"it divides by {kk} once too often")
            if meaning:
                text += f" ({kk} is {meaning})"
            if kk == 2:
                text += ", or a factor 2 is missing (d(x²)/dx = 2x)"
            return text
    return f"{what} is {c:.6g}× the true one everywhere: a constant factor is wrong"


def _transpose_hint(name: str, a: np.ndarray, n: np.ndarray) -> str | None:
    formula = "for y = x @ W.T (weight of shape (out, in)) dL/dW = grad_output.T @ x; for y = x @ W it is x.T @ grad_output"
    if name == "input":
        return None
    if a.ndim == 2 and n.ndim == 2 and a.shape == n.shape[::-1] and a.shape != n.shape:
        return f"the gradient of '{name}' has the transposed shape {a.shape} instead of {n.shape}: {formula}"
    if a.ndim == 2 and a.shape == n.shape and a.shape[0] == a.shape[1] and _close(a, n.T):
        return f"the gradient of '{name}' is the transpose of the true one: {formula}"
    return None


def _shape_hint(name: str, a: np.ndarray, expected: tuple[int, ...], out_shape: tuple[int, ...]) -> str | None:
    if a.shape == expected:
        return None
    what = "the input gradient" if name == "input" else f"the gradient of '{name}'"
    if name == "input" and a.shape == tuple(out_shape):
        return (f"{what} has the output's shape {a.shape}: backward must push grad_output back through the layer "
                f"(e.g. grad_output @ W) to get the input's shape {expected}")
    if a.ndim == len(expected) == 2 and a.shape == expected[::-1] and name == "input":
        return f"{what} has the transposed shape {a.shape}: transpose the product (the input has shape {expected})"
    return f"{what} must have shape {expected} (dL/dx has the shape of x), got {a.shape}"


def _mask_hint(a: np.ndarray, n: np.ndarray, x: np.ndarray, atol: float, rtol: float) -> str | None:
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


def _tensor_hints(tc: TensorCheck, params: dict[str, np.ndarray], x: np.ndarray | None,
                  out_shape: tuple[int, ...], atol: float, rtol: float) -> list[str]:
    a, n = tc.analytic_array, tc.numeric_array
    if a is None or n is None:
        if tc.problem.startswith("backward left no gradient"):
            return [f"backward never added a gradient into {_grad_ref(tc.name)}: in backward use "
                    + _accumulate_ref(tc.name)]
        return []
    hints = []
    w = _weights_hint(tc.name, a, params)
    if w:
        hints.append(w)
    t = _transpose_hint(tc.name, a, n)
    if t:
        hints.append(t)
    if a.shape != n.shape:
        if not hints:
            hints.append(_shape_hint(tc.name, a, n.shape, out_shape))
        return hints
    if not np.all(np.isfinite(a)):
        return hints + ["backward produced inf or NaN where the true gradient is finite: an overflow or a division by zero"]
    if not np.any(a) and np.any(n):
        return hints + [f"backward gives all zeros for {tc.name!r}: is the gradient computed but not returned/accumulated?"]
    if not hints:
        # The sizes come from the input even for a parameter's gradient: a bias
        # gradient off by N is off by the batch size, not by a size of its own shape.
        r = _ratio_hint(tc.name, a, n, _size_names(x.shape if x is not None else n.shape, out_shape))
        if r:
            hints.append(r)
    if not hints and x is not None and tc.name == "input":
        m = _mask_hint(a, n, x, atol, rtol)
        if m:
            hints.append(m)
    return hints


def _linearity_hint(run, backward, R: np.ndarray, x_shape) -> str | None:
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
    if _close(g1, g2):
        return ("backward's result does not change when grad_output is doubled: it ignores grad_output. "
                "The input gradient is grad_output pushed back through the layer "
                "(grad_output @ W for a linear map, grad_output * f'(x) for an activation)")
    if not np.allclose(g2, 2.0 * g1, rtol=1e-6, atol=1e-12):
        return ("backward is not linear in grad_output (doubling grad_output does not double the result): "
                "it must multiply grad_output by a Jacobian that depends only on what forward cached")
    return None


def _jacobian_hint(run, backward, x: np.ndarray, out_shape, eps: float, atol: float, rtol: float) -> str | None:
    """Compare the Jacobian of sample 0 entry by entry: diagonal vs off-diagonal errors."""
    if x.ndim < 1 or len(out_shape) < 1 or out_shape[0] != x.shape[0]:
        return None
    d_in = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    d_out = int(np.prod(out_shape[1:])) if len(out_shape) > 1 else 1
    if d_in != d_out or d_in < 2 or d_in > 64:
        return None
    x0 = x.reshape(x.shape[0], -1)[0]  # a view into x (contiguous float64)
    j_num = np.empty((d_out, d_in))
    j_ana = np.empty((d_out, d_in))
    try:
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


def _add_hints(report: GradcheckReport, params: dict[str, np.ndarray], x: np.ndarray, out_shape,
               run=None, backward=None, R=None, eps: float = 1e-6) -> None:
    """Attach hints to every failing tensor check of ``report``."""
    out_shape = tuple(out_shape)
    for tc in report.checks:
        if tc.ok:
            continue
        tc.hints.extend(_tensor_hints(tc, params, x, out_shape, report.atol, report.rtol))
        shaped = tc.analytic_array is not None and tc.analytic_array.shape == tc.shape
        if tc.name == "input" and run is not None and shaped:
            if not tc.hints:
                h = _linearity_hint(run, backward, R, x.shape)
                if h:
                    tc.hints.append(h)
            if not tc.hints:
                h = _jacobian_hint(run, backward, x, out_shape, eps, report.atol, report.rtol)
                if h:
                    tc.hints.append(h)


# ---------------------------------------------------------------------------- learner reports

_LAYER_CHECKS = {
    "forward": "forward runs, returns finite values and leaves its input unchanged",
    "backward": "backward runs",
    "grad_output": "backward leaves its incoming gradient (grad_output) unchanged",
    "grad_shape": "backward returns a gradient of the input's shape",
    "gradient": "gradients match float64 central differences",
    "accumulate": "backward adds into param.grad (accumulates, does not overwrite)",
    "batch": "forward and backward work for batch sizes {sizes}",
    "large_inputs": "inputs of size ±1000 give finite outputs and gradients (no overflow)",
}

_LOSS_CHECKS = {
    "forward": "forward runs, returns a finite loss and leaves pred and target unchanged",
    "backward": "backward runs",
    "grad_output": "backward leaves its incoming gradient (grad_output) unchanged",
    "grad_shape": "backward returns a gradient of pred's shape",
    "gradient": "d(loss)/d(pred) matches float64 central differences",
    "repeatable": "backward() called twice gives the same gradient",
    "batch": "forward and backward work for batch sizes {sizes}",
    "large_inputs": "extreme predictions ({extreme}) give a finite loss and gradient (no overflow)",
}


@dataclass
class Failure:
    """One failed check: which ``check``, which ``tensor``, what happened and hints."""

    check: str
    tensor: str
    message: str
    hints: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message + "".join(f"\n   hint: {h}" for h in self.hints)


@dataclass
class LayerReport:
    """Result of :func:`check_layer` / :func:`check_loss`.

    Attributes:
        target: the checked class's name.
        input_shape: the input (or prediction) shape used.
        checks: ``{check name: "ok" | "FAIL" | "skipped"}`` in the order run (a check
            is skipped when an earlier failure makes it impossible to run).
        findings: a :class:`Failure` per problem found.
        gradcheck: the :class:`GradcheckReport` of the float64 gradient check
            (``None`` when forward or backward could not run).
        notes: observations that are not failures.
    """

    target: str
    input_shape: tuple[int, ...]
    kind: str = "layer"
    checks: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict, repr=False)
    findings: list[Failure] = field(default_factory=list)
    gradcheck: GradcheckReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def failures(self) -> list[str]:
        """Each failure in plain words, with its hints."""
        return [str(f) for f in self.findings]

    @property
    def failed(self) -> list[str]:
        """Names of the failed checks (``'gradient'``, ``'grad_output'``, ...)."""
        return [name for name, status in self.checks.items() if status == "FAIL"]

    @property
    def hints(self) -> list[str]:
        return [h for f in self.findings for h in f.hints]

    def __bool__(self) -> bool:
        return self.ok

    def _fail(self, check: str, tensor: str, message: str, hints: Sequence[str] = ()) -> None:
        self.checks[check] = "FAIL"
        self.findings.append(Failure(check, tensor, message, [h for h in hints if h]))

    def _pass(self, check: str) -> None:
        if self.checks.get(check) != "FAIL":
            self.checks[check] = "ok"

    def __str__(self) -> str:
        what = "input" if self.kind == "layer" else "pred"
        fn = "check_layer" if self.kind == "layer" else "check_loss"
        n_fail = len(self.failed)
        verdict = "OK" if self.ok else f"FAILED ({n_fail} of {len(self.checks)} checks failed)"
        lines = [f"{fn}({self.target}) on {what} shape {self.input_shape}: {verdict}"]
        for name, status in self.checks.items():
            lines.append(f"  {'[' + status + ']':<9} {self.titles.get(name, name)}")
        for i, f in enumerate(self.findings, start=1):
            lines.append(f"{i}. {f}")
        lines += [f"note: {n}" for n in self.notes]
        if self.gradcheck is not None and not self.ok:
            table = str(self.gradcheck).split("\n")
            lines.append("gradient check table (float64):")
            lines += ["  " + row for row in table[1:] if not row.startswith(("hint:", "problem:"))]
        return "\n".join(lines)

    __repr__ = __str__


def _batch_sizes(owner: str, n: int, batch_sizes) -> tuple[int, ...]:
    if batch_sizes is None:
        return (1, n) if n != 1 else (1, 2)
    sizes = tuple(batch_sizes)
    if not sizes or any(isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1 for b in sizes):
        raise ValueError(f"The 'batch_sizes' parameter of {owner} must be a tuple of ints >= 1. Got {batch_sizes!r} instead.")
    return tuple(int(b) for b in sizes)


def _err(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).rstrip('.')}"


def _worst_entry_text(tc: TensorCheck) -> str:
    what = "the input gradient dL/dx" if tc.name == "input" else f"the gradient of '{tc.name}'"
    total = int(np.prod(tc.shape)) if tc.shape else 1
    idx = ", ".join(str(i) for i in tc.worst_index) if tc.worst_index is not None else ""
    return (f"gradient check: {what} is wrong at {tc.n_bad} of {total} entries. Worst entry {tc.name}[{idx}]: "
            f"backward gives {tc.analytic:.6g}, central difference gives {tc.numeric:.6g} "
            f"(abs error {abs(tc.analytic - tc.numeric):.2e}, relative error {tc.max_rel_error:.2e}).")


def _report_gradcheck(rep: LayerReport, gc: GradcheckReport, input_shape_reported: bool) -> None:
    failed_before = len(rep.findings)
    for tc in gc.checks:
        if tc.ok:
            continue
        if tc.problem.startswith("backward returned shape"):
            if tc.name in ("input", "pred") and input_shape_reported:
                continue  # already reported by the grad_shape check
            rep._fail("gradient", tc.name, f"gradient check: backward gave the gradient of '{tc.name}' the wrong shape "
                      f"({tc.problem}).", tc.hints)
        elif tc.problem.startswith("backward left no gradient"):
            rep._fail("gradient", tc.name, f"gradient check: after backward, {_grad_ref(tc.name)} is still None.", tc.hints)
        elif tc.problem == "non-finite analytic gradient":
            rep._fail("gradient", tc.name, f"gradient check: backward returned inf or NaN in the gradient of '{tc.name}' "
                      f"at index {tc.worst_index}, where the central difference is {tc.numeric:.6g}.", tc.hints)
        else:
            rep._fail("gradient", tc.name, _worst_entry_text(tc), tc.hints)
    if input_shape_reported and len(rep.findings) == failed_before:
        # Only the parameters could be compared; they match, but dL/dx was never checked.
        rep.checks["gradient"] = "skipped"
        rep.notes.append("dL/dx has the wrong shape, so only the parameter gradients were compared (they match).")
        return
    rep._pass("gradient")


_OVERFLOW_HINT = (
    "e.g. exp(-x) for x = -1000 overflows float64 (its largest value is about exp(709)): use a stable sigmoid "
    "(0.5*tanh(0.5x)+0.5 or split by sign); for a softmax subtract the row max before exp"
)
_LOSS_OVERFLOW_HINT = (
    "compute the loss in a stable form: log-softmax through logsumexp (subtract the row max), "
    "log(1 + exp(x)) as np.logaddexp(0, x), BCE from logits; never log(0) (clamp or use the logits form)"
)


def _errstate():
    # Overflow, invalid operations and division by zero raise inside the extreme-input probe;
    # underflow to 0 (e.g. exp(-1000)) is harmless and stays quiet.
    return np.errstate(over="raise", invalid="raise", divide="raise", under="ignore")


def _guarded(call: Callable, *arrays: np.ndarray) -> tuple[Any, list[np.ndarray] | None]:
    """Call ``call(retry, *copies)`` on read-only copies of ``arrays``.

    A write into a read-only argument raises, even one that would leave the values
    unchanged; then ``call(True, ...)`` runs again on writable copies (the callee
    rebuilds its state) and those copies, as the call left them, are returned
    (compare them with ``arrays`` through :func:`_changes`). Returns
    ``(result, None)`` when nothing was written.
    """
    frozen = []
    for a in arrays:
        c = np.array(a, copy=True)
        c.flags.writeable = False
        frozen.append(c)
    try:
        return call(False, *frozen), None
    except ValueError as e:
        if "read-only" not in str(e):
            raise
    writable = [np.array(a, copy=True) for a in arrays]
    result = call(True, *writable)
    return result, writable


def _changes(name: str, before: np.ndarray, after: np.ndarray) -> str:
    """How an in-place write changed an array, in words: '' when every value is as it was.

    Names the number of changed entries and the one changed most, e.g.
    ``"6 of 12 entries changed. Worst entry grad_output[0, 1]: was -0.53, now 0 (abs change 5.30e-01)."``
    """
    a, b = np.asarray(before), np.asarray(after)
    if a.shape != b.shape or a.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":
        return ""
    af, bf = a.astype(np.float64), b.astype(np.float64)
    changed = ~((af == bf) | (np.isnan(af) & np.isnan(bf)))
    if not changed.any():
        return ""
    finite = changed & np.isfinite(af) & np.isfinite(bf)
    diff = np.where(changed, np.inf, -1.0)  # an inf or NaN written counts as the largest change
    diff[finite] = np.abs(bf[finite] - af[finite])
    worst = np.unravel_index(int(np.argmax(diff)), a.shape)
    idx = ", ".join(str(int(i)) for i in worst)
    return (f"{int(changed.sum())} of {a.size} entries changed. Worst entry {name}[{idx}]: was {a[worst]:.6g}, "
            f"now {b[worst]:.6g} (abs change {diff[worst]:.2e}).")


def _float_arrays(module: Module) -> dict[str, np.ndarray]:
    """Public floating ndarray attributes of every submodule that are neither Parameters nor buffers."""
    found = {}
    for mod_name, mod in module.named_modules():
        for k, v in vars(mod).items():
            if k.startswith("_") or k in mod._buffers:
                continue
            if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.ndim >= 1:
                found[f"{mod_name}.{k}" if mod_name else k] = v
    return found


def _plain_array_note(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> str | None:
    """Arrays that forward neither created nor replaced: likely weights kept outside Parameter."""
    names = [k for k, v in before.items() if after.get(k) is v]
    if not names:
        return None
    return (f"{', '.join(repr(n) for n in names)}: plain ndarray attribute(s), not Parameters, so neither the "
            "gradient check nor an optimizer sees them. Wrap a learnable array as Parameter(...); register a "
            "constant one with register_buffer.")


def check_layer(
    layer: Module,
    input_shape,
    *,
    rng=None,
    batch_sizes=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> LayerReport:
    """Check a hand-written layer: its gradients and the rules every backward must follow.

    Runs, each on a fresh float64 copy of ``layer`` (the layer itself is never
    modified):

    1. ``forward``: runs, returns finite values, leaves its input unchanged;
    2. ``grad_output``: backward does not write into its incoming gradient
       (it is given a read-only array, and the values are compared);
    3. ``grad_shape``: backward returns dL/dx of the input's shape;
    4. ``gradient``: the float64 central-difference check of the input and
       every parameter (:func:`gradcheck`);
    5. ``accumulate``: two backward passes give twice one pass in every
       ``param.grad`` (gradients add up, as in PyTorch);
    6. ``batch``: forward and backward work for batch sizes 1 and N;
    7. ``large_inputs``: inputs of size ±1000 (NumPy errors raised) give finite
       outputs and gradients, the classic naive-sigmoid overflow.

    Each failure names the check, the tensor, the worst entry and the size of
    the error, with a hint where the pattern is recognisable.

    Args:
        layer: an instance of a ``Module`` subclass.
        input_shape: shape of one test batch, batch first, e.g. ``(4, 3)``.
        rng: seed or Generator for the test inputs (default: seed 0, so the
            report is reproducible).
        batch_sizes: batch sizes for the ``batch`` check (default ``(1, N)``
            with N = ``input_shape[0]``).
        eps, atol, rtol: as in :func:`gradcheck`.

    Returns:
        LayerReport: ``ok``, ``failures`` (plain-word strings), ``gradcheck``;
        ``print(report)`` shows it all.

    Example:
        >>> from nnumpy import nn
        >>> report = check_layer(nn.Linear(3, 2, rng=0), (4, 3))
        >>> report.ok
        True
        >>> report.checks["accumulate"]
        'ok'
    """
    if isinstance(layer, Loss):
        raise TypeError(
            f"check_layer checks layers; {type(layer).__name__} is a Loss: use check_loss(loss_fn, pred_shape, target)."
        )
    if not isinstance(layer, Module):
        raise TypeError(f"check_layer expects an nnumpy Module instance, got {type(layer).__name__}.")
    shape = check_shape("check_layer", "input_shape", input_shape, "(4, 3)")
    sizes = _batch_sizes("check_layer", shape[0], batch_sizes)
    gen = _salted_generator(0 if rng is None else rng, "check_layer")
    base = copy.deepcopy(layer).to(np.float64)
    titles = dict(_LAYER_CHECKS, batch=_LAYER_CHECKS["batch"].format(sizes=" and ".join(map(str, sizes))))
    params = {name: p.data for name, p in base.named_parameters()}
    if not params:
        del titles["accumulate"]
    rep = LayerReport(target=type(layer).__name__, input_shape=shape, kind="layer", titles=titles,
                      checks={name: "skipped" for name in titles})

    def fresh() -> Module:
        return copy.deepcopy(base)  # a deep copy carries the Dropout generator state: same masks every time

    x = gen.standard_normal(shape)

    # 1. forward, on a read-only input: writing into the caller's array is a bug even when no value changes
    m = fresh()
    arrays_before = _float_arrays(m)

    def forward(retry: bool, xa: np.ndarray):
        nonlocal m
        if retry:
            m = fresh()
        return m(xa)

    try:
        out, wrote = _guarded(forward, x)
    except Exception as e:
        rep._fail("forward", "input", f"forward raised {_err(e)} for an input of shape {shape}.")
        return rep
    out = np.asarray(out)
    if wrote is not None:
        change = _changes("input", x, wrote[0])
        rep._fail("forward", "input", "forward writes into its input array in place (e.g. x[x < 0] = 0 or x -= ...)"
                  + ("" if change else ", although no value changed for this input")
                  + ": the caller's data changes. Compute into a new array (np.maximum(x, 0), x - m)."
                  + (f" {change}" if change else ""))
    if out.dtype.kind != "f":
        rep._fail("forward", "output", f"forward returned dtype {out.dtype}; a layer returns a floating array.")
        return rep
    if not np.all(np.isfinite(out)):
        rep._fail("forward", "output", "forward returned inf or NaN for ordinary inputs (standard normal).")
    rep._pass("forward")
    note = _plain_array_note(arrays_before, _float_arrays(m))
    if note:
        rep.notes.append(note)

    # 2. grad_output left alone: backward gets a read-only array, so any write is caught
    R = gen.standard_normal(out.shape)

    def backward(retry: bool, r: np.ndarray):
        nonlocal m
        if retry:
            m = fresh()
            m(x.copy())
        m.zero_grad()
        return m.backward(r)

    try:
        grad_in, wrote = _guarded(backward, R)
    except Exception as e:
        rep._fail("backward", "input", f"backward raised {_err(e)}.", _backward_error_hints(e, params))
        return rep
    rep._pass("backward")
    if wrote is not None:
        change = _changes("grad_output", R, wrote[0])
        rep._fail(
            "grad_output", "grad_output",
            "backward modified its incoming gradient grad_output in place"
            + (f": {change}" if change else " (the values happen to be unchanged, but it writes into the array)."),
            ["write the result into a new array: grad_output * (x > 0) or np.where(x > 0, grad_output, 0.0), not "
             "grad_output[x <= 0] = 0. The caller still owns grad_output (another branch of the network may use it)"],
        )
    rep._pass("grad_output")

    # 3. shape of dL/dx
    shape_ok = False
    if grad_in is None:
        rep._fail("grad_shape", "input", "backward returned None; it must return dL/dx, an array of the input's "
                  f"shape {shape}.")
    else:
        g = np.asarray(grad_in, dtype=np.float64)
        if g.shape != shape:
            rep._fail("grad_shape", "input", f"backward returned a gradient of shape {g.shape}, but the input has "
                      f"shape {shape}.", [_weights_hint("input", g, params) or _shape_hint("input", g, shape, out.shape)])
        else:
            shape_ok = True
    rep._pass("grad_shape")

    # 4. gradient values
    try:
        gc = gradcheck(base, x, eps=eps, atol=atol, rtol=rtol, rng=gen)
    except Exception as e:
        rep._fail("gradient", "-", f"gradient check could not run: {_err(e)}.")
        gc = None
    if gc is not None:
        rep.gradcheck = gc
        _report_gradcheck(rep, gc, input_shape_reported=not shape_ok)

    # 5. accumulation into param.grad
    if params:
        _check_accumulate(rep, fresh, x, R)

    # 6. batch sizes
    keeps_batch = out.ndim >= 1 and out.shape[0] == shape[0]
    for b in sizes:
        xb = gen.standard_normal((b,) + shape[1:])
        mb = fresh()
        try:
            ob = np.asarray(mb(xb))
        except Exception as e:
            rep._fail("batch", "input", f"forward raised {_err(e)} for batch size {b} (input shape {xb.shape}).",
                      ["a layer that needs several samples by design (BatchNorm in training) can be checked with "
                       "batch_sizes=(2, N)"] if b == 1 else [])
            continue
        if keeps_batch and (ob.ndim != out.ndim or ob.shape[0] != b):
            rep._fail("batch", "output", f"for an input of shape {xb.shape} forward returned shape {ob.shape}; expected "
                      f"{(b,) + out.shape[1:]} (batch size {b} first).",
                      ["np.squeeze() or a hard-coded batch size drops or fixes the batch axis; reshape with "
                       "x.shape[0] instead"] if b == 1 else [])
            continue
        try:
            gb = mb.backward(gen.standard_normal(ob.shape))
        except Exception as e:
            rep._fail("batch", "input", f"backward raised {_err(e)} for batch size {b} (input shape {xb.shape}).")
            continue
        if shape_ok and (gb is None or np.shape(gb) != xb.shape):  # a wrong shape at N is reported once, above
            rep._fail("batch", "input", f"for batch size {b} backward returned shape {np.shape(gb)}, expected {xb.shape}.")
    rep._pass("batch")

    # 7. extreme inputs, on separate copies so the gradient check above is untouched
    big = np.where(x >= 0, 1000.0, -1000.0)
    for xl in (big, -big):
        if _extreme_probe(rep, fresh(), lambda mod, v=xl: mod(v.copy()), lambda mod, o: mod.backward(np.ones_like(o)),
                          "inputs of size ±1000", _OVERFLOW_HINT, locate=lambda: _lone_extreme_entry(fresh, shape)):
            break
    rep._pass("large_inputs")
    return rep


def _backward_error_hints(e: Exception, params: dict[str, np.ndarray]) -> list[str]:
    text = str(e)
    hints = []
    for name, w in params.items():
        if w.ndim == 2 and w.shape[0] != w.shape[1] and "does not match parameter" in text and str(w.shape[::-1]) in text:
            hints.append(
                f"the gradient for {_attr(name)} has the transposed shape {w.shape[::-1]} instead of {w.shape}: "
                "for y = x @ W.T (weight of shape (out, in)) dL/dW = grad_output.T @ x"
            )
    return hints


def _check_accumulate(rep: LayerReport, fresh, x: np.ndarray, R: np.ndarray) -> None:
    m = fresh()
    states = _rng_states(m)
    m.zero_grad()
    try:
        _restore_rngs(states, m)
        m(x.copy())
        m.backward(R.copy())
        first = {n: None if p.grad is None else np.array(p.grad, dtype=np.float64) for n, p in m.named_parameters()}
        _restore_rngs(states, m)
        m(x.copy())
        m.backward(R.copy())
    except Exception as e:
        rep._fail("accumulate", "-", f"a second forward/backward pass raised {_err(e)}.")
        return
    overwritten = []
    scale = max((float(np.abs(g).max()) for g in first.values() if g is not None and g.size), default=0.0)
    tol = 1e-9 * scale  # a parameter whose true gradient is ~0 (a bias before BatchNorm) compares as rounding noise
    for name, p in m.named_parameters():
        g1 = first[name]
        if g1 is None or p.grad is None or np.shape(p.grad) != g1.shape:
            continue  # a missing or misshapen gradient is reported by the gradient check
        g2 = np.asarray(p.grad, dtype=np.float64)
        if np.allclose(g2, 2.0 * g1, rtol=1e-6, atol=tol):
            continue
        if np.allclose(g2, g1, rtol=1e-6, atol=tol):
            overwritten.append(name)
        else:
            dev = float(np.abs(g2 - 2.0 * g1).max())
            rep._fail("accumulate", name, f"after two identical backward passes {_grad_ref(name)} is not twice one "
                      f"pass (max deviation {dev:.2e}).",
                      ["backward must add exactly its own gradient into param.grad, once per call"])
    if overwritten:
        grads = " and ".join(_grad_ref(n) for n in overwritten)
        rep._fail("accumulate", overwritten[0],
                  f"after two backward passes {grads} {'equal' if len(overwritten) > 1 else 'equals'} one pass: "
                  "backward overwrites param.grad instead of adding to it.",
                  ["gradients accumulate until zero_grad() (as in PyTorch): use " + _accumulate_ref(overwritten[0])])
    rep._pass("accumulate")


def _extreme_run(m: Module, forward: Callable, backward: Callable) -> tuple[str, BaseException | None, bool]:
    """Forward then backward with NumPy errors raised: ``(stage, exception, finite)`` of the first trouble.

    ``("", None, True)`` when both stages run and return finite values.
    """
    out = None
    for stage in ("forward", "backward"):
        try:
            with _errstate():
                if stage == "forward":
                    out = result = np.asarray(forward(m))
                else:
                    result = np.asarray(backward(m, out))
        except Exception as e:
            return stage, e, False
        if result.dtype.kind == "f" and not np.all(np.isfinite(result)):
            return stage, None, False
    return "", None, True


def _extreme_probe(rep: LayerReport, m: Module, forward: Callable, backward: Callable, what: str, hint: str,
                   locate: Callable[[], str] | None = None) -> bool:
    """Run forward and backward with NumPy errors raised; record a failure and return True on trouble.

    ``locate()``, called only on trouble, names the entry responsible (text appended to the message).
    """
    stage, e, finite = _extreme_run(m, forward, backward)
    if finite:
        return False
    tensor = "output" if stage == "forward" else "grad_input"
    where = locate() if locate is not None else ""
    where = f" {where}" if where else ""
    if isinstance(e, FloatingPointError):
        if "overflow" in str(e):
            message = f"{stage} overflowed on {what} (FloatingPointError: {e}).{where}"
        else:
            message = f"{stage} hit a floating-point error on {what} (FloatingPointError: {e}).{where}"
        rep._fail("large_inputs", tensor, message, [hint])
    elif e is not None:
        rep._fail("large_inputs", "input", f"{stage} raised {_err(e)} on {what}.{where}")
    else:
        rep._fail("large_inputs", tensor, f"{stage} returned inf or NaN on {what}.{where}", [hint])
    return True


def _lone_extreme_entry(fresh: Callable[[], Module], shape: tuple[int, ...], limit: int = 256) -> str:
    """The first input entry that alone (every other entry 0) at −1000 or +1000 breaks forward/backward, in words.

    Only tried for inputs of at most ``limit`` entries (two passes per entry); '' when none does on its own.
    """
    size = int(np.prod(shape))
    if size > limit:
        return ""
    for i in range(size):
        for v in (-1000.0, 1000.0):
            xv = np.zeros(shape)
            xv.flat[i] = v
            if not _extreme_run(fresh(), lambda mod: mod(xv), lambda mod, o: mod.backward(np.ones_like(o)))[2]:
                idx = ", ".join(str(int(j)) for j in np.unravel_index(i, shape))
                return f"Worst entry input[{idx}] = {v:g}: that entry alone (every other entry 0) is enough."
    return ""


def check_loss(
    loss_fn: Module,
    pred_shape,
    target,
    *,
    rng=None,
    batch_sizes=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> LayerReport:
    """Check a hand-written loss: d(loss)/d(pred) and the rules its backward must follow.

    The checks (each on a fresh float64 copy): ``forward`` (runs, finite,
    leaves pred and target unchanged), ``grad_output`` (only for
    ``reduction='none'``), ``grad_shape``, ``gradient`` (float64 central
    differences), ``repeatable`` (``backward()`` twice gives the same
    gradient: no in-place scaling of a cached array), ``batch`` (batch sizes
    1 and N, with ``target[:1]``) and ``large_inputs`` (predictions ±1000, or
    exactly 0 and 1 for a loss on probabilities, with NumPy errors raised).

    Predictions are drawn from N(0, 1); if forward refuses them (a loss on
    probabilities such as BCELoss), from U(0.05, 0.95).

    Args:
        loss_fn: a ``Loss`` (``loss_fn(pred, target)`` returns the loss,
            ``loss_fn.backward()`` returns d(loss)/d(pred)).
        pred_shape: shape of the predictions, batch first, e.g. ``(4, 3)``.
        target: the targets for a batch of N = ``pred_shape[0]``.
        rng: seed or Generator for the predictions (default seed 0).
        batch_sizes: batch sizes for the ``batch`` check (default ``(1, N)``).
        eps, atol, rtol: as in :func:`gradcheck`.

    Returns:
        LayerReport (``ok``, ``failures``, ``gradcheck``; ``print`` it).

    Example:
        >>> from nnumpy import nn
        >>> check_loss(nn.CrossEntropyLoss(), (4, 3), np.array([0, 2, 1, 2])).ok
        True
    """
    if not isinstance(loss_fn, Module):
        raise TypeError(
            f"check_loss expects an nnumpy Loss instance (a subclass of nnumpy.nn.Loss), got {type(loss_fn).__name__}."
        )
    shape = check_shape("check_loss", "pred_shape", pred_shape, "(4, 3)")
    target = np.asarray(target)
    if target.ndim == 0 or target.shape[0] != shape[0]:
        raise ValueError(
            f"check_loss needs a target for the whole batch: pred_shape {shape} has N = {shape[0]}, "
            f"so target must have shape ({shape[0]}, ...). Got {target.shape} instead."
        )
    if target.dtype.kind == "f":
        target = target.astype(np.float64)
    sizes = _batch_sizes("check_loss", shape[0], batch_sizes)
    if max(sizes) > shape[0]:
        raise ValueError(f"check_loss batch sizes must be <= N = {shape[0]} (they slice the target). Got {sizes}.")
    gen = _salted_generator(0 if rng is None else rng, "check_loss")
    base = copy.deepcopy(loss_fn).to(np.float64)
    none = getattr(base, "reduction", None) == "none"

    def fresh() -> Module:
        return copy.deepcopy(base)

    # 1. forward, with a fallback to probabilities for losses that refuse logits
    pred = gen.standard_normal(shape)
    probabilities = False
    titles = dict(_LOSS_CHECKS, batch=_LOSS_CHECKS["batch"].format(sizes=" and ".join(map(str, sizes))),
                  large_inputs=_LOSS_CHECKS["large_inputs"].format(extreme="±1000"))
    if not none:
        del titles["grad_output"]
    rep = LayerReport(target=type(loss_fn).__name__, input_shape=shape, kind="loss", titles=titles,
                      checks={name: "skipped" for name in titles})
    m = fresh()

    def forward(retry: bool, p: np.ndarray, t: np.ndarray):
        nonlocal m
        if retry:
            m = fresh()
        return m(p, t)

    try:
        value, wrote = _guarded(forward, pred, target)
    except ValueError as first_error:
        pred = gen.uniform(0.05, 0.95, shape)
        try:
            value, wrote = _guarded(forward, pred, target)
        except Exception:
            rep._fail("forward", "pred", f"forward raised {_err(first_error)} for predictions of shape {shape}.")
            return rep
        probabilities = True
        rep.notes.append(f"forward refused N(0, 1) predictions ({first_error}); checked with probabilities in [0.05, 0.95].")
        rep.titles["large_inputs"] = _LOSS_CHECKS["large_inputs"].format(extreme="exactly 0 and 1")
    except Exception as e:
        rep._fail("forward", "pred", f"forward raised {_err(e)} for predictions of shape {shape}.")
        return rep
    if wrote is not None:
        changes = {"pred": _changes("pred", pred, wrote[0]), "target": _changes("target", target, wrote[1])}
        which = "pred" if changes["pred"] or not changes["target"] else "target"
        rep._fail("forward", which, f"forward writes into its {which} array in place; compute into a new array "
                  "(d = pred - target, not pred -= target)." + (f" {changes[which]}" if changes[which] else ""))
    v = np.asarray(value)
    if not none and v.ndim != 0:
        rep._fail("forward", "loss", f"forward returned an array of shape {v.shape}; a loss with reduction "
                  "'mean' or 'sum' returns one number.", ["reduce it: return float(per_sample.mean())"])
        return rep
    if v.dtype.kind not in "fiu" or not np.all(np.isfinite(v)):
        rep._fail("forward", "loss", f"forward returned {value!r} for ordinary predictions: the loss must be a finite number.")
        return rep
    rep._pass("forward")

    # 2. grad_output (reduction='none' only) and 3. the gradient's shape
    def backward(retry: bool, *r: np.ndarray):
        nonlocal m
        if retry:
            m = fresh()
            m(pred.copy(), target.copy())
        return m.backward(*r)

    try:
        if none:
            r_loss = gen.standard_normal(v.shape)
            grad, wrote = _guarded(backward, r_loss)
            if wrote is not None:
                change = _changes("grad_output", r_loss, wrote[0])
                rep._fail("grad_output", "grad_output", "backward modified its incoming gradient grad_output in place"
                          + (f": {change}" if change else " (the values happen to be unchanged, but it writes into "
                             "the array)."),
                          ["return grad * grad_output (a new array) instead of writing into grad_output"])
            rep._pass("grad_output")
        else:
            grad = m.backward()
    except Exception as e:
        rep._fail("backward", "pred", f"backward raised {_err(e)}.")
        return rep
    rep._pass("backward")
    if grad is None or np.shape(grad) != shape:
        rep._fail("grad_shape", "pred", f"backward returned {'None' if grad is None else f'shape {np.shape(grad)}'}; "
                  f"d(loss)/d(pred) must have pred's shape {shape}.")
    rep._pass("grad_shape")

    # 4. gradient values
    try:
        gc = _check_loss(fresh(), (pred, target), eps, atol, rtol, gen)
    except Exception as e:
        rep._fail("gradient", "-", f"gradient check could not run: {_err(e)}.")
        gc = None
    if gc is not None:
        for tc in gc.checks:
            tc.name = "pred"
            tc.hints = [h.replace("the input gradient", "d(loss)/d(pred)") for h in tc.hints]
        rep.gradcheck = gc
        _report_gradcheck(rep, gc, input_shape_reported=grad is None or np.shape(grad) != shape)

    # 5. backward() twice
    if not none and grad is not None and np.shape(grad) == shape:
        m = fresh()
        m(pred.copy(), target.copy())
        try:
            g1 = np.array(m.backward(), dtype=np.float64)
            g2 = np.array(m.backward(), dtype=np.float64)
        except Exception as e:
            rep._fail("repeatable", "pred", f"a second backward() raised {_err(e)}.")
        else:
            if not _close(g1, g2):
                ratio = _ratio_hint("pred", g2, g1, {}) or ""
                rep._fail("repeatable", "pred", "calling backward() twice after one forward gave different gradients: "
                          "backward changes its cached gradient in place (e.g. self.grad /= n).",
                          ["compute into a new array (return self.grad / n) so every call returns the same gradient"]
                          + ([ratio.replace("the gradient of 'pred'", "the second call")] if ratio else []))
        rep._pass("repeatable")

    def lbackward(mod, out):
        """backward of a loss: with a gradient of ones for reduction='none', else with no argument."""
        return mod.backward(np.ones(np.shape(out))) if none else mod.backward()

    # 6. batch sizes
    for b in sizes:
        pb = gen.uniform(0.05, 0.95, (b,) + shape[1:]) if probabilities else gen.standard_normal((b,) + shape[1:])
        mb = fresh()
        try:
            vb = mb(pb, target[:b].copy())
            gb = lbackward(mb, vb)
        except Exception as e:
            rep._fail("batch", "pred", f"forward/backward raised {_err(e)} for batch size {b} (pred shape {pb.shape}).")
            continue
        if gb is None or np.shape(gb) != pb.shape:
            rep._fail("batch", "pred", f"for batch size {b} backward returned shape {np.shape(gb)}, expected {pb.shape}.")
    rep._pass("batch")

    # 7. extreme predictions
    signs = np.where(gen.standard_normal(shape) >= 0, 1.0, -1.0)
    if probabilities:
        extremes = ((signs > 0).astype(np.float64), (signs < 0).astype(np.float64))  # p exactly 1 and 0
    else:
        extremes = (1000.0 * signs, -1000.0 * signs)
    what = "predictions of exactly 0 and 1" if probabilities else "predictions of size ±1000"

    def lforward(mod, p):
        return mod(p.copy(), target.copy())

    for pl in extremes:
        if _extreme_probe(rep, fresh(), lambda mod, p=pl: lforward(mod, p), lbackward, what, _LOSS_OVERFLOW_HINT):
            break
    rep._pass("large_inputs")
    return rep
