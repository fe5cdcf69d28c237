"""Numerically stable NumPy kernels shared by layers and losses.

Every function preserves the floating dtype of its input (float32 stays
float32): constants are Python floats, which NumPy 2 treats as "weak" scalars.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "sigmoid",
    "softplus",
    "logsumexp",
    "softmax",
    "log_softmax",
    "erf",
    "gelu",
]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), computed as n / (1 + e) with e = e^{-|x|} and n = 1 (x ≥ 0) or e (x < 0).

    For x < 0 that is e^{x} / (1 + e^{x}), the same value with numerator and
    denominator multiplied by e^{x}. ``e`` lies in (0, 1], so nothing
    overflows (σ(±1000) is exactly 1 and 0, no warning), unlike
    ``1 / (1 + np.exp(-x))`` which overflows for x < -709 (float64); and both
    halves keep full relative precision, where ``½·tanh(x/2) + ½`` cancels for
    negative x (in float32 it returns 0 below about -18).
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)  # bools and integers: float64, as NumPy's exp gives
    e = np.exp(-np.abs(x))  # e^{-|x|}, in (0, 1]
    # The numerator n: 1 where x >= 0, e where x < 0. As e <= 1, that is max(e, [x >= 0])
    # with the mask read as 0/1 (np.where(x >= 0, 1.0, e) gives the same, several times slower).
    n = np.maximum(e, x >= 0)
    return n / (1.0 + e)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x), stable for large |x| (``np.logaddexp(0, x)``)."""
    return np.logaddexp(0.0, x).astype(x.dtype, copy=False)


def _max_shift(x: np.ndarray, axis: int) -> np.ndarray:
    """The shift of :func:`logsumexp`: the max along ``axis`` (kept), 0 where it is not finite (a row of -inf, or an inf)."""
    if x.shape[axis] == 0:  # nothing to shift: NumPy's max of no values raises
        return np.zeros(x.shape[:axis % x.ndim] + (1,) + x.shape[axis % x.ndim + 1 :], dtype=x.dtype)
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    if not np.isfinite(m).all():
        m = np.where(np.isfinite(m), m, 0.0).astype(x.dtype, copy=False)
    return m


def logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log Σ exp(x) along ``axis``, shifted by the max so it never overflows."""
    m = _max_shift(x, axis)
    s = np.exp(x - m)
    out = np.log(np.sum(s, axis=axis, keepdims=True))
    out += m
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x_i - max) / Σ_j exp(x_j - max) along ``axis`` (shift-invariant, stable).

    An input with a zero-size dimension gives an empty result of its shape, as PyTorch.
    """
    if x.size == 0:
        return x.copy()
    y = x - np.max(x, axis=axis, keepdims=True)
    np.exp(y, out=y)
    y /= np.sum(y, axis=axis, keepdims=True)
    return y


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x) along ``axis`` (empty in, empty out, as PyTorch)."""
    if x.size == 0:
        return x.copy()
    return x - logsumexp(x, axis=axis, keepdims=True)


_erf_scalar = np.frompyfunc(math.erf, 1, 1)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, element-wise, via the C library's ``erf`` (exact to 1 ulp).

    NumPy has no ``erf`` ufunc and nnumpy does not depend on SciPy, so this
    maps ``math.erf`` over the array (slower than a ufunc, but exact, which
    the PyTorch parity tests of the exact GELU need).
    """
    return np.asarray(_erf_scalar(x)).astype(x.dtype)  # a 0-d input gives a Python float


def gelu(x: np.ndarray, approximate: str = "none") -> tuple[np.ndarray, np.ndarray]:
    """GELU and its derivative: returns ``(y, dy/dx)``.

    exact:  y = x·Φ(x),  Φ(x) = ½(1 + erf(x/√2)),  y' = Φ(x) + x·φ(x)
    tanh:   y = ½x(1 + tanh(u)),  u = √(2/π)(x + 0.044715x³),
            y' = ½(1 + tanh(u)) + ½x(1 - tanh²(u))·√(2/π)(1 + 3·0.044715x²)
    (Hendrycks & Gimpel 2016; the tanh constant as in PyTorch's ``approximate='tanh'``.)
    """
    if approximate == "tanh":
        x2 = x * x
        t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x2 * x))
        y = 0.5 * x * (1.0 + t)
        dy = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x2)
        return y, dy
    cdf = 0.5 * (1.0 + erf(x * _INV_SQRT_2))
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return x * cdf, cdf + x * pdf
