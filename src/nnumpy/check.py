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
gradient in place, or returns a gradient of the wrong shape.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ._random import as_generator
from ._validation import check_float
from .nn._loss import Loss
from .nn._module import Module

__all__ = ["gradcheck", "GradcheckReport", "TensorCheck"]


@dataclass
class TensorCheck:
    """The comparison for one tensor (the input, or one parameter)."""

    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...] | None
    analytic: float  # value of the hand-written gradient at the worst entry
    numeric: float  # value of the central difference at the worst entry
    ok: bool
    problem: str = ""  # a structural problem (wrong shape, missing grad, ...) if any

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
        return "\n".join(lines)

    __repr__ = __str__


def _compare(name: str, analytic, numeric: np.ndarray, atol: float, rtol: float) -> TensorCheck:
    shape = numeric.shape
    if analytic is None:
        return TensorCheck(name, shape, float("inf"), float("inf"), None, float("nan"), float("nan"), False,
                           "backward left no gradient (grad is None)")
    a = np.asarray(analytic, dtype=np.float64)
    if a.shape != shape:
        return TensorCheck(name, shape, float("inf"), float("inf"), None, float("nan"), float("nan"), False,
                           f"backward returned shape {a.shape}, expected {shape}")
    if a.size == 0:
        return TensorCheck(name, shape, 0.0, 0.0, None, 0.0, 0.0, True)
    diff = np.abs(a - numeric)
    if not np.all(np.isfinite(a)):
        bad = np.unravel_index(int(np.argmax(~np.isfinite(a))), shape)
        return TensorCheck(name, shape, float("inf"), float("inf"), tuple(int(i) for i in bad),
                           float(a[bad]), float(numeric[bad]), False, "non-finite analytic gradient")
    # Relative error |a − n| / max(|a|, |n|, floor). Central differences carry
    # ~1e-10 of rounding noise, so an entry whose true gradient is ~0 would show a
    # huge "relative" error; the floor (1e-3 of the tensor's largest gradient)
    # measures such entries against the tensor's scale instead.
    scale = max(float(np.abs(numeric).max()), float(np.abs(a).max()))
    denom = np.maximum(np.maximum(np.abs(a), np.abs(numeric)), max(1e-3 * scale, 1e-12))
    rel = diff / denom
    worst = np.unravel_index(int(np.argmax(rel)), shape)
    ok = bool(np.all(diff <= atol + rtol * np.abs(numeric)))
    return TensorCheck(
        name, shape, float(diff.max()), float(rel[worst]), tuple(int(i) for i in worst),
        float(a[worst]), float(numeric[worst]), ok,
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
    # An int seed is salted: users often draw their inputs from default_rng(seed),
    # and R equal to the input would make some gradients vanish by symmetry.
    gen = np.random.default_rng([int(rng), 7919]) if isinstance(rng, (int, np.integer)) else as_generator(rng, "gradcheck")
    obj = copy.deepcopy(obj).to(np.float64)
    if isinstance(obj, Loss):
        return _check_loss(obj, inputs, eps, atol, rtol, gen)
    return _check_module(obj, inputs, eps, atol, rtol, gen, check_inputs)


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
    return report
