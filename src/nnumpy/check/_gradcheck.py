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
from ._diagnoses import L, check_lang, diagnosis
from ._hint_table import add_hints
from ._numerics import (central_difference, compare_gradients, directional_loss, directional_module, draws_random,
                        float64_copy, global_rng_kept, restore_rngs, rng_states, salted_generator)
from ._report import GradcheckReport, param_ref

GRAD_OUTPUT_FIX = L(
    "write the result into a new array: grad_output * (x > 0) or np.where(x > 0, grad_output, 0.0), not "
    "grad_output[x <= 0] = 0. The caller still owns grad_output (another branch of the network may use it)",
    "결과는 새 배열에 쓰세요: grad_output[x <= 0] = 0 대신 grad_output * (x > 0)이나 np.where(x > 0, grad_output, "
    "0.0). grad_output은 호출한 쪽의 것입니다(네트워크의 다른 갈래가 쓸 수 있음)")


def changed_params(before: dict[str, np.ndarray], module: Module) -> tuple[list[str], float]:
    """The parameters whose values differ from ``before``, and the largest change."""
    names, largest = [], 0.0
    for name, p in module.named_parameters():
        old = before.get(name)
        new = np.asarray(p.data, dtype=np.float64)
        if old is None or old.shape != new.shape:
            continue
        if not np.array_equal(old, new):
            names.append(name)
            largest = max(largest, float(np.nanmax(np.abs(new - old))))
    return names, largest


def params_changed_diagnosis(where: str, names: list[str], change: float):
    refs = ", ".join(param_ref(n) for n in names)
    return diagnosis("params-changed", names[0], where=where, params=refs, change=change)


def snapshot(module: Module) -> dict[str, np.ndarray]:
    return {name: np.array(p.data, dtype=np.float64) for name, p in module.named_parameters()}


def gradcheck(
    obj,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    rng=0,
    check_inputs: bool = True,
    dtype=np.float64,
    lang: str = "en",
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
        lang: ``'en'`` (default) or ``'ko'``: the language of the diagnoses and of ``print(report)``
            (its heading, problems and table notes).

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
    lang = check_lang("gradcheck", lang)
    if not isinstance(obj, Module):
        raise TypeError(f"gradcheck expects an nnumpy Module or Loss, got {type(obj).__name__}.")
    if not inputs:
        raise ValueError("gradcheck needs at least one input array to evaluate at.")
    if isinstance(obj, Loss) and len(inputs) < 2:
        raise ValueError("gradcheck of a loss needs (prediction, target).")
    gen = salted_generator(rng, "gradcheck")
    obj = copy.deepcopy(obj).to(np.float64)
    with global_rng_kept():
        if isinstance(obj, Loss):
            report = gradcheck_loss(obj, inputs, eps, atol, rtol, gen)
        else:
            report = gradcheck_module(obj, inputs, eps, atol, rtol, gen, check_inputs)
    report.lang = lang
    return report


def gradcheck_module(module: Module, inputs, eps, atol, rtol, gen, check_inputs) -> GradcheckReport:
    """:func:`gradcheck` of a float64 module the check may modify, arguments already validated."""
    report = GradcheckReport(target=type(module).__name__, eps=eps, atol=atol, rtol=rtol)
    template = copy.deepcopy(module)
    xs = [float64_copy(x) for x in inputs]
    states = rng_states(module)

    def run():
        restore_rngs(states, module)
        return np.asarray(module(*xs), dtype=np.float64)

    out, forward_draws = draws_random(module, run)
    R = gen.standard_normal(out.shape)  # fixed random weighting of the outputs
    R_sent = R.copy()
    module.zero_grad()
    before = snapshot(module)
    grad_in, backward_draws = draws_random(module, lambda: module.backward(R_sent))
    if not np.array_equal(R_sent, R):
        report._problem(L(
            "backward modified its incoming gradient (grad_output) in place; compute into a new array instead",
            "backward가 받은 기울기(grad_output)를 제자리에서 바꿨습니다. 대신 새 배열로 계산하세요",
        ))
        report.problem_diagnoses.append(diagnosis("grad-output-modified", "grad_output", fix=GRAD_OUTPUT_FIX))
    changed, change = changed_params(before, module)
    if changed:
        names = ", ".join(map(repr, changed))
        report._problem(L(f"backward changed the values of {names} (largest change "
                          f"{change:.3g}); a layer must leave the update to the optimizer",
                          f"backward가 {names}의 값을 바꿨습니다(최대 변화 {change:.3g}). 갱신은 옵티마이저에 "
                          "맡겨야 합니다"))
        report.problem_diagnoses.append(params_changed_diagnosis("backward", changed, change))
    analytic = {name: (None if p.grad is None else p.grad.copy()) for name, p in module.named_parameters()}

    def loss():
        return float(np.sum(run() * R))

    if check_inputs:
        report.checks.append(compare_gradients("input", grad_in, central_difference(loss, xs[0], eps), atol, rtol))
    for name, p in module.named_parameters():
        p.data = np.ascontiguousarray(p.data, dtype=np.float64)
        numeric = central_difference(loss, p.data, eps)
        report.checks.append(compare_gradients(name, analytic[name], numeric, atol, rtol))
    if not all(c.ok for c in report.checks) and not changed:  # changed weights make every other pattern moot
        params = {name: p.data for name, p in module.named_parameters()}
        x0 = xs[0]

        def directional(b: int, which: str) -> tuple[float, float]:
            xb = np.random.default_rng(b).standard_normal((b,) + x0.shape[1:])
            return directional_module(template, xb, None, which, eps)

        add_hints(report, params, x0, out.shape, run=run, backward=module.backward, R=R, eps=eps, kind="layer",
                  module=module, forward_draws=forward_draws, backward_draws=backward_draws,
                  directional=directional if len(xs) == 1 else None)
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
            report._problem(L("backward modified its incoming gradient in place",
                              "backward가 받은 기울기를 제자리에서 바꿨습니다"))
    else:
        analytic = loss_fn.backward()
    report.checks.append(compare_gradients("input", analytic, central_difference(loss, pred, eps), atol, rtol))
    if not report.checks[0].ok:
        template = copy.deepcopy(loss_fn)
        n = pred.shape[0] if pred.ndim else 1
        probabilities = bool(np.all((pred > 0) & (pred < 1)))

        def directional(b: int, which: str) -> tuple[float, float]:
            g = np.random.default_rng(b)
            pb = g.uniform(0.05, 0.95, (b,) + pred.shape[1:]) if probabilities else g.standard_normal((b,) + pred.shape[1:])
            return directional_loss(template, pb, target[np.arange(b) % n])

        add_hints(report, {}, pred, np.shape(value), kind="loss", target=target,
                  directional=None if none or pred.ndim == 0 else directional)
    return report
