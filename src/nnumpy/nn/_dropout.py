"""Dropout: zero random elements in training, the identity in eval mode."""

from __future__ import annotations

import numpy as np

from .._random import as_generator
from .._validation import check_float
from ._module import Module, as_float_array, check_grad_output

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout: in training, y = x ⊙ m / (1 − p) with m ~ Bernoulli(1 − p).

    In eval mode (``model.eval()``) it is the identity. Backward multiplies the
    gradient by the same mask and scale. The mask is drawn from the layer's
    own generator ``rng``, so a seed makes training reproducible and saving /
    restoring ``layer.rng.bit_generator.state`` replays the same masks.

    Args:
        p: probability of zeroing an element, in [0, 1) (default 0.5).
        rng: seed or Generator for the masks (keyword-only).

    Example:
        >>> d = Dropout(0.5, rng=0).eval()
        >>> d(np.ones(3))
        array([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        self.p = check_float("Dropout", "p", p, ge=0, lt=1)
        self.rng = as_generator(rng, "Dropout")
        self._scale = None
        self._shape = None

    def get_config(self):
        return {"p": self.p}

    def forward(self, x):
        x = as_float_array(x, "Dropout")
        self._shape = x.shape
        if not self.training or self.p == 0.0:
            self._scale = 1.0
            return x
        keep = self.rng.random(x.shape) >= self.p
        self._scale = keep.astype(x.dtype)
        self._scale *= 1.0 / (1.0 - self.p)
        return x * self._scale

    def backward(self, grad_output):
        scale = self._saved("_scale")
        g = check_grad_output("Dropout", grad_output, self._shape)
        return g * scale  # the same mask and 1/(1 − p) as forward
