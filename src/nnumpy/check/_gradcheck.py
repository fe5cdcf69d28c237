"""``gradcheck``: a Module's or a Loss's hand-written backward against central differences.

For a Module, L = Σ (module(x) ⊙ R) for a fixed random R, so every entry of the
backward's vector-Jacobian product is compared with (L(θ + ε) − L(θ − ε)) / 2ε.
"""

from __future__ import annotations

import copy
from typing import Any, Sequence

import numpy as np

from .._validation import check_float
from ..nn._loss import Loss
from ..nn._module import Module
from ._hints import add_hints
from ._numerics import (central_difference, compare_gradients, float64_copy, restore_rngs, rng_states,
                        salted_generator)
from ._report import GradcheckReport


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
    if isinstance(obj, Loss) and len(inputs) < 2:
        raise ValueError("gradcheck of a loss needs (prediction, target).")
    gen = salted_generator(rng, "gradcheck")
    obj = copy.deepcopy(obj).to(np.float64)
    if isinstance(obj, Loss):
        return gradcheck_loss(obj, inputs, eps, atol, rtol, gen)
    return gradcheck_module(obj, inputs, eps, atol, rtol, gen, check_inputs)


def gradcheck_module(module: Module, inputs, eps, atol, rtol, gen, check_inputs) -> GradcheckReport:
    """:func:`gradcheck` of a float64 module the check may modify, arguments already validated."""
    report = GradcheckReport(target=type(module).__name__, eps=eps, atol=atol, rtol=rtol)
    xs = [float64_copy(x) for x in inputs]
    states = rng_states(module)

    def run():
        restore_rngs(states, module)
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
        report.checks.append(compare_gradients("input", grad_in, central_difference(loss, xs[0], eps), atol, rtol))
    for name, p in module.named_parameters():
        p.data = np.ascontiguousarray(p.data, dtype=np.float64)
        numeric = central_difference(loss, p.data, eps)
        report.checks.append(compare_gradients(name, analytic[name], numeric, atol, rtol))
    if not all(c.ok for c in report.checks):
        params = {name: p.data for name, p in module.named_parameters()}
        add_hints(report, params, xs[0], out.shape, run=run, backward=module.backward, R=R, eps=eps)
    return report


def gradcheck_loss(loss_fn: Loss, inputs: Sequence[Any], eps, atol, rtol, gen) -> GradcheckReport:
    """:func:`gradcheck` of a float64 loss, arguments already validated: d(loss)/d(prediction)."""
    report = GradcheckReport(target=type(loss_fn).__name__, eps=eps, atol=atol, rtol=rtol)
    pred = float64_copy(inputs[0])
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
    report.checks.append(compare_gradients("input", analytic, central_difference(loss, pred, eps), atol, rtol))
    if not report.checks[0].ok:
        add_hints(report, {}, pred, np.shape(value))
    return report
