"""Activation layers. Each caches what its derivative needs, nothing more.

Element-wise activations compute ``grad_input = grad_output * f'(x)``: ReLU
from a cached mask, Sigmoid and Tanh from their cached output (y(1 − y) and
1 − y²), the others from f'(x) cached in forward. The incoming gradient is
never modified in place.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_float, check_int
from . import functional as F
from ._module import Module, as_float_array, check_grad_output

__all__ = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "LogSoftmax",
]


class _Elementwise(Module):
    """Base of element-wise activations: ``_forward(x)`` returns ``(y, dy/dx)``.

    Forward caches dy/dx; backward is the chain rule, ``grad_output * dy/dx``.
    """

    def __init__(self):
        super().__init__()
        self._dydx = None

    def _forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x):
        x = as_float_array(x, type(self).__name__)
        y, self._dydx = self._forward(x)
        return y

    def backward(self, grad_output):
        dydx = self._saved("_dydx")
        g = check_grad_output(type(self).__name__, grad_output, dydx.shape)
        return (g * dydx).astype(dydx.dtype, copy=False)


class ReLU(Module):
    """y = max(x, 0); dy/dx = 1 where x > 0, else 0 (0 at the kink, as PyTorch).

    Example:
        >>> ReLU()(np.array([-1.0, 2.0]))
        array([0., 2.])
    """

    def forward(self, x):
        x = as_float_array(x, "ReLU")
        self._mask = x > 0  # where dy/dx = 1
        return np.maximum(x, 0.0)

    def backward(self, grad_output):
        mask = self._saved("_mask")
        g = check_grad_output("ReLU", grad_output, mask.shape)
        return g * mask  # the mask is bool: g where x > 0, else 0


class LeakyReLU(_Elementwise):
    """y = x if x > 0 else negative_slope·x.

    Args:
        negative_slope: slope for x ≤ 0 (default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check_float("LeakyReLU", "negative_slope", negative_slope)

    def get_config(self):
        return {"negative_slope": self.negative_slope}

    def _forward(self, x):
        pos = x > 0
        slope = np.where(pos, 1.0, self.negative_slope).astype(x.dtype)
        return x * slope, slope


class ELU(_Elementwise):
    """y = x if x > 0 else α(eˣ − 1); dy/dx = 1 or y + α.

    Args:
        alpha: α (default 1.0).
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_float("ELU", "alpha", alpha)

    def get_config(self):
        return {"alpha": self.alpha}

    def _forward(self, x):
        pos = x > 0
        neg = self.alpha * np.expm1(np.minimum(x, 0.0))  # expm1 of ≤ 0: never overflows
        y = np.where(pos, x, neg)
        return y, np.where(pos, 1.0, neg + self.alpha).astype(x.dtype)


class GELU(_Elementwise):
    """y = x·Φ(x) (Gaussian error linear unit).

    Args:
        approximate: ``'none'`` (exact, via erf) or ``'tanh'`` (PyTorch's approximation).
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))

    def get_config(self):
        return {"approximate": self.approximate}

    def _forward(self, x):
        return F.gelu(x, self.approximate)


class Sigmoid(Module):
    """y = σ(x) = 1/(1 + e^{-x}); dy/dx = y(1 − y), computed from the cached output.

    Stable for any input: σ(±1000) is 1 and 0 with no overflow warning.

    Example:
        >>> Sigmoid()(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """

    def forward(self, x):
        x = as_float_array(x, "Sigmoid")
        self._y = F.sigmoid(x)
        return self._y

    def backward(self, grad_output):
        y = self._saved("_y")
        g = check_grad_output("Sigmoid", grad_output, y.shape)
        grad = 1.0 - y  # dy/dx = y(1 − y), then the chain rule: grad_output · dy/dx
        grad *= y
        grad *= g
        return grad


class Tanh(Module):
    """y = tanh(x); dy/dx = 1 − y², computed from the cached output."""

    def forward(self, x):
        x = as_float_array(x, "Tanh")
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad_output):
        y = self._saved("_y")
        g = check_grad_output("Tanh", grad_output, y.shape)
        grad = 1.0 - y * y  # dy/dx = 1 − y², then the chain rule: grad_output · dy/dx
        grad *= g
        return grad


class Softplus(_Elementwise):
    """y = (1/β)·log(1 + e^{βx}), linear (y = x) where βx > threshold; dy/dx = σ(βx).

    Args:
        beta: β (default 1.0).
        threshold: above ``βx > threshold`` the layer is the identity (default 20.0).
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = check_float("Softplus", "beta", beta, gt=0)
        self.threshold = check_float("Softplus", "threshold", threshold)

    def get_config(self):
        return {"beta": self.beta, "threshold": self.threshold}

    def _forward(self, x):
        bx = x * self.beta
        linear = bx > self.threshold
        y = np.where(linear, x, F.softplus(bx) / self.beta)
        return y, np.where(linear, 1.0, F.sigmoid(bx)).astype(x.dtype)


class _SoftmaxBase(Module):
    def __init__(self, dim: int | None = None):
        super().__init__()
        name = type(self).__name__
        self.dim = None if dim is None else check_int(name, "dim", dim)
        self._y = None

    def get_config(self):
        return {"dim": self.dim}

    def _axis(self, x: np.ndarray) -> int:
        if x.ndim == 0:
            raise ValueError(
                f"{type(self).__name__} expected an input with at least one dimension, got a 0-d array; "
                "reshape it, e.g. x.reshape(1)."
            )
        if self.dim is None:
            # PyTorch's legacy implicit choice: 0 for 0-, 1- and 3-D input, else 1.
            return 0 if x.ndim in (0, 1, 3) else 1
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{type(self).__name__}(dim={self.dim}) does not fit an input of shape {x.shape}.")
        return self.dim

    def _check_grad(self, grad_output) -> tuple[np.ndarray, np.ndarray, int]:
        y = self._saved("_y")
        g = check_grad_output(type(self).__name__, grad_output, y.shape)
        return y, g, self._axis_used


class Softmax(_SoftmaxBase):
    """y_i = exp(x_i) / Σ_j exp(x_j) along ``dim``.

    Backward (Jacobian J_ij = y_i(δ_ij − y_j)): dL/dx = y ⊙ (g − Σ_j g_j y_j).

    Args:
        dim: the axis that sums to 1 (PyTorch's implicit choice if ``None``).

    Example:
        >>> Softmax(dim=1)(np.array([[0.0, 0.0]]))
        array([[0.5, 0.5]])
    """

    def forward(self, x):
        x = as_float_array(x, "Softmax")
        self._axis_used = self._axis(x)
        self._y = F.softmax(x, axis=self._axis_used)
        return self._y

    def backward(self, grad_output):
        y, g, axis = self._check_grad(grad_output)
        return y * (g - np.sum(g * y, axis=axis, keepdims=True))


class LogSoftmax(_SoftmaxBase):
    """y = x − logsumexp(x) along ``dim``.

    Backward: dL/dx = g − softmax(x) · Σ_j g_j.

    Args:
        dim: the axis normalised (PyTorch's implicit choice if ``None``).
    """

    def forward(self, x):
        x = as_float_array(x, "LogSoftmax")
        self._axis_used = self._axis(x)
        self._y = F.log_softmax(x, axis=self._axis_used)
        return self._y

    def backward(self, grad_output):
        y, g, axis = self._check_grad(grad_output)
        return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)
