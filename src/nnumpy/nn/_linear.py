"""Linear, Identity and Flatten."""

from __future__ import annotations

import math

import numpy as np

from .._random import as_generator
from .._validation import check_bool, check_int
from . import init
from ._module import Module, Parameter, as_float_array, resolve_dtype

__all__ = ["Linear", "Identity", "Flatten"]

#: Batches of 2 to this many rows take the "feature-major" GEMMs, y = (W xᵀ)ᵀ and dL/dx = (Wᵀ Gᵀ)ᵀ,
#: which leave y and dL/dx F-contiguous. Same products, another BLAS call: with the OpenBLAS
#: that NumPy wheels bundle, ``x @ W.T`` runs well below peak for short, wide x (at 32 rows
#: the 784→512 forward takes 440 µs against 290 µs for ``W @ x.T``), while above a few
#: hundred rows the row-major calls are faster (benchmarks/NOTES.md, "Feature-major GEMMs").
FEATURE_MAJOR_MAX_ROWS = 256


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
        Inputs of another dtype are cast to the layer's dtype. For a 2-D batch
        of 2 to ``FEATURE_MAJOR_MAX_ROWS`` (256) rows the output is an
        F-contiguous array (the faster BLAS call there, same values).

    Backward leaves dL/dW as its factors G and x (``Parameter.accumulate_product``):
    reading ``weight.grad`` forms Gᵀx, and plain ``SGD`` adds -lr·Gᵀx into the
    weight in one BLAS call. Like the saved input between forward and backward,
    x and grad_output must then not be changed in place before the step.

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
        self._feature_major = False

    def get_config(self):
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias is not None}

    def forward(self, x):
        x = as_float_array(x, "Linear")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}) expected input of "
                f"shape (N, *, {self.in_features}), got {x.shape}."
            )
        w = self.weight.data
        if x.dtype != w.dtype:
            x = x.astype(w.dtype)
        # A 2-D batch of 2..FEATURE_MAJOR_MAX_ROWS rows: y = (W xᵀ)ᵀ, an F-contiguous (N, out)
        # view, and backward then returns dL/dx F-contiguous too, in the layout of the x it got
        # (a layer before it that works elementwise would otherwise mix layouts, which is slow).
        feature_major = x.ndim == 2 and 1 < x.shape[0] <= FEATURE_MAJOR_MAX_ROWS
        cache = self.__dict__  # plain forward caches: nothing for Module.__setattr__ to register
        cache["_x"], cache["_feature_major"] = x, feature_major
        out = (w @ x.T).T if feature_major else x @ w.T  # (N, *, out)
        if self.bias is not None:
            out += self.bias.data
        return out

    def backward(self, grad_output):
        return self._backward(grad_output, True)

    def _backward_params_only(self, grad_output) -> None:
        # dL/dx = G W is a third of this layer's backward FLOPs; skipped when nothing needs it.
        self._backward(grad_output, False)

    def _backward(self, grad_output, input_grad: bool):
        x = self._saved("_x")
        g = np.asarray(grad_output)
        w = self.weight.data
        if g.shape != x.shape[:-1] + (self.out_features,):
            raise ValueError(
                f"Linear.backward expected grad_output of shape {x.shape[:-1] + (self.out_features,)}, got {g.shape}."
            )
        if g.dtype != w.dtype:
            g = g.astype(w.dtype)
        g2 = g.reshape(-1, self.out_features)  # (rows, out)
        x2 = x.reshape(-1, self.in_features)  # (rows, in)
        # dL/dW = Gᵀ x (out, in); kept as its factors until used, so that SGD can add it into
        # the weight in one BLAS call (Parameter.accumulate_product). G and x must then stay
        # unchanged until the step: grad_output is never written to, x is the saved input.
        self.weight.accumulate_product(g2, x2)
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))  # (out,)
        if not input_grad:
            return None
        return (w.T @ g2.T).T if self._feature_major and x.flags.f_contiguous else g @ w  # (N, *, in)


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
        self._saved("_shape")
        return grad_output


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
        self._shape = None

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
        self._shape = x.shape
        new_shape = x.shape[:start] + (int(np.prod(x.shape[start : end + 1])),) + x.shape[end + 1 :]
        return x.reshape(new_shape)

    def backward(self, grad_output):
        shape = self._saved("_shape")
        return np.asarray(grad_output).reshape(shape)
