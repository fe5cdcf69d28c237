"""The numbers under every check: central differences, the comparison, float64, RNG replay.

Checks always run in float64: float32 central differences carry ~1e-3 noise and
would hide real bugs. A module that draws random numbers in forward (Dropout)
must draw the same ones at every evaluation of a central difference, so its
generator state is saved once and restored before each evaluation.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

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


def rng_states(module: Module) -> dict[int, Any]:
    """The state of every submodule's ``rng`` Generator, by submodule id."""
    return {
        id(m): copy.deepcopy(m.rng.bit_generator.state)
        for m in module.modules()
        if isinstance(getattr(m, "rng", None), np.random.Generator)
    }


def restore_rngs(states: dict[int, Any], module: Module) -> None:
    """Put every submodule's ``rng`` back to the state :func:`rng_states` saved."""
    for m in module.modules():
        rng = getattr(m, "rng", None)
        if isinstance(rng, np.random.Generator) and id(m) in states:
            rng.bit_generator.state = states[id(m)]


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
