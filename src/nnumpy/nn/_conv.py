"""Conv2d: 2-D convolution (cross-correlation, as in PyTorch) through im2col and matrix products."""

from __future__ import annotations

import math

import numpy as np

from .._random import as_generator
from .._validation import check_bool, check_choice, check_int, param_error
from . import init
from ._im2col import PAD_MODES, batch_chunks, col2im, im2col, output_size, pad, pair, unpad
from ._module import Module, Parameter, as_float_array, check_grad_output, resolve_dtype

__all__ = ["Conv2d"]


class Conv2d(Module):
    r"""2-D convolution over NCHW images: y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c].

    ⋆ is cross-correlation, as in PyTorch (and every deep-learning library):
    the kernel is not flipped. With stride s, dilation d and the input padded
    to xp,

        y[n, o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · xp[n, c, i·s + p·d, j·s + q·d]

    where c runs over the ``in_channels / groups`` channels of o's group.
    im2col turns this into one matrix product per image and group: with
    ``cols[n]`` the ``(C·kH·kW, OH·OW)`` matrix whose column (i, j) is window
    (i, j) flattened, and ``W₂ = W.reshape(C_out, C·kH·kW)``,

        Y[n] = W₂ @ cols[n] + b                                  (C_out, OH·OW)

    Backward (G[n] = dL/dY[n], shape (C_out, OH·OW)), the rules of ``Linear``
    applied to every image:

        dL/dW₂ = Σ_n G[n] @ cols[n]ᵀ,   dL/db = Σ_{n, i, j} G[n],
        dL/dcols[n] = W₂ᵀ @ G[n],       dL/dx = col2im(dL/dcols), then un-padded.

    ``col2im`` adds every window's gradient back onto the input pixels it read
    (overlapping windows add up); see ``_im2col.py`` and docs/convolution.md.

    Args:
        in_channels: C_in, channels of the input.
        out_channels: C_out, channels of the output (number of filters).
        kernel_size: kH × kW, an int or a pair.
        stride: step between windows (default 1), an int or a pair.
        padding: border added to each side (default 0), an int, a pair, or
            ``"valid"`` (no padding) or ``"same"`` (output size = input size;
            stride 1 only; an even kernel pads one more on the bottom/right,
            as PyTorch).
        dilation: spacing between kernel elements (default 1).
        groups: split the channels into this many independent convolutions
            (default 1); must divide ``in_channels`` and ``out_channels``.
        bias: learn an additive bias per output channel (default True).
        padding_mode: ``"zeros"`` (default), ``"reflect"``, ``"replicate"`` or ``"circular"``.
        dtype: float32 (default) or float64.
        rng: seed or Generator for the initial weights (keyword-only).

    Init (PyTorch's default): W, b ~ U(−1/√k, 1/√k) with k = (C_in/groups)·kH·kW.

    Shape:
        input ``(N, C_in, H, W)``; output ``(N, C_out, OH, OW)`` with
        OH = ⌊(H + pad_top + pad_bottom − dH·(kH − 1) − 1) / sH⌋ + 1 (OW alike);
        ``weight`` is ``(C_out, C_in/groups, kH, kW)`` and ``bias`` ``(C_out,)``
        as in PyTorch. Inputs of another dtype are cast to the layer's dtype.

    Memory: the column array holds N·C_in·kH·kW·OH·OW elements, kH·kW times the
    input for stride 1; batches whose columns would exceed
    ``_im2col.COLUMN_BUDGET`` elements are processed in pieces. Forward keeps
    the padded input, and backward rebuilds the columns from it.

    ``backward(grad_output, input_grad=False)`` fills ``weight.grad`` and
    ``bias.grad`` and skips dL/dx (for the first layer of a network).

    Example:
        >>> conv = Conv2d(1, 30, 5, rng=0)
        >>> conv(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2, 30, 24, 24)
        >>> conv.weight.shape
        (30, 1, 5, 5)
    """

    can_skip_input_grad = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        dtype=np.float32,
        rng=None,
    ):
        super().__init__()
        self.in_channels = check_int("Conv2d", "in_channels", in_channels, ge=1)
        self.out_channels = check_int("Conv2d", "out_channels", out_channels, ge=1)
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, ge=1)
        self.stride = pair("Conv2d", "stride", stride, ge=1)
        self.dilation = pair("Conv2d", "dilation", dilation, ge=1)
        self.groups = check_int("Conv2d", "groups", groups, ge=1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise param_error(
                "Conv2d", "groups",
                f"an int that divides in_channels={self.in_channels} and out_channels={self.out_channels}", groups,
            )
        check_bool("Conv2d", "bias", bias)
        self.padding_mode = check_choice("Conv2d", "padding_mode", padding_mode, tuple(PAD_MODES))
        self.padding, self._pads = self._check_padding(padding)
        self.dtype = resolve_dtype(dtype, "Conv2d")
        gen = as_generator(rng, "Conv2d")
        kh, kw = self.kernel_size
        fan_in = self.in_channels // self.groups * kh * kw
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels // self.groups, kh, kw), dtype=self.dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)
        if bias:
            bound = 1.0 / math.sqrt(fan_in)
            self.bias = Parameter(np.empty(self.out_channels, dtype=self.dtype))
            init.uniform_(self.bias, -bound, bound, rng=gen)
        else:
            self.bias = None
        self._cache = None

    def _check_padding(self, padding):
        """``(padding as stored, ((top, bottom), (left, right)))`` for an int, a pair, "valid" or "same"."""
        if isinstance(padding, str):
            check_choice("Conv2d", "padding", padding, ("valid", "same"))
            if padding == "valid":
                return padding, ((0, 0), (0, 0))
            if self.stride != (1, 1):
                raise param_error(
                    "Conv2d", "padding", f"an int or a pair of ints for stride={self.stride} ('same' needs stride 1, "
                    "as in PyTorch: a strided output cannot keep the input's size)", padding,
                )
            # total d·(k − 1) per axis; an odd total puts the extra row/column at the end, as PyTorch
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            return padding, tuple((t // 2, t - t // 2) for t in totals)
        ph, pw = pair("Conv2d", "padding", padding, ge=0)
        return (ph, pw), ((ph, ph), (pw, pw))

    def get_config(self):
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
            "bias": self.bias is not None,
            "padding_mode": self.padding_mode,
        }

    @staticmethod
    def config_values(config: dict) -> int:
        """How many tensor values ``Conv2d(**config)`` allocates: model files check it before building.

        A config the constructor would refuse counts 0 (it fails before allocating).
        """
        try:
            kh, kw = pair("Conv2d", "kernel_size", config["kernel_size"], ge=1)
            c_in, c_out = (check_int("Conv2d", k, config[k], ge=1) for k in ("in_channels", "out_channels"))
            groups = check_int("Conv2d", "groups", config.get("groups", 1), ge=1)
        except (KeyError, TypeError, ValueError):
            return 0
        return c_out * (c_in // groups) * kh * kw + c_out  # weight and bias

    def _describe(self) -> str:
        return f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def _geometry(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """Check an input shape; return the output's (OH, OW)."""
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(
                f"{self._describe()} expected input of shape (N, {self.in_channels}, H, W), got {shape}."
            )
        (top, bottom), (left, right) = self._pads
        if self.padding_mode in ("reflect", "circular"):
            # np.pad would wrap or reflect more than once; PyTorch refuses such a padding
            limit = 1 if self.padding_mode == "reflect" else 0
            if max(top, bottom) > shape[2] - limit or max(left, right) > shape[3] - limit:
                raise ValueError(
                    f"{self._describe()} with padding_mode={self.padding_mode!r} needs padding "
                    f"{'<' if limit else '<='} the input's height and width, got padding {self._pads} for input {shape}."
                )
        out = tuple(
            output_size(size, k, s, before + after, d)
            for size, k, s, d, (before, after) in zip(shape[2:], self.kernel_size, self.stride, self.dilation, self._pads)
        )
        if min(out) < 1:
            spans = tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel_size))
            raise ValueError(
                f"{self._describe()} expected an input at least as large as its (dilated) kernel {spans} after "
                f"padding {self._pads}, got input of shape {shape}."
            )
        return out

    def forward(self, x):
        x = as_float_array(x, "Conv2d")
        oh, ow = self._geometry(x.shape)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        n = x.shape[0]
        g, kh, kw = self.groups, *self.kernel_size
        xp = pad(x, self._pads, self.padding_mode)  # (N, C_in, Hp, Wp), a copy: backward rebuilds cols from it
        w2 = self.weight.data.reshape(g, self.out_channels // g, -1)  # (G, C_out/G, C_in/G·kH·kW)
        y = np.empty((n, g, self.out_channels // g, oh * ow), dtype=self.dtype)
        for part in batch_chunks(n, self.in_channels * kh * kw * oh * ow):
            cols = self._cols(xp[part], (oh, ow))  # (n, G, C_in/G·kH·kW, OH·OW)
            np.matmul(w2, cols, out=y[part])  # Y[n] = W₂ @ cols[n], per group: (n, G, C_out/G, OH·OW)
        y = y.reshape(n, self.out_channels, oh, ow)
        if self.bias is not None:
            y += self.bias.data[:, None, None]
        self._cache = (xp, (oh, ow))
        return y

    def _cols(self, xp_part: np.ndarray, out_hw) -> np.ndarray:
        """im2col of some images, split by group: ``(n, G, C_in/G·kH·kW, OH·OW)``."""
        cols = im2col(xp_part, self.kernel_size, self.stride, self.dilation, out_hw)  # (n, C_in, kH, kW, OH, OW)
        kh, kw = self.kernel_size
        return cols.reshape(xp_part.shape[0], self.groups, self.in_channels // self.groups * kh * kw, out_hw[0] * out_hw[1])

    def backward(self, grad_output, *, input_grad: bool = True):
        xp, (oh, ow) = self._saved("_cache")
        n = xp.shape[0]
        g = check_grad_output("Conv2d", grad_output, (n, self.out_channels, oh, ow))
        if g.dtype != self.dtype:
            g = g.astype(self.dtype)
        groups, kh, kw = self.groups, *self.kernel_size
        g4 = g.reshape(n, groups, self.out_channels // groups, oh * ow)  # (N, G, C_out/G, OH·OW)
        w2 = self.weight.data.reshape(groups, self.out_channels // groups, -1)  # (G, C_out/G, C_in/G·kH·kW)
        dw2 = np.zeros_like(w2)
        dxp = np.empty(xp.shape, dtype=self.dtype) if input_grad else None
        for part in batch_chunks(n, self.in_channels * kh * kw * oh * ow):
            cols = self._cols(xp[part], (oh, ow))  # (n, G, C_in/G·kH·kW, OH·OW)
            dw2 += (g4[part] @ cols.transpose(0, 1, 3, 2)).sum(axis=0)  # dL/dW₂ = Σ_n G[n] @ cols[n]ᵀ
            if input_grad:
                dcols = w2.transpose(0, 2, 1) @ g4[part]  # dL/dcols[n] = W₂ᵀ @ G[n]: (n, G, C_in/G·kH·kW, OH·OW)
                dcols = dcols.reshape(cols.shape[0], self.in_channels, kh, kw, oh, ow)  # (n, C_in, kH, kW, OH, OW)
                dxp[part] = col2im(dcols, dcols.shape[:2] + xp.shape[2:], self.stride, self.dilation)
        self.weight.accumulate(dw2.reshape(self.weight.data.shape))  # (C_out, C_in/G, kH, kW)
        if self.bias is not None:
            self.bias.accumulate(g.sum(axis=(0, 2, 3)))  # dL/db = Σ over images and pixels: (C_out,)
        if not input_grad:
            return None
        return unpad(dxp, self._pads, self.padding_mode)  # dL/dx: (N, C_in, H, W)
