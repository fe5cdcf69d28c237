"""Linear, Identity and Flatten."""

from __future__ import annotations

import math

import numpy as np

from .._random import as_generator
from .._validation import check_bool, check_int
from . import init
from ._module import Module, Parameter, as_float_array, check_grad_output, resolve_dtype

__all__ = ["Linear", "Identity", "Flatten"]

class Linear(Module):
    r"""Affine map y = x Wᵀ + b over the last dimension.

    Backward (G = dL/dy, rows flattened over the leading dimensions):
    dL/dW = Gᵀ x,  dL/db = Σ_rows G,  dL/dx = G W.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default ``True``).
        dtype: float32 (default) or float64.
        rng: seed or Generator for the initial weights.

    Init (PyTorch's default): W, b ~ U(-1/√in_features, 1/√in_features),
    i.e. ``kaiming_uniform_(W, a=√5)``.

    Shape:
        input ``(N, *, in_features)``, output ``(N, *, out_features)``;
        ``weight`` is ``(out_features, in_features)`` as in PyTorch.
        Inputs of another dtype are cast to the layer's dtype.

    ``backward(grad_output, input_grad=False)`` fills ``weight.grad`` and
    ``bias.grad`` but skips dL/dx (a third of the backward's work) and returns
    ``None``: ``Sequential.backward(..., input_grad=False)`` uses it for the
    first layer, whose input gradient nothing needs.

    Example:
        >>> layer = Linear(3, 2, rng=0)
        >>> layer(np.ones((4, 3))).shape
        (4, 2)
        >>> layer.weight.shape
        (2, 3)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, dtype=np.float32, rng=None):
        super().__init__()
        self.in_features = check_int("Linear", "in_features", in_features, ge=1)
        self.out_features = check_int("Linear", "out_features", out_features, ge=1)
        check_bool("Linear", "bias", bias)
        self.dtype = resolve_dtype(dtype, "Linear")
        gen = as_generator(rng, "Linear")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=self.dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)
        if bias:
            bound = 1.0 / math.sqrt(self.in_features)
            self.bias = Parameter(np.empty(self.out_features, dtype=self.dtype))
            init.uniform_(self.bias, -bound, bound, rng=gen)
        else:
            self.bias = None
        self._x = None

    def get_config(self):
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias is not None}

    can_skip_input_grad = True

    def forward(self, x):
        x = as_float_array(x, "Linear")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}) expected input of "
                f"shape (N, *, {self.in_features}), got {x.shape}."
            )
        # backward needs x for dL/dW: keep a copy (in the layer's dtype), so that the caller
        # may change or reuse its array before backward without changing the gradient.
        x = self._x = x.astype(self.weight.dtype, copy=True)  # (N, *, in)
        y = x @ self.weight.data.T  # (N, *, out)
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_output, *, input_grad: bool = True):
        x = self._saved("_x")
        g = check_grad_output("Linear", grad_output, x.shape[:-1] + (self.out_features,))
        if g.dtype != self.weight.dtype:
            g = g.astype(self.weight.dtype)
        g2 = g.reshape(-1, self.out_features)  # (rows, out): leading dimensions flattened
        x2 = x.reshape(-1, self.in_features)  # (rows, in)
        self.weight.accumulate(g2.T @ x2)  # dL/dW = Gᵀ x: (out, in)
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))  # dL/db = Σ_rows G: (out,)
        if not input_grad:
            return None
        return g @ self.weight.data  # dL/dx = G W: (N, *, in)


class Identity(Module):
    """y = x; backward passes the gradient through unchanged.

    Example:
        >>> Identity()(np.ones(2))
        array([1., 1.])
    """

    def forward(self, x):
        self._shape = np.shape(x)
        return x

    def backward(self, grad_output):
        return check_grad_output("Identity", grad_output, self._saved("_shape"))


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one; backward restores the shape.

    Args:
        start_dim: first dimension to flatten (default 1, keeping the batch).
        end_dim: last dimension to flatten (default -1).

    Shape:
        ``(N, 1, 28, 28)`` → ``(N, 784)`` with the defaults.

    Example:
        >>> Flatten()(np.zeros((2, 1, 28, 28))).shape
        (2, 784)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = check_int("Flatten", "start_dim", start_dim)
        self.end_dim = check_int("Flatten", "end_dim", end_dim)
        self._shapes = None

    def get_config(self):
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def forward(self, x):
        x = as_float_array(x, "Flatten")
        nd = x.ndim
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not (0 <= start < max(nd, 1) and 0 <= end < max(nd, 1)) or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) does not fit an input with "
                f"{nd} dimensions (shape {x.shape})."
            )
        new_shape = x.shape[:start] + (int(np.prod(x.shape[start : end + 1])),) + x.shape[end + 1 :]
        self._shapes = (x.shape, new_shape)  # (input, output)
        return x.reshape(new_shape)

    def backward(self, grad_output):
        in_shape, out_shape = self._saved("_shapes")
        return check_grad_output("Flatten", grad_output, out_shape).reshape(in_shape)
