"""BatchNorm1d and BatchNorm2d: normalise each channel over the batch, PyTorch semantics.

Both are one implementation, ``_BatchNorm``, that normalises over every axis
but the channel axis 1; the subclasses only say which input shapes they take.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_bool, check_float, check_int
from ._module import Module, Parameter, as_float_array, check_grad_output, resolve_dtype

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """Batch normalisation over every axis but the channel axis 1, PyTorch semantics.

    Training: x̂ = (x − μ_B) / √(σ²_B + eps) with the *biased* batch variance;
    y = γ x̂ + β. Running stats: r ← (1 − momentum)·r + momentum·stat, using the
    *unbiased* batch variance for ``running_var``; ``momentum=None`` gives a
    cumulative average. Eval: the running stats replace μ_B and σ²_B.

    Backward in training (m values per channel, ĝ = g·γ):
    dL/dx = (1/m)·(1/√(σ²+eps))·(m ĝ − Σ ĝ − x̂ Σ ĝ x̂);  dL/dγ = Σ g x̂;  dL/dβ = Σ g.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance (default 1e-5).
        momentum: running-stat update factor (default 0.1), or None.
        affine: learn γ and β (default True).
        track_running_stats: keep running stats (default True).
        dtype: float32 (default) or float64.

    Subclasses set ``_ndims`` (the input ranks they accept) and ``_shape_text``.
    """

    _ndims: tuple[int, ...] = ()
    _shape_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype=np.float32,
    ):
        super().__init__()
        name = type(self).__name__
        self.num_features = check_int(name, "num_features", num_features, ge=1)
        self.eps = check_float(name, "eps", eps, gt=0)
        self.momentum = None if momentum is None else check_float(name, "momentum", momentum, ge=0, le=1)
        self.affine = check_bool(name, "affine", affine)
        self.track_running_stats = check_bool(name, "track_running_stats", track_running_stats)
        self.dtype = resolve_dtype(dtype, name)
        c = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(c, dtype=self.dtype))
            self.bias = Parameter(np.zeros(c, dtype=self.dtype))
        else:
            self.weight = self.bias = None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, dtype=self.dtype))
            self.register_buffer("running_var", np.ones(c, dtype=self.dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self._cache = None

    def get_config(self):
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
        }

    def _axes(self, x: np.ndarray) -> tuple[int, ...]:
        """The axes a channel's statistics run over: all but axis 1."""
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            shapes = self._shape_text.replace("C", str(self.num_features))
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}) expected input of shape {shapes}, got {x.shape}."
            )
        return (0,) + tuple(range(2, x.ndim))

    def _channel(self, v: np.ndarray, ndim: int) -> np.ndarray:
        return v.reshape((-1,) + (1,) * (ndim - 2))  # broadcast (C,) over (N, C, *)

    def forward(self, x):
        x = as_float_array(x, type(self).__name__)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        axes = self._axes(x)
        m = x.size // self.num_features
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            if m <= 1:
                raise ValueError(
                    f"{type(self).__name__} expected more than 1 value per channel when training, got input of shape {x.shape}."
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)  # biased, used for normalisation
            if self.training and self.track_running_stats:
                self._set_buffer("num_batches_tracked", self.num_batches_tracked + 1)
                f = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean *= 1.0 - f
                self.running_mean += f * mean
                self.running_var *= 1.0 - f
                self.running_var += (f * m / (m - 1)) * var  # unbiased
        else:
            mean, var = self.running_mean, self.running_var
        invstd = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - self._channel(mean, x.ndim)) * self._channel(invstd, x.ndim)
        self._cache = (xhat, invstd, axes, m, use_batch)
        if not self.affine:
            return xhat
        return xhat * self._channel(self.weight.data, x.ndim) + self._channel(self.bias.data, x.ndim)

    def backward(self, grad_output):
        xhat, invstd, axes, m, use_batch = self._saved("_cache")
        g = check_grad_output(type(self).__name__, grad_output, xhat.shape)
        if g.dtype != xhat.dtype:
            g = g.astype(xhat.dtype)
        nd = g.ndim
        if self.affine:
            self.weight.accumulate((g * xhat).sum(axis=axes))
            self.bias.accumulate(g.sum(axis=axes))
            ghat = g * self._channel(self.weight.data, nd)
        else:
            ghat = g
        if not use_batch:  # eval with running stats: an affine map per channel
            return ghat * self._channel(invstd, nd)
        sum_g = self._channel(ghat.sum(axis=axes), nd)
        sum_gx = self._channel((ghat * xhat).sum(axis=axes), nd)
        return (self._channel(invstd / m, nd)) * (m * ghat - sum_g - xhat * sum_gx)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, per channel over N (and L).

    The math, arguments and running statistics are those of ``_BatchNorm``
    (above), as in PyTorch's ``BatchNorm1d``.

    Shape:
        input ``(N, C)`` or ``(N, C, L)``; output the same.

    Example:
        >>> bn = BatchNorm1d(2, dtype=np.float64)
        >>> np.round(bn(np.array([[1.0, 2.0], [3.0, 6.0]])), 3)
        array([[-1., -1.],
               [ 1.,  1.]])
    """

    _ndims = (2, 3)
    _shape_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images ``(N, C, H, W)``, per channel over N, H and W.

    With m = N·H·W values per channel, the math, arguments and running
    statistics are those of ``_BatchNorm`` (above), as in PyTorch's
    ``BatchNorm2d`` ("spatial" batch norm: one γ and β per channel).

    Shape:
        input ``(N, C, H, W)``; output the same.

    Example:
        >>> bn = BatchNorm2d(3)
        >>> bn(np.random.default_rng(0).normal(size=(4, 3, 5, 5))).shape
        (4, 3, 5, 5)
        >>> bn.running_mean.shape
        (3,)
    """

    _ndims = (4,)
    _shape_text = "(N, C, H, W)"
