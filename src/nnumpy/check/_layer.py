"""``check_layer``: a hand-written layer's gradients and the rules every backward must follow.

:func:`check_layer` validates its arguments, then a :class:`_LayerCheck` runs the
checks in order, one method each, on fresh float64 copies of the layer.
"""

from __future__ import annotations

import copy
from typing import Callable

import numpy as np

from .._validation import check_float, check_shape
from ..nn._loss import Loss
from ..nn._module import Module
from ._gradcheck import gradcheck_module
from ._hints import OVERFLOW_HINT, backward_error_hints, shape_hint, weights_hint
from ._numerics import restore_rngs, rng_states, salted_generator
from ._report import LayerReport, accumulate_advice, error_text, grad_ref
from ._steps import Subject, changes, check_gradient, check_large_inputs, extreme_run, validate_batch_sizes

# The checks in the order they run, with the line each gets in the report.
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
    sizes = validate_batch_sizes("check_layer", shape[0], batch_sizes)
    gen = salted_generator(0 if rng is None else rng, "check_layer")
    eps = check_float("check_layer", "eps", eps, gt=0)
    return _LayerCheck(layer, shape, sizes, gen, eps, atol, rtol).run()


class _LayerCheck:
    """One run of :func:`check_layer`, arguments already validated: a method per check."""

    def __init__(self, layer: Module, shape: tuple[int, ...], sizes: tuple[int, ...], gen: np.random.Generator,
                 eps: float, atol: float, rtol: float):
        self.subject = Subject(copy.deepcopy(layer).to(np.float64))
        self.shape, self.sizes, self.gen = shape, sizes, gen
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.params = {name: p.data for name, p in self.subject.template.named_parameters()}
        titles = dict(_LAYER_CHECKS, batch=_LAYER_CHECKS["batch"].format(sizes=" and ".join(map(str, sizes))))
        if not self.params:
            del titles["accumulate"]
        self.rep = LayerReport(target=type(layer).__name__, input_shape=shape, kind="layer", titles=titles,
                               checks={name: "skipped" for name in titles})

    def run(self) -> LayerReport:
        x = self.gen.standard_normal(self.shape)
        out = self.forward(x)
        if out is None:
            return self.rep
        R = self.gen.standard_normal(out.shape)
        ran, grad_in = self.backward(R)
        if not ran:
            return self.rep
        shape_ok = self.grad_shape(grad_in, out.shape)
        fresh = self.subject.fresh
        check_gradient(self.rep, lambda: gradcheck_module(fresh(), (x,), self.eps, self.atol, self.rtol, self.gen,
                                                          True), input_shape_reported=not shape_ok)
        if self.params:
            _check_accumulate(self.rep, fresh, x, R)
        self.batch(out, shape_ok)
        # extreme inputs, on separate copies so the gradient check above is untouched
        big = np.where(x >= 0, 1000.0, -1000.0)
        check_large_inputs(self.rep, fresh, (big, -big), lambda mod, v: mod(v.copy()),
                           lambda mod, o: mod.backward(np.ones_like(o)), "inputs of size ±1000", OVERFLOW_HINT,
                           locate=lambda: _lone_extreme_entry(fresh, self.shape))
        return self.rep

    def forward(self, x: np.ndarray) -> np.ndarray | None:
        """Check 1, on a read-only input: writing into the caller's array is a bug even when no value changes.

        Returns the output, or None when the later checks cannot run.
        """
        rep = self.rep
        arrays_before = _float_arrays(self.subject.module)
        try:
            out, wrote = self.subject.forward(x)
        except Exception as e:
            rep._fail("forward", "input", f"forward raised {error_text(e)} for an input of shape {self.shape}.")
            return None
        out = np.asarray(out)
        if wrote is not None:
            change = changes("input", x, wrote[0])
            rep._fail("forward", "input", "forward writes into its input array in place (e.g. x[x < 0] = 0 or x -= ...)"
                      + ("" if change else ", although no value changed for this input")
                      + ": the caller's data changes. Compute into a new array (np.maximum(x, 0), x - m)."
                      + (f" {change}" if change else ""))
        if out.dtype.kind != "f":
            rep._fail("forward", "output", f"forward returned dtype {out.dtype}; a layer returns a floating array.")
            return None
        if not np.all(np.isfinite(out)):
            rep._fail("forward", "output", "forward returned inf or NaN for ordinary inputs (standard normal).")
        rep._pass("forward")
        note = _plain_array_note(arrays_before, _float_arrays(self.subject.module))
        if note:
            rep.notes.append(note)
        return out

    def backward(self, R: np.ndarray) -> tuple[bool, np.ndarray | None]:
        """Check 2: backward gets a read-only grad_output, so any write is caught. ``(ran, grad_input)``."""
        rep = self.rep
        try:
            grad_in, wrote = self.subject.backward(R)
        except Exception as e:
            rep._fail("backward", "input", f"backward raised {error_text(e)}.", backward_error_hints(e, self.params))
            return False, None
        rep._pass("backward")
        if wrote is not None:
            change = changes("grad_output", R, wrote[0])
            rep._fail(
                "grad_output", "grad_output",
                "backward modified its incoming gradient grad_output in place"
                + (f": {change}" if change else " (the values happen to be unchanged, but it writes into the array)."),
                ["write the result into a new array: grad_output * (x > 0) or np.where(x > 0, grad_output, 0.0), not "
                 "grad_output[x <= 0] = 0. The caller still owns grad_output (another branch of the network may use it)"],
            )
        rep._pass("grad_output")
        return True, grad_in

    def grad_shape(self, grad_in, out_shape: tuple[int, ...]) -> bool:
        """Check 3: dL/dx has the input's shape. Returns whether it does."""
        shape, shape_ok = self.shape, False
        if grad_in is None:
            self.rep._fail("grad_shape", "input", "backward returned None; it must return dL/dx, an array of the "
                           f"input's shape {shape}.")
        else:
            g = np.asarray(grad_in, dtype=np.float64)
            if g.shape != shape:
                hint = weights_hint("input", g, self.params) or shape_hint("input", g, shape, out_shape)
                self.rep._fail("grad_shape", "input", f"backward returned a gradient of shape {g.shape}, but the "
                               f"input has shape {shape}.", [hint])
            else:
                shape_ok = True
        self.rep._pass("grad_shape")
        return shape_ok

    def batch(self, out: np.ndarray, shape_ok: bool) -> None:
        """Check 6: forward and backward at every batch size, the batch axis kept."""
        rep, shape = self.rep, self.shape
        keeps_batch = out.ndim >= 1 and out.shape[0] == shape[0]
        for b in self.sizes:
            xb = self.gen.standard_normal((b,) + shape[1:])
            mb = self.subject.fresh()
            try:
                ob = np.asarray(mb(xb))
            except Exception as e:
                rep._fail("batch", "input", f"forward raised {error_text(e)} for batch size {b} (input shape "
                          f"{xb.shape}).", ["a layer that needs several samples by design (BatchNorm in training) "
                                            "can be checked with batch_sizes=(2, N)"] if b == 1 else [])
                continue
            if keeps_batch and (ob.ndim != out.ndim or ob.shape[0] != b):
                rep._fail("batch", "output", f"for an input of shape {xb.shape} forward returned shape {ob.shape}; "
                          f"expected {(b,) + out.shape[1:]} (batch size {b} first).",
                          ["np.squeeze() or a hard-coded batch size drops or fixes the batch axis; reshape with "
                           "x.shape[0] instead"] if b == 1 else [])
                continue
            try:
                gb = mb.backward(self.gen.standard_normal(ob.shape))
            except Exception as e:
                rep._fail("batch", "input", f"backward raised {error_text(e)} for batch size {b} (input shape "
                          f"{xb.shape}).")
                continue
            if shape_ok and (gb is None or np.shape(gb) != xb.shape):  # a wrong shape at N is reported once, above
                rep._fail("batch", "input", f"for batch size {b} backward returned shape {np.shape(gb)}, expected "
                          f"{xb.shape}.")
        rep._pass("batch")


def _check_accumulate(rep: LayerReport, fresh: Callable[[], Module], x: np.ndarray, R: np.ndarray) -> None:
    """Check 5: two identical backward passes leave twice one pass in every ``param.grad``."""
    m = fresh()
    states = rng_states(m)
    m.zero_grad()
    try:
        restore_rngs(states, m)
        m(x.copy())
        m.backward(R.copy())
        first = {n: None if p.grad is None else np.array(p.grad, dtype=np.float64) for n, p in m.named_parameters()}
        restore_rngs(states, m)
        m(x.copy())
        m.backward(R.copy())
    except Exception as e:
        rep._fail("accumulate", "-", f"a second forward/backward pass raised {error_text(e)}.")
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
            rep._fail("accumulate", name, f"after two identical backward passes {grad_ref(name)} is not twice one "
                      f"pass (max deviation {dev:.2e}).",
                      ["backward must add exactly its own gradient into param.grad, once per call"])
    if overwritten:
        grads = " and ".join(grad_ref(n) for n in overwritten)
        rep._fail("accumulate", overwritten[0],
                  f"after two backward passes {grads} {'equal' if len(overwritten) > 1 else 'equals'} one pass: "
                  "backward overwrites param.grad instead of adding to it.",
                  ["gradients accumulate until zero_grad() (as in PyTorch): use " + accumulate_advice(overwritten[0])])
    rep._pass("accumulate")


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
            if not extreme_run(fresh(), lambda mod: mod(xv), lambda mod, o: mod.backward(np.ones_like(o)))[2]:
                idx = ", ".join(str(int(j)) for j in np.unravel_index(i, shape))
                return f"Worst entry input[{idx}] = {v:g}: that entry alone (every other entry 0) is enough."
    return ""


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
