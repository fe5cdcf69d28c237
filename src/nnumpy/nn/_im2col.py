"""Sliding windows over NCHW images: the geometry, im2col and col2im shared by Conv2d and the pools.

A 2-D convolution or pooling layer looks at one ``kH × kW`` window of the
(padded) input per output pixel. Window ``(i, j)`` of an input ``xp`` of shape
``(N, C, Hp, Wp)`` holds, for kernel offset ``(p, q)``,

    xp[n, c, i·sH + p·dH, j·sW + q·dW]      (s: stride, d: dilation)

and there are ``OH × OW`` windows, with (PyTorch's formula)

    OH = ⌊(Hp − dH·(kH − 1) − 1) / sH⌋ + 1.

- :func:`windows` is that array of windows as a read-only *view* of ``xp``,
  shape ``(N, C, OH, OW, kH, kW)``: no element is copied.
- :func:`im2col` copies the windows into one contiguous "column" array
  ``(N, C, kH, kW, OH, OW)``; reshaped to ``(N, C·kH·kW, OH·OW)`` it turns a
  convolution into one matrix product per image (``W @ cols``). It holds
  N·C·kH·kW·OH·OW elements, kH·kW times the input for stride 1, so
  :func:`batch_chunks` splits a large batch into pieces whose columns stay
  under :data:`COLUMN_BUDGET` elements.
- :func:`col2im` is its adjoint: every window's gradient is added back onto
  the input pixels it was read from. Windows overlap when the stride is
  smaller than the kernel, so the additions must accumulate; it loops over
  the kH·kW kernel offsets, each a strided slice of the whole batch.
- :func:`pad` and :func:`unpad` add the border (zeros, or PyTorch's reflect,
  replicate and circular modes through ``np.pad``) and take its gradient off.

The layout differs from the book "Deep Learning from Scratch" (ch. 7), whose
``im2col`` returns ``(N·OH·OW, C·kH·kW)``, one row per window;
docs/convolution.md compares the two.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import param_error

__all__ = ["pair", "output_size", "pad", "unpad", "windows", "im2col", "col2im", "batch_chunks", "COLUMN_BUDGET", "PAD_MODES"]

#: Largest column array (elements) :func:`batch_chunks` lets a convolution build at once:
#: 2²⁴ elements, 64 MiB in float32. A batch whose columns are bigger is processed in pieces.
COLUMN_BUDGET = 1 << 24


def pair(owner: str, name: str, value, *, ge: int) -> tuple[int, int]:
    """``value`` (an int or a pair of ints, each ``>= ge``) as ``(height, width)``.

    Example:
        >>> pair("Conv2d", "stride", 2, ge=1), pair("Conv2d", "stride", (2, 1), ge=1)
        ((2, 2), (2, 1))
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    ok = len(items) == 2 and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items)
    if not ok or min(items) < ge:
        raise param_error(owner, name, f"an int >= {ge} or a pair of them, such as (3, 3)", value,
                          ValueError if ok or len(items) != 2 else TypeError)
    return int(items[0]), int(items[1])


def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int, ceil_mode: bool = False) -> int:
    """Number of windows along one axis: ⌊(size + pad − d(k − 1) − 1) / s⌋ + 1 (⌈⌉ with ``ceil_mode``).

    ``pad_total`` is the padding of both sides together. With ``ceil_mode``
    the last window may run past the padded input, but, as in PyTorch, it
    must start inside the input or the left padding.
    """
    span = size + pad_total - dilation * (kernel - 1) - 1
    if span < 0:
        return 0
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad_total // 2:
        out -= 1  # PyTorch drops a last window that would start in the right padding
    return out


def windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
            out_hw: tuple[int, int]) -> np.ndarray:
    """The ``OH × OW`` windows of ``xp``, a read-only view of shape ``(N, C, OH, OW, kH, kW)``.

    ``sliding_window_view`` gives every ``(dH(kH−1)+1) × (dW(kW−1)+1)`` window
    at every position; slicing keeps every stride-th position and every
    dilation-th element inside a window.
    """
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(2, 3))  # (N, C, Hp-spanH+1, Wp-spanW+1, spanH, spanW)
    return view[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]  # (N, C, OH, OW, kH, kW)


def im2col(xp: np.ndarray, kernel, stride, dilation, out_hw) -> np.ndarray:
    """The windows of ``xp`` copied into a contiguous ``(N, C, kH, kW, OH, OW)`` array.

    Reshaped to ``(N, C·kH·kW, OH·OW)``, column ``(i, j)`` of image n is window
    ``(i, j)`` flattened in the order of a ``(C, kH, kW)`` weight: the
    convolution of image n is then ``W.reshape(C_out, -1) @ cols[n]``.
    """
    view = windows(xp, kernel, stride, dilation, out_hw)  # (N, C, OH, OW, kH, kW)
    return np.ascontiguousarray(view.transpose(0, 1, 4, 5, 2, 3))  # (N, C, kH, kW, OH, OW)


def col2im(cols: np.ndarray, padded_shape: tuple[int, ...], stride, dilation) -> np.ndarray:
    """The adjoint of :func:`im2col`: add each window entry back where it was read from.

    Args:
        cols: ``(N, C, kH, kW, OH, OW)``, e.g. dL/d(cols); a broadcast view is fine.
        padded_shape: ``(N, C, Hp, Wp)``, the shape of the padded input.

    Returns:
        dL/d(xp) of shape ``padded_shape``: entry ``(n, c, y, x)`` is the sum of
        ``cols[n, c, p, q, i, j]`` over every window (i, j) and offset (p, q)
        that read ``xp[n, c, y, x]``.
    """
    _, _, kh, kw, oh, ow = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    dxp = np.zeros(padded_shape, dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            # offset (p, q) of window (i, j) read xp[..., i·sH + p·dH, j·sW + q·dW]
            rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
            columns = slice(q * dw, q * dw + sw * (ow - 1) + 1, sw)
            dxp[:, :, rows, columns] += cols[:, :, p, q]
    return dxp


def batch_chunks(n: int, per_sample: int) -> list[slice]:
    """Split ``range(n)`` into slices of at most ``COLUMN_BUDGET // per_sample`` samples (at least 1).

    ``per_sample`` is the size of one image's columns (C·kH·kW·OH·OW), so no
    piece's columns exceed :data:`COLUMN_BUDGET` elements unless a single image does.
    """
    step = max(1, COLUMN_BUDGET // max(per_sample, 1))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)] or [slice(0, 0)]


#: ``padding_mode`` of Conv2d → ``np.pad`` mode.
PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """``x`` (N, C, H, W) padded by ``pads = ((top, bottom), (left, right))``; always a new array.

    ``mode`` is a Conv2d ``padding_mode``; ``value`` fills the border in
    ``"zeros"`` mode (MaxPool2d pads with −∞ so the border never wins).
    """
    width = ((0, 0), (0, 0)) + tuple(pads)
    if mode == "zeros":
        return np.pad(x, width, mode="constant", constant_values=value)
    return np.pad(x, width, mode=PAD_MODES[mode])


def unpad(dxp: np.ndarray, pads, mode: str = "zeros") -> np.ndarray:
    """The adjoint of :func:`pad`: dL/dx from dL/d(xp).

    Zero padding adds constants, so its adjoint just crops the border. The
    other modes copy input pixels into the border: along one axis the padded
    signal is ``P @ x`` for a 0/1 matrix ``P`` (``Hp × H``, one 1 per row,
    where that padded pixel reads from), so the adjoint is ``Pᵀ @ dxp``,
    applied to the rows and then to the columns; border gradients land back
    on the pixels they were copied from.
    """
    (top, bottom), (left, right) = pads
    hp, wp = dxp.shape[2:]
    if mode == "zeros":
        return dxp[:, :, top : hp - bottom, left : wp - right]
    ph = _pad_matrix(hp - top - bottom, top, bottom, mode, dxp.dtype)  # (Hp, H)
    pw = _pad_matrix(wp - left - right, left, right, mode, dxp.dtype)  # (Wp, W)
    return ph.T @ dxp @ pw  # (N, C, H, W)


def _pad_matrix(size: int, before: int, after: int, mode: str, dtype) -> np.ndarray:
    """``P`` with ``np.pad(v, (before, after), mode) == P @ v`` for any vector v of length ``size``."""
    source = np.pad(np.arange(size), (before, after), mode=PAD_MODES[mode])  # padded position -> input position
    return (source[:, None] == np.arange(size)[None, :]).astype(dtype)
