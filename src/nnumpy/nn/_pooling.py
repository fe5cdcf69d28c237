"""MaxPool2d, AvgPool2d and AdaptiveAvgPool2d over NCHW images, PyTorch semantics."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_bool, check_int, param_error
from ._im2col import col2im, output_size, pad, pair, windows
from ._module import Module, as_float_array, check_grad_output

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


class _Pool2d(Module):
    """Shared argument checks and output geometry of MaxPool2d and AvgPool2d."""

    @staticmethod
    def config_values(config: dict) -> int:
        """Pooling layers hold no tensors (model files check this count before building)."""
        return 0

    def __init__(self, kernel_size, stride, padding, dilation, ceil_mode):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(name, "kernel_size", kernel_size, ge=1)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, ge=1)
        self.padding = pair(name, "padding", padding, ge=0)
        self.dilation = pair(name, "dilation", dilation, ge=1)
        self.ceil_mode = check_bool(name, "ceil_mode", ceil_mode)
        for p, k, d in zip(self.padding, self.kernel_size, self.dilation):
            # PyTorch's rule: a window must always hold at least one input pixel
            if p > (d * (k - 1) + 1) // 2:
                raise param_error(
                    name, "padding", f"at most half the (dilated) kernel size {self.kernel_size} on each side", padding
                )
        # the arguments as the user gave them (lists as tuples), for get_config and repr
        given = {"kernel_size": kernel_size, "stride": kernel_size if stride is None else stride, "padding": padding}
        self._config = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
        self._cache = None

    def _geometry(self, shape: tuple[int, ...]):
        """Check an input shape; return ``(OH, OW)`` and the padding ``((top, bottom), (left, right))``.

        With ``ceil_mode`` the last window may run past the padded input: the
        bottom/right padding grows so that every window fits.
        """
        name = type(self).__name__
        if len(shape) != 4:
            raise ValueError(f"{name}(kernel_size={self._config['kernel_size']}) expected input of shape (N, C, H, W), got {shape}.")
        out, pads = [], []
        for size, k, s, p, d in zip(shape[2:], self.kernel_size, self.stride, self.padding, self.dilation):
            o = output_size(size, k, s, 2 * p, d, self.ceil_mode)
            if o < 1:
                raise ValueError(
                    f"{name}(kernel_size={self._config['kernel_size']}) expected an input at least as large as its "
                    f"(dilated) kernel after padding {self.padding}, got input of shape {shape}."
                )
            needed = (o - 1) * s + d * (k - 1) + 1  # padded length the last window reaches
            out.append(o)
            pads.append((p, max(p, needed - size - p)))
        return tuple(out), tuple(pads)


class MaxPool2d(_Pool2d):
    r"""Max over each kH × kW window: y[n, c, i, j] = max_{p, q} xp[n, c, i·s + p·d, j·s + q·d].

    xp is the input padded with −∞, so padding never wins. Backward routes
    each output's gradient to the one input pixel that was the maximum (the
    first in row-major window order on ties, as PyTorch; overlapping windows
    that chose the same pixel add up):

        dL/dx[n, c, y, x] = Σ_{(i, j): argmax of window (i, j) is (y, x)} G[n, c, i, j].

    Forward copies the windows into ``cols`` of shape ``(kH·kW, N, C, OH, OW)``,
    one slice per kernel offset, takes the max over the first axis and keeps
    a boolean mask of where each window's (first) max is; backward is
    ``mask * G``, put back in place. Two ways to see the windows, both plain
    NumPy: when they tile the image (kernel == stride, no padding or
    dilation, sizes divisible) a reshape ``(N, C, OH, kH, OW, kW)`` does it
    and backward uses the inverse reshape; otherwise the strided window view
    of ``_im2col.windows``, and ``col2im`` adds overlapping windows' gradients.

    Args:
        kernel_size: window size kH × kW, an int or a pair.
        stride: step between windows (default ``kernel_size``).
        padding: −∞ border on each side (default 0); at most half the kernel.
        dilation: spacing between window elements (default 1).
        ceil_mode: round the output size up, so a partial last window counts (default False).

    Shape:
        input ``(N, C, H, W)``; output ``(N, C, OH, OW)`` with
        OH = ⌊(H + 2·padding − dilation·(kH − 1) − 1) / stride⌋ + 1 (⌈⌉ with ``ceil_mode``).

    Example:
        >>> pool = MaxPool2d(2)
        >>> pool(np.arange(16.0).reshape(1, 1, 4, 4))
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False):
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)
        self._config["dilation"] = tuple(dilation) if isinstance(dilation, list) else dilation

    def get_config(self):
        return {**self._config, "ceil_mode": self.ceil_mode}

    def _tiles(self, shape) -> bool:
        """True when the windows tile the image exactly (the reshape path)."""
        h, w = shape[2:]
        kh, kw = self.kernel_size
        return (self.stride == self.kernel_size and self.padding == (0, 0) and self.dilation == (1, 1)
                and h % kh == 0 and w % kw == 0)

    def forward(self, x):
        x = as_float_array(x, "MaxPool2d")
        (oh, ow), pads = self._geometry(x.shape)
        n, c, h, w = x.shape
        kh, kw = self.kernel_size
        if self._tiles(x.shape):
            view = x.reshape(n, c, oh, kh, ow, kw).transpose(3, 5, 0, 1, 2, 4)  # (kH, kW, N, C, OH, OW), a view
            padded_shape = None
        else:
            xp = pad(x, pads, value=-np.inf)  # (N, C, Hp, Wp)
            win = windows(xp, self.kernel_size, self.stride, self.dilation, (oh, ow))  # (N, C, OH, OW, kH, kW), a view
            view = win.transpose(4, 5, 0, 1, 2, 3)  # (kH, kW, N, C, OH, OW)
            padded_shape = xp.shape
        cols = view.reshape(kh * kw, n, c, oh, ow)  # one slice per kernel offset (a copy)
        y = cols.max(axis=0)  # (N, C, OH, OW)
        first = cols == y  # where each window's max is: (kH·kW, N, C, OH, OW)
        seen = first[0].copy()
        for k in range(1, kh * kw):  # keep only the first max of a window (PyTorch's tie rule)
            first[k] &= ~seen
            seen |= first[k]
        self._cache = (first, x.shape, x.dtype, pads, padded_shape)
        return y

    def backward(self, grad_output):
        first, shape, dtype, pads, padded_shape = self._saved("_cache")
        _, n, c, oh, ow = first.shape
        g = check_grad_output("MaxPool2d", grad_output, (n, c, oh, ow))
        kh, kw = self.kernel_size
        dcols = (first * g).astype(dtype, copy=False)  # each window's gradient at its max: (kH·kW, N, C, OH, OW)
        dcols = dcols.reshape(kh, kw, n, c, oh, ow)
        if padded_shape is None:  # the inverse of the tiles' reshape
            return dcols.transpose(2, 3, 4, 0, 5, 1).reshape(shape)  # (N, C, H, W)
        dxp = col2im(dcols.transpose(2, 3, 0, 1, 4, 5), padded_shape, self.stride, self.dilation)
        (top, _), (left, _) = pads
        return dxp[:, :, top : top + shape[2], left : left + shape[3]]  # drop the padding: (N, C, H, W)


class AvgPool2d(_Pool2d):
    r"""Mean over each kH × kW window: y[n, c, i, j] = (1/D_ij) Σ_{p, q} xp[n, c, i·s + p, j·s + q].

    xp is the input padded with zeros. The divisor D_ij follows PyTorch:
    ``divisor_override`` if given; else the window's size clipped to the padded
    input (``count_include_pad=True``) or the number of real input pixels in
    it (``count_include_pad=False``). Backward spreads each output's gradient
    evenly over its window:

        dL/dxp[n, c, i·s + p, j·s + q] += G[n, c, i, j] / D_ij    (col2im of a broadcast).

    Args:
        kernel_size: window size kH × kW, an int or a pair.
        stride: step between windows (default ``kernel_size``).
        padding: zero border on each side (default 0); at most half the kernel.
        ceil_mode: round the output size up (default False).
        count_include_pad: count the zero padding in the divisor (default True).
        divisor_override: divide every window's sum by this int instead (default None).

    Shape:
        input ``(N, C, H, W)``; output ``(N, C, OH, OW)``, OH as in ``MaxPool2d`` with dilation 1.

    Example:
        >>> AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
        array([[[[ 2.5,  4.5],
                 [10.5, 12.5]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None):
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = check_bool("AvgPool2d", "count_include_pad", count_include_pad)
        self.divisor_override = None if divisor_override is None else check_int(
            "AvgPool2d", "divisor_override", divisor_override, ge=1)

    def get_config(self):
        return {**self._config, "ceil_mode": self.ceil_mode, "count_include_pad": self.count_include_pad,
                "divisor_override": self.divisor_override}

    def _divisor(self, shape, out_hw, dtype) -> np.ndarray:
        """D_ij of every window, shape (OH, OW): the product of a row count and a column count."""
        if self.divisor_override is not None:
            return np.full(out_hw, float(self.divisor_override), dtype=dtype)
        counts = []
        for size, o, k, s, p in zip(shape[2:], out_hw, self.kernel_size, self.stride, self.padding):
            start = np.arange(o) * s - p  # first input index of each window (negative: in the padding)
            stop = np.minimum(start + k, size + p)  # windows end at the padded input's edge
            if not self.count_include_pad:
                start, stop = np.maximum(start, 0), np.minimum(stop, size)  # real pixels only
            counts.append(stop - start)
        return np.outer(counts[0], counts[1]).astype(dtype)  # (OH, OW)

    def forward(self, x):
        x = as_float_array(x, "AvgPool2d")
        out_hw, pads = self._geometry(x.shape)
        xp = pad(x, pads)  # (N, C, Hp, Wp)
        sums = windows(xp, self.kernel_size, self.stride, self.dilation, out_hw).sum(axis=(4, 5))  # (N, C, OH, OW)
        divisor = self._divisor(x.shape, out_hw, x.dtype)  # (OH, OW)
        self._cache = (divisor, x.shape, xp.shape, pads)
        return sums / divisor

    def backward(self, grad_output):
        divisor, shape, padded_shape, pads = self._saved("_cache")
        n, c = shape[:2]
        g = check_grad_output("AvgPool2d", grad_output, (n, c) + divisor.shape)
        share = (g / divisor).astype(divisor.dtype, copy=False)  # what each pixel of window (i, j) receives: (N, C, OH, OW)
        kh, kw = self.kernel_size
        dcols = np.broadcast_to(share[:, :, None, None], (n, c, kh, kw) + divisor.shape)  # no copy
        dxp = col2im(dcols, padded_shape, self.stride, self.dilation)
        (top, _), (left, _) = pads
        return dxp[:, :, top : top + shape[2], left : left + shape[3]]  # (N, C, H, W)


class AdaptiveAvgPool2d(Module):
    r"""Mean over windows chosen so the output is ``output_size`` whatever the input size.

    Output row i averages input rows ⌊i·H/OH⌋ … ⌈(i + 1)·H/OH⌉ − 1 (PyTorch's
    rule; windows may overlap or differ in size), and likewise for columns.
    A mean over a rectangle is a mean over its rows then its columns, so with
    A_h (OH × H) holding 1/(window length) on each row's window,

        y[n, c] = A_h @ x[n, c] @ A_wᵀ,      dL/dx[n, c] = A_hᵀ @ G[n, c] @ A_w.

    Args:
        output_size: (OH, OW), or an int for a square output; an entry ``None``
            keeps that input size.

    Shape:
        input ``(N, C, H, W)``; output ``(N, C, OH, OW)``.

    Example:
        >>> AdaptiveAvgPool2d(1)(np.arange(8.0).reshape(1, 2, 2, 2))[:, :, 0, 0]
        array([[1.5, 5.5]])
    """

    config_values = staticmethod(_Pool2d.config_values)

    def __init__(self, output_size: int | tuple[int | None, int | None]):
        super().__init__()
        items = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
        ok = len(items) == 2 and all(
            v is None or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1) for v in items
        )
        if not ok:
            raise param_error("AdaptiveAvgPool2d", "output_size", "an int >= 1 or a pair of ints >= 1 or None", output_size)
        self.output_size = output_size if isinstance(output_size, numbers.Integral) else tuple(
            None if v is None else int(v) for v in items)
        self._sizes = tuple(None if v is None else int(v) for v in items)
        self._cache = None

    def get_config(self):
        return {"output_size": self.output_size}

    @staticmethod
    def _averaging_matrix(size: int, out: int, dtype) -> np.ndarray:
        """A (out × size): row i is 1/len on input positions ⌊i·size/out⌋ … ⌈(i+1)·size/out⌉ − 1."""
        i = np.arange(out)
        start = (i * size) // out
        stop = -((-(i + 1) * size) // out)  # ceil((i + 1)·size / out)
        pos = np.arange(size)
        inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < stop[:, None])
        return (inside / (stop - start)[:, None]).astype(dtype)

    def forward(self, x):
        x = as_float_array(x, "AdaptiveAvgPool2d")
        if x.ndim != 4:
            raise ValueError(f"AdaptiveAvgPool2d(output_size={self.output_size}) expected input of shape (N, C, H, W), got {x.shape}.")
        h, w = x.shape[2:]
        if h == 0 or w == 0:
            raise ValueError(f"AdaptiveAvgPool2d(output_size={self.output_size}) expected a non-empty image, got input of shape {x.shape}.")
        oh, ow = (h if self._sizes[0] is None else self._sizes[0]), (w if self._sizes[1] is None else self._sizes[1])
        a_h = self._averaging_matrix(h, oh, x.dtype)  # (OH, H)
        a_w = self._averaging_matrix(w, ow, x.dtype)  # (OW, W)
        self._cache = (a_h, a_w, x.shape)
        return a_h @ x @ a_w.T  # (N, C, OH, OW)

    def backward(self, grad_output):
        a_h, a_w, shape = self._saved("_cache")
        g = check_grad_output("AdaptiveAvgPool2d", grad_output, shape[:2] + (a_h.shape[0], a_w.shape[0]))
        if g.dtype != a_h.dtype:
            g = g.astype(a_h.dtype)
        return a_h.T @ g @ a_w  # (N, C, H, W)
