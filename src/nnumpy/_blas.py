"""One-pass updates through the BLAS that NumPy itself links: ``?axpy`` and ``?gemm``.

:func:`axpy` is ``y += alpha * x``; :func:`gemm_update` is
``c += alpha * aᵀ b``, the SGD step of a ``Linear`` weight fused with the
product that forms its gradient (see ``Parameter`` and ``SGD``).

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
integer width is known, and each kernel is checked once on small arrays
(with guard elements) before it is trusted. The axpy path runs only while
OpenBLAS is set to one thread (``OPENBLAS_NUM_THREADS=1``, threadpoolctl);
the gemm path at any thread count, as NumPy's matmul. Anything else -- for
axpy more threads; for both no BLAS found, a failed check, non-contiguous or
mixed-dtype arrays, ``NNUMPY_NO_BLAS=1`` in the environment -- falls back to
the NumPy expression, which gives the same values up to the last bit.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

__all__ = ["axpy", "blas_axpy", "blas_axpy_available", "gemm_update", "gemm_update_possible"]

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
    """``{dtype: (axpy, 64-bit ints?), "gemm": {dtype: gemm}}`` under one naming scheme, or None (no axpy)."""
    fns = {"gemm": {}}
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
        gemm = getattr(lib, f"{prefix}{letter}gemm{suffix}", None)
        if gemm is not None:
            ptr = ctypes.c_void_p
            # cblas_?gemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
            gemm.argtypes = [ctypes.c_int] * 3 + [integer] * 3 + [ctype, ptr, integer, ptr, integer, ctype, ptr, integer]
            gemm.restype = None
            fns["gemm"][np.dtype(dtype)] = gemm
    return fns


def _self_check(fns) -> bool:
    """The kernel adds alpha·x into exactly n elements and agrees with NumPy to within one rounding."""
    for dtype in map(np.dtype, (np.float32, np.float64)):
        fn = fns[dtype][0]
        x = np.array([1.5, -2.25, 3.0, 0.1, 7.0, 1e-3, -5.5, 2.0, 9.0], dtype=dtype)
        y = np.array([0.5, 1.0, -1.0, 0.3, 2.0, 4.0, 0.25, -3.0, 42.0], dtype=dtype)
        expect = y[:8] + dtype.type(-0.7) * x[:8]
        out = y.copy()
        fn(8, -0.7, x.ctypes.data, 1, out.ctypes.data, 1)
        if out[8] != y[8] or not np.allclose(out[:8], expect, rtol=4 * np.finfo(dtype).eps, atol=0):
            return False
        if dtype in fns["gemm"] and not _gemm_self_check(fns, dtype):
            del fns["gemm"][dtype]  # axpy stays usable; gemm_update falls back to NumPy
    return True


def _gemm_self_check(fns, dtype) -> bool:
    """``c += alpha aᵀ b`` for every layout pair of (a, b), with a guard row after c, agrees with NumPy."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 4)).astype(dtype)
    for a_order in "CF":
        for b_order in "CF":
            a = np.asarray(rng.standard_normal((2, 3)), dtype=dtype, order=a_order)
            b = np.asarray(rng.standard_normal((2, 4)), dtype=dtype, order=b_order)
            buf = np.concatenate([base, np.full((1, 4), 42.0, dtype)])
            if not _gemm(fns, -0.7, a, b, buf[:3]):
                return False
            expect = base + dtype.type(-0.7) * (a.T.astype(np.float64) @ b.astype(np.float64))
            if (buf[3] != 42.0).any() or not np.allclose(buf[:3], expect, rtol=1e-5, atol=1e-5):
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
    return _byref(_from_buffer(a)) if a.flags.writeable and a.flags.c_contiguous else a.ctypes.data


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


# cblas enums
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _operand(m: np.ndarray):
    """``(trans, leading dimension)`` that make ``m``'s memory the row-major operand ``mᵀ``; None if not contiguous."""
    rows, cols = m.shape
    if m.flags.f_contiguous:  # mᵀ is C-contiguous (cols, rows)
        return _NO_TRANS, max(rows, 1)
    if m.flags.c_contiguous:  # mᵀ is m transposed: pass m with Trans
        return _TRANS, max(cols, 1)
    return None


def _gemm(fns, alpha: float, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
    """``c += alpha · aᵀ b`` with ``a`` (K, M), ``b`` (K, N), ``c`` (M, N) C-contiguous; False when not done."""
    fn = fns["gemm"].get(c.dtype)
    if fn is None:
        return False
    k, m = a.shape
    n = b.shape[1]
    op_a = _operand(a)
    op_b = _operand(b.T)  # b as the right operand: bᵀᵀ
    if op_a is None or op_b is None:
        return False
    wide = fns[c.dtype][1]
    if max(m, n, k, a.size, b.size, c.size) > _INT_MAX[wide]:
        return False
    (ta, lda), (tb, ldb) = op_a, op_b
    fn(_ROW_MAJOR, ta, tb, m, n, k, alpha, _address(a), lda, _address(b), ldb, 1.0, _address(c), max(n, 1))
    return True


def gemm_update_possible(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether :func:`gemm_update` ``(alpha, a, b, c)`` would run in BLAS (else it would use NumPy)."""
    if c.size < MIN_BLAS_SIZE or a.ndim != 2 or b.ndim != 2 or c.ndim != 2:
        return False
    fns = _FNS if _LOADED else _functions()
    return (
        fns is not None
        and c.dtype in fns["gemm"]
        and a.dtype == b.dtype == c.dtype
        and a.shape[0] == b.shape[0] > 0
        and c.shape == (a.shape[1], b.shape[1])
        and c.flags.c_contiguous
        and c.flags.writeable
        and (a.flags.c_contiguous or a.flags.f_contiguous)
        and (b.flags.c_contiguous or b.flags.f_contiguous)
        and not np.may_share_memory(a, c)
        and not np.may_share_memory(b, c)
    )


def outer_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``aᵀ b`` for ``a`` (K, M), ``b`` (K, N) as a new array: what ``Linear`` stores as dL/dW = Gᵀ x.

    For K = 1 an ``einsum`` outer product: NumPy's matmul with an inner dimension
    of 1 is ~6x slower, and both compute the same single product per entry.
    """
    return np.einsum("bi,bj->ij", a, b) if a.shape[0] == 1 else a.T @ b


def gemm_update(alpha: float, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    """``c += alpha · aᵀ b`` in place, for ``a`` (K, M), ``b`` (K, N), ``c`` (M, N).

    One BLAS ``?gemm`` call with β = 1 when :func:`gemm_update_possible`: the
    product is added to ``c`` as it is formed, never stored. That is the SGD step
    of a ``Linear`` weight, θ ← θ - lr·Gᵀx, without writing and re-reading dL/dW
    (at batch 1 for a 784→512 layer 39 µs against 117 µs for the product and an
    axpy, benchmarks/NOTES.md). The result equals ``axpy(alpha, outer_product(a,
    b), c)`` up to rounding: the kernel forms the same dot products, but how it
    then scales and adds them, and how it splits a long K into blocks, is the
    BLAS's (on the machine in NOTES.md bit for bit for 3 <= K <= 384, else within
    one rounding per block). Unlike :func:`axpy` it runs at any OpenBLAS thread
    count, as NumPy's own matmul does. Otherwise ``c += alpha * (aᵀ b)`` in NumPy.
    """
    if gemm_update_possible(c, a, b) and _gemm(_FNS, alpha, a, b, c):
        return
    axpy(alpha, outer_product(a, b), c)


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x`` in place; ``x`` is only read.

    One BLAS pass when ``y`` has at least ``MIN_BLAS_SIZE`` elements, both
    arrays are C-contiguous, non-overlapping, share a float32/float64 dtype
    and fit the BLAS integer width; otherwise NumPy's ``y += alpha * x``.
    """
    if not blas_axpy(alpha, x, y):
        y += alpha * x
