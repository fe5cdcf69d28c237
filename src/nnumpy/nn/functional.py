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


#: itemsize -> (signed integer dtype of that size, its minimum: only the sign bit set)
_SIGN_BIT = {n: (np.dtype(f"i{n}"), np.iinfo(f"i{n}").min) for n in (2, 4, 8)}


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), computed as n / (1 + e) with e = e^{-|x|} and n = 1 (x ≥ 0) or e (x < 0).

    ``e`` lies in (0, 1], so nothing overflows (σ(±1000) is exactly 1 and 0,
    no warning), unlike ``1 / (1 + np.exp(-x))`` which overflows for x < -709
    (float64). Both branches keep full relative precision (≤ 2e-7 in float32,
    measured against long double), where ``½·tanh(x/2) + ½`` cancels for
    negative x: in float32 its relative error is 2e-4 at x = -10, 0.44 at
    x = -17, and it returns 0 below about -18. It is also the cheaper form
    here: one ``exp`` per element instead of one ``tanh`` (benchmarks/NOTES.md).
    """
    # An explicit output array: floats keep their dtype, integers become float64 (as x * 0.5
    # would), and 0-d input stays an array so the in-place steps below work.
    x = np.asarray(x)
    if x.dtype.kind == "f" and x.dtype.isnative and x.size >= 1024:
        e = np.empty_like(x)
        # -|x| in one pass: set the sign bit. The same bits as np.copysign(x, -1.0), which
        # NumPy does not vectorise (10 µs against 1.5 µs for 32x512 float32, NOTES.md);
        # below ~1000 elements the two integer views cost more than copysign saves.
        signed, sign_bit = _SIGN_BIT[x.dtype.itemsize]
        np.bitwise_or(x.view(signed), sign_bit, out=e.view(signed))
    else:
        e = np.empty_like(x) if x.dtype.kind == "f" else np.empty(x.shape, np.result_type(x, 0.5))
        np.copysign(x, -1.0, out=e)  # -|x|
    np.exp(e, out=e)  # e^{-|x|} in (0, 1]
    y = np.add(e, 1.0, out=np.empty_like(e))
    np.maximum(e, x >= 0, out=e)  # numerator: 1 where x >= 0, e^{x} = e^{-|x|} where x < 0
    np.divide(e, y, out=y)
    return y


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x), stable for large |x| (``np.logaddexp(0, x)``)."""
    return np.logaddexp(0.0, x).astype(x.dtype, copy=False)


def _max_shift(x: np.ndarray, axis: int) -> np.ndarray:
    """The shift of :func:`logsumexp`: the max along ``axis`` (kept), 0 where it is not finite (a row of -inf, or an inf)."""
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
    """exp(x_i - max) / Σ_j exp(x_j - max) along ``axis`` (shift-invariant, stable)."""
    y = x - np.max(x, axis=axis, keepdims=True)
    np.exp(y, out=y)
    y /= np.sum(y, axis=axis, keepdims=True)
    return y


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x) along ``axis``."""
    return x - logsumexp(x, axis=axis, keepdims=True)


_erf_scalar = np.frompyfunc(math.erf, 1, 1)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, element-wise, via the C library's ``erf`` (exact to 1 ulp).

    NumPy has no ``erf`` ufunc and nnumpy does not depend on SciPy, so this
    maps ``math.erf`` over the array (slower than a ufunc, but exact, which
    the PyTorch parity tests of the exact GELU need).
    """
    return _erf_scalar(x).astype(x.dtype)


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
