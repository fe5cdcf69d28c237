"""The numbers under every check: central differences, the comparison, float64, RNG replay.

Checks always run in float64: float32 central differences carry ~1e-3 noise and
would hide real bugs. A module that draws random numbers in forward (Dropout)
must draw the same ones at every evaluation of a central difference, so its
generator state is saved once and restored before each evaluation.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Callable, Iterator

import numpy as np

from .._random import as_generator
from ..nn._module import Module
from ._report import TensorCheck


def float64_copy(x) -> np.ndarray:
    """A C-contiguous float64 copy of ``x`` (central differences write into it entry by entry)."""
    return np.array(x, dtype=np.float64, copy=True, order="C")


def nearly_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape and equal up to float64 rounding."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-12))


def salted_generator(rng, owner: str) -> np.random.Generator:
    """The generator of a check's random inputs and output weighting, from ``rng``."""
    # An int seed is salted: users often draw their inputs from default_rng(seed),
    # and R equal to the input would make some gradients vanish by symmetry.
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng([int(rng), 7919])
    return as_generator(rng, owner)


_GLOBAL = "np.random"  # the key of NumPy's global generator among the saved states


def rng_states(module: Module) -> dict[Any, Any]:
    """The state of every submodule's ``rng`` Generator, by submodule id, and of NumPy's global generator.

    The global one is there for layers written as in the Deep Learning from Scratch
    book (Dropout drawing from ``np.random.rand``): replaying it makes every
    evaluation of a central difference draw the same mask.
    """
    states: dict[Any, Any] = {
        id(m): copy.deepcopy(m.rng.bit_generator.state)
        for m in module.modules()
        if isinstance(getattr(m, "rng", None), np.random.Generator)
    }
    states[_GLOBAL] = np.random.get_state()
    return states


def restore_rngs(states: dict[Any, Any], module: Module) -> None:
    """Put every submodule's ``rng`` (and the global generator) back to the state :func:`rng_states` saved."""
    for m in module.modules():
        rng = getattr(m, "rng", None)
        if isinstance(rng, np.random.Generator) and id(m) in states:
            rng.bit_generator.state = states[id(m)]
    if _GLOBAL in states:
        np.random.set_state(states[_GLOBAL])


def same_state(a, b) -> bool:
    """Two generator states are equal (the global one is a tuple holding an array)."""
    if isinstance(a, tuple):  # the legacy global state: ('MT19937', keys, pos, has_gauss, cached)
        return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]
    return a == b


def draws_random(module: Module, call: Callable[[], Any]) -> tuple[Any, bool]:
    """``(call(), whether it drew random numbers)`` from a submodule's ``rng`` or the global generator."""
    before = rng_states(module)
    result = call()
    after = rng_states(module)
    return result, any(not same_state(before[k], after.get(k)) for k in before)


@contextlib.contextmanager
def global_rng_kept() -> Iterator[None]:
    """The global NumPy generator leaves the block in the state it entered (the check replays it inside)."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def directional_module(template: Module, x: np.ndarray, R: np.ndarray | None, which: str | None,
                       eps: float = 1e-6, seed: int = 0) -> tuple[float, float]:
    """``(backward, central difference)`` of Σ module(x)·R along a random direction of the tensor(s) ``which``.

    ``which`` is ``'input'``, a parameter name, or None for all of them together
    (the JAX ``check_grads`` idea: one direction checks every tensor at once).
    ``R`` None draws it. Random layers replay their generators at every call.
    """
    m = copy.deepcopy(template)
    states = rng_states(m)
    gen = np.random.default_rng(seed)
    x = float64_copy(x)
    restore_rngs(states, m)
    out = np.asarray(m(x.copy()), dtype=np.float64)
    R = gen.standard_normal(out.shape) if R is None else R
    m.zero_grad()
    g = m.backward(R.copy())
    params = dict(m.named_parameters())
    grads = {k: None if p.grad is None else np.array(p.grad, dtype=np.float64) for k, p in params.items()}
    base = {k: np.array(p.data, dtype=np.float64) for k, p in params.items()}
    V = gen.standard_normal(x.shape) if which in (None, "input") else np.zeros(x.shape)
    U = {k: (gen.standard_normal(v.shape) if which in (None, k) and grads[k] is not None else np.zeros(v.shape))
         for k, v in base.items()}
    analytic = float(np.sum(np.asarray(g, dtype=np.float64) * V)) if np.any(V) else 0.0
    analytic += sum(float(np.sum(grads[k] * U[k])) for k in base if np.any(U[k]) and grads[k].shape == U[k].shape)

    def f(t: float) -> float:
        restore_rngs(states, m)
        for k, p in params.items():
            p.data = base[k] + t * U[k]
        return float(np.sum(np.asarray(m(x + t * V), dtype=np.float64) * R))

    numeric = (f(eps) - f(-eps)) / (2.0 * eps)
    return analytic, numeric


def directional_loss(template: Module, pred: np.ndarray, target, eps: float = 1e-6,
                     seed: int = 0) -> tuple[float, float]:
    """``(backward, central difference)`` of a reduced loss along a random direction of pred."""
    m = copy.deepcopy(template)
    pred = float64_copy(pred)
    V = np.random.default_rng(seed).standard_normal(pred.shape)
    m(pred.copy(), copy.deepcopy(target))
    analytic = float(np.sum(np.asarray(m.backward(), dtype=np.float64) * V))
    numeric = (float(m(pred + eps * V, copy.deepcopy(target))) - float(m(pred - eps * V, copy.deepcopy(target)))) / (2 * eps)
    return analytic, numeric


def central_difference(f: Callable[[], float], arr: np.ndarray, eps: float) -> np.ndarray:
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


def compare_gradients(name: str, analytic, numeric: np.ndarray, atol: float, rtol: float) -> TensorCheck:
    """Compare the hand-written gradient of one tensor with its central difference."""
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
