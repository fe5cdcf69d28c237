"""``check_loss``: a hand-written loss's d(loss)/d(pred) and the rules its backward must follow.

:func:`check_loss` validates its arguments, then a :class:`_LossCheck` runs the
checks in order, one method each, on fresh float64 copies of the loss.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .._validation import check_float, check_shape
from ..nn._module import Module
from ._gradcheck import gradcheck_loss
from ._hints import LOSS_OVERFLOW_HINT, ratio_hint
from ._numerics import nearly_equal, salted_generator
from ._report import GradcheckReport, LayerReport, error_text
from ._steps import Subject, changes, check_gradient, check_large_inputs, validate_batch_sizes

# The checks in the order they run, with the line each gets in the report.
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
    sizes = validate_batch_sizes("check_loss", shape[0], batch_sizes)
    if max(sizes) > shape[0]:
        raise ValueError(f"check_loss batch sizes must be <= N = {shape[0]} (they slice the target). Got {sizes}.")
    gen = salted_generator(0 if rng is None else rng, "check_loss")
    eps = check_float("check_loss", "eps", eps, gt=0)
    return _LossCheck(loss_fn, shape, target, sizes, gen, eps, atol, rtol).run()


def _name_pred(gc: GradcheckReport) -> None:
    """The gradient check calls the loss's first argument 'input'; the loss report calls it 'pred'."""
    for tc in gc.checks:
        tc.name = "pred"
        tc.hints = [h.replace("the input gradient", "d(loss)/d(pred)") for h in tc.hints]


class _LossCheck:
    """One run of :func:`check_loss`, arguments already validated: a method per check."""

    def __init__(self, loss_fn: Module, shape: tuple[int, ...], target: np.ndarray, sizes: tuple[int, ...],
                 gen: np.random.Generator, eps: float, atol: float, rtol: float):
        self.subject = Subject(copy.deepcopy(loss_fn).to(np.float64))
        self.shape, self.target, self.sizes, self.gen = shape, target, sizes, gen
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.none = getattr(self.subject.template, "reduction", None) == "none"
        self.probabilities = False  # forward refused N(0, 1) predictions: a loss on probabilities
        self.loss_shape: tuple[int, ...] = ()  # () for a reduced loss, (N, ...) for reduction='none'
        titles = dict(_LOSS_CHECKS, batch=_LOSS_CHECKS["batch"].format(sizes=" and ".join(map(str, sizes))),
                      large_inputs=_LOSS_CHECKS["large_inputs"].format(extreme="±1000"))
        if not self.none:
            del titles["grad_output"]
        self.rep = LayerReport(target=type(loss_fn).__name__, input_shape=shape, kind="loss", titles=titles,
                               checks={name: "skipped" for name in titles})

    def run(self) -> LayerReport:
        pred = self.forward()
        if pred is None:
            return self.rep
        ran, grad = self.backward()
        if not ran:
            return self.rep
        grad_ok = self.grad_shape(grad)
        fresh = self.subject.fresh
        check_gradient(self.rep, lambda: gradcheck_loss(fresh(), (pred, self.target), self.eps, self.atol, self.rtol,
                                                        self.gen), input_shape_reported=not grad_ok, rename=_name_pred)
        if not self.none and grad_ok:
            self.repeatable(pred)
        self.batch()
        self.large_inputs()
        return self.rep

    def _backward_of(self, mod: Module, out) -> Any:
        """backward of a loss: with a gradient of ones for reduction='none', else with no argument."""
        return mod.backward(np.ones(np.shape(out))) if self.none else mod.backward()

    def forward(self) -> np.ndarray | None:
        """Check 1, with a fallback to probabilities for losses that refuse logits.

        Returns the predictions the loss accepted, or None when the later checks cannot run.
        """
        rep, shape, target = self.rep, self.shape, self.target
        pred = self.gen.standard_normal(shape)
        try:
            value, wrote = self.subject.forward(pred, target)
        except ValueError as first_error:
            pred = self.gen.uniform(0.05, 0.95, shape)
            try:
                value, wrote = self.subject.forward(pred, target)
            except Exception:
                rep._fail("forward", "pred", f"forward raised {error_text(first_error)} for predictions of shape {shape}.")
                return None
            self.probabilities = True
            rep.notes.append(f"forward refused N(0, 1) predictions ({first_error}); checked with probabilities in "
                             "[0.05, 0.95].")
            rep.titles["large_inputs"] = _LOSS_CHECKS["large_inputs"].format(extreme="exactly 0 and 1")
        except Exception as e:
            rep._fail("forward", "pred", f"forward raised {error_text(e)} for predictions of shape {shape}.")
            return None
        if wrote is not None:
            found = {"pred": changes("pred", pred, wrote[0]), "target": changes("target", target, wrote[1])}
            which = "pred" if found["pred"] or not found["target"] else "target"
            rep._fail("forward", which, f"forward writes into its {which} array in place; compute into a new array "
                      "(d = pred - target, not pred -= target)." + (f" {found[which]}" if found[which] else ""))
        v = np.asarray(value)
        if not self.none and v.ndim != 0:
            rep._fail("forward", "loss", f"forward returned an array of shape {v.shape}; a loss with reduction "
                      "'mean' or 'sum' returns one number.", ["reduce it: return float(per_sample.mean())"])
            return None
        if v.dtype.kind not in "fiu" or not np.all(np.isfinite(v)):
            rep._fail("forward", "loss", f"forward returned {value!r} for ordinary predictions: the loss must be a "
                      "finite number.")
            return None
        rep._pass("forward")
        self.loss_shape = v.shape
        return pred

    def backward(self) -> tuple[bool, Any]:
        """Check 2 (reduction='none' only: grad_output left alone) and backward itself. ``(ran, gradient)``."""
        rep = self.rep
        try:
            if self.none:
                r_loss = self.gen.standard_normal(self.loss_shape)
                grad, wrote = self.subject.backward(r_loss)
                if wrote is not None:
                    change = changes("grad_output", r_loss, wrote[0])
                    rep._fail("grad_output", "grad_output", "backward modified its incoming gradient grad_output in "
                              "place" + (f": {change}" if change else " (the values happen to be unchanged, but it "
                                         "writes into the array)."),
                              ["return grad * grad_output (a new array) instead of writing into grad_output"])
                rep._pass("grad_output")
            else:
                grad = self.subject.module.backward()
        except Exception as e:
            rep._fail("backward", "pred", f"backward raised {error_text(e)}.")
            return False, None
        rep._pass("backward")
        return True, grad

    def grad_shape(self, grad) -> bool:
        """Check 3: d(loss)/d(pred) has pred's shape. Returns whether it does."""
        shape_ok = grad is not None and np.shape(grad) == self.shape
        if not shape_ok:
            self.rep._fail("grad_shape", "pred", f"backward returned {'None' if grad is None else f'shape {np.shape(grad)}'}; "
                           f"d(loss)/d(pred) must have pred's shape {self.shape}.")
        self.rep._pass("grad_shape")
        return shape_ok

    def repeatable(self, pred: np.ndarray) -> None:
        """Check 5: backward() called twice after one forward gives the same gradient."""
        m = self.subject.fresh()
        m(pred.copy(), self.target.copy())
        try:
            g1 = np.array(m.backward(), dtype=np.float64)
            g2 = np.array(m.backward(), dtype=np.float64)
        except Exception as e:
            self.rep._fail("repeatable", "pred", f"a second backward() raised {error_text(e)}.")
        else:
            if not nearly_equal(g1, g2):
                ratio = ratio_hint("pred", g2, g1, {}) or ""
                self.rep._fail("repeatable", "pred", "calling backward() twice after one forward gave different "
                               "gradients: backward changes its cached gradient in place (e.g. self.grad /= n).",
                               ["compute into a new array (return self.grad / n) so every call returns the same "
                                "gradient"] + ([ratio.replace("the gradient of 'pred'", "the second call")] if ratio else []))
        self.rep._pass("repeatable")

    def batch(self) -> None:
        """Check 6: forward and backward at every batch size, with the target's first rows."""
        for b in self.sizes:
            size = (b,) + self.shape[1:]
            pb = self.gen.uniform(0.05, 0.95, size) if self.probabilities else self.gen.standard_normal(size)
            mb = self.subject.fresh()
            try:
                vb = mb(pb, self.target[:b].copy())
                gb = self._backward_of(mb, vb)
            except Exception as e:
                self.rep._fail("batch", "pred", f"forward/backward raised {error_text(e)} for batch size {b} (pred "
                               f"shape {pb.shape}).")
                continue
            if gb is None or np.shape(gb) != pb.shape:
                self.rep._fail("batch", "pred", f"for batch size {b} backward returned shape {np.shape(gb)}, "
                               f"expected {pb.shape}.")
        self.rep._pass("batch")

    def large_inputs(self) -> None:
        """Check 7: predictions of size ±1000 (or exactly 0 and 1 for probabilities), NumPy errors raised."""
        signs = np.where(self.gen.standard_normal(self.shape) >= 0, 1.0, -1.0)
        if self.probabilities:
            extremes = ((signs > 0).astype(np.float64), (signs < 0).astype(np.float64))  # p exactly 1 and 0
        else:
            extremes = (1000.0 * signs, -1000.0 * signs)
        what = "predictions of exactly 0 and 1" if self.probabilities else "predictions of size ±1000"
        target = self.target
        check_large_inputs(self.rep, self.subject.fresh, extremes, lambda mod, p: mod(p.copy(), target.copy()),
                           self._backward_of, what, LOSS_OVERFLOW_HINT)
