"""``y += alpha * x`` in one pass, through the BLAS that NumPy itself links (``?axpy``).

NumPy has no fused multiply-add ufunc, so ``p += alpha * g`` (with ``g`` left
untouched, as an optimizer must) takes two passes over memory and a
temporary as large as the parameter. BLAS ``saxpy``/``daxpy`` does it in one
pass; for the 784-512-256-10 MLP that halves the SGD update (≈110 → 55 µs per
step on a 2-core Zen 3, benchmarks/NOTES.md). On CPUs with FMA the BLAS
kernels round once, ``fl(y + alpha·x)``, which is also what
``torch.Tensor.add_(x, alpha=...)`` (hence ``torch.optim.SGD``) computes: the
result then matches PyTorch's update bit for bit, where the two-pass form
differs from it in the last bit of ~10 % of the elements. Arrays under
``MIN_BLAS_SIZE`` elements (biases, small models) keep the NumPy form.

The library is found without new dependencies: NumPy wheels bundle
``scipy-openblas`` (symbols ``scipy_cblas_saxpy64_``…, 64-bit integers) in
``numpy.libs`` (Linux, Windows) or ``numpy/.dylibs`` (macOS); on Linux the
BLAS already mapped into the process (a distribution's NumPy) is tried too.
Only OpenBLAS is used (it reports its thread count), only symbols whose
integer width is known, and the kernel is checked once on a small vector
(with a guard element) before it is trusted. The BLAS path runs only while
OpenBLAS is set to one thread (``OPENBLAS_NUM_THREADS=1``, threadpoolctl).
Anything else -- more threads, no BLAS found, a failed check, non-contiguous
or mixed-dtype arrays, ``NNUMPY_NO_BLAS=1`` in the environment -- falls back
to the two-pass NumPy expression, which gives the same values up to the last
bit.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

__all__ = ["axpy", "blas_axpy", "blas_axpy_available"]

# (prefix, suffix, 64-bit ints?) of the CBLAS symbol names tried, most specific first.
_SYMBOLS = (("scipy_cblas_", "64_", True), ("cblas_", "64_", True), ("scipy_cblas_", "", None), ("cblas_", "", None))
_INT_MAX = {True: 2**63 - 1, False: 2**31 - 1}


def _candidate_libraries() -> list[str]:
    """Paths of BLAS libraries NumPy uses: the wheel's bundled one first, then those mapped in (Linux)."""
    root = os.path.dirname(np.__file__)
    paths: list[str] = []
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*", "../numpy.libs/*blas*"):
        paths += sorted(glob.glob(os.path.join(root, pattern)))
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if "blas" in name and ".so" in name and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    return paths


def _int64_build(lib) -> bool | None:
    """OpenBLAS tells its integer width in ``openblas_get_config()``; None when it cannot be asked."""
    for name in ("scipy_openblas_get_config64_", "scipy_openblas_get_config", "openblas_get_config"):
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = ctypes.c_char_p
            return b"USE64BITINT" in (fn() or b"")
    return None


def _thread_count(lib):
    """OpenBLAS's ``openblas_get_num_threads`` of ``lib`` (a ctypes function), or None."""
    for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.argtypes, fn.restype = [], ctypes.c_int
            return fn
    return None


def _bind(lib, prefix: str, suffix: str, wide: bool | None):
    """``{dtype: (function, 64-bit ints?)}`` for saxpy and daxpy under one naming scheme, or None."""
    fns = {}
    for dtype, letter, ctype in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
        fn = getattr(lib, f"{prefix}{letter}axpy{suffix}", None)
        if fn is None:
            return None
        if wide is None:
            wide = _int64_build(lib)
            if wide is None:
                wide = False  # LP64: Accelerate, MKL's default layer, reference CBLAS
        integer = ctypes.c_int64 if wide else ctypes.c_int32
        fn.argtypes = [integer, ctype, ctypes.c_void_p, integer, ctypes.c_void_p, integer]
        fn.restype = None
        fns[np.dtype(dtype)] = (fn, wide)
    return fns


def _self_check(fns) -> bool:
    """The kernel adds alpha·x into exactly n elements and agrees with NumPy to within one rounding."""
    for dtype, (fn, _) in fns.items():
        x = np.array([1.5, -2.25, 3.0, 0.1, 7.0, 1e-3, -5.5, 2.0, 9.0], dtype=dtype)
        y = np.array([0.5, 1.0, -1.0, 0.3, 2.0, 4.0, 0.25, -3.0, 42.0], dtype=dtype)
        expect = y[:8] + dtype.type(-0.7) * x[:8]
        out = y.copy()
        fn(8, -0.7, x.ctypes.data, 1, out.ctypes.data, 1)
        if out[8] != y[8] or not np.allclose(out[:8], expect, rtol=4 * np.finfo(dtype).eps, atol=0):
            return False
    return True


def _load():
    if os.environ.get("NNUMPY_NO_BLAS", "") not in ("", "0"):
        return None
    for path in _candidate_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        threads = _thread_count(lib)
        if threads is None:
            continue  # only OpenBLAS says how many threads an axpy would use (see axpy)
        for prefix, suffix, wide in _SYMBOLS:
            fns = _bind(lib, prefix, suffix, wide)
            if fns is not None and _self_check(fns):
                fns["threads"] = threads
                return fns
    return None


_FNS = None
_LOADED = False


def _functions():
    global _FNS, _LOADED
    if not _LOADED:
        try:
            _FNS = _load()
        except Exception:  # noqa: BLE001 - any surprise in the probe means: use NumPy
            _FNS = None
        _LOADED = True
    return _FNS


def blas_axpy_available() -> bool:
    """Whether :func:`axpy` runs in one BLAS pass now (else the two-pass NumPy fallback)."""
    fns = _functions()
    return fns is not None and fns["threads"]() == 1


def _address(a: np.ndarray):
    """A pointer argument for ``a``'s data (``from_buffer`` costs ~0.3 µs, ``a.ctypes.data`` ~1.1 µs)."""
    return _byref(_from_buffer(a)) if a.flags.writeable else a.ctypes.data


_byref, _from_buffer = ctypes.byref, ctypes.c_char.from_buffer


#: Below this many elements NumPy's two passes cost less than the extra ~1 µs of a ctypes call.
MIN_BLAS_SIZE = 4096


def blas_axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> bool:
    """``y += alpha * x`` in one BLAS pass if the arrays allow it (see :func:`axpy`); False when not done."""
    n = y.size
    if n < MIN_BLAS_SIZE:
        return False
    fns = _FNS if _LOADED else _functions()
    # Single-threaded BLAS only: OpenBLAS splits an axpy of > 10,000 elements over its threads,
    # and on a busy 2-core machine waking them made a batch-1 step 10-40x slower (NOTES.md);
    # a memory-bound pass gains nothing from a second thread worth that risk.
    entry = None if fns is None or x.dtype != y.dtype or fns["threads"]() != 1 else fns.get(y.dtype)
    if entry is not None and x.shape == y.shape and x.flags.c_contiguous and y.flags.c_contiguous \
            and y.flags.writeable and n <= _INT_MAX[entry[1]] and not np.may_share_memory(x, y):
        entry[0](n, alpha, _address(x), 1, _address(y), 1)
        return True
    return False


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x`` in place; ``x`` is only read.

    One BLAS pass when ``y`` has at least ``MIN_BLAS_SIZE`` elements, both
    arrays are C-contiguous, non-overlapping, share a float32/float64 dtype
    and fit the BLAS integer width; otherwise NumPy's ``y += alpha * x``.
    """
    if not blas_axpy(alpha, x, y):
        y += alpha * x
