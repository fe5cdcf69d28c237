"""Dropout and Dropout2d: zero random elements (or whole channels) in training, the identity in eval mode."""

from __future__ import annotations

import numpy as np

from .._random import as_generator
from .._validation import check_float
from ._module import Module, as_float_array, check_grad_output

__all__ = ["Dropout", "Dropout2d"]


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
        self.p = check_float(type(self).__name__, "p", p, ge=0, lt=1)
        self.rng = as_generator(rng, type(self).__name__)
        self._scale = None
        self._shape = None

    def get_config(self):
        return {"p": self.p}

    def forward(self, x):
        x = as_float_array(x, type(self).__name__)
        mask_shape = self._mask_shape(x)
        self._shape = x.shape
        if not self.training or self.p == 0.0:
            self._scale = 1.0
            return x
        keep = self.rng.random(mask_shape) >= self.p
        self._scale = keep.astype(x.dtype)
        self._scale *= 1.0 / (1.0 - self.p)
        return x * self._scale

    def _mask_shape(self, x: np.ndarray) -> tuple[int, ...]:
        """One mask entry per element."""
        return x.shape

    def backward(self, grad_output):
        scale = self._saved("_scale")
        g = check_grad_output(type(self).__name__, grad_output, self._shape)
        return g * scale  # the same mask and 1/(1 − p) as forward


class Dropout2d(Dropout):
    """Channel dropout: in training, y[n, c] = x[n, c] · m[n, c] / (1 − p), m[n, c] ~ Bernoulli(1 − p).

    Each channel of each image is kept or zeroed whole (Tompson et al. 2015,
    as PyTorch's ``Dropout2d``): neighbouring pixels of a feature map are
    strongly correlated, so dropping single pixels would regularise little.
    The mask has shape ``(N, C, 1, 1)`` and broadcasts over H and W; backward
    multiplies by the same mask and scale. Identity in eval mode.

    Args:
        p: probability of zeroing a channel, in [0, 1) (default 0.5).
        rng: seed or Generator for the masks (keyword-only).

    Shape:
        input ``(N, C, H, W)``; output the same.

    Example:
        >>> y = Dropout2d(0.5, rng=0)(np.ones((1, 4, 2, 2)))
        >>> y[0, :, 0, 0]  # each channel is all 0 or all 1/(1 − p)
        array([2., 0., 0., 0.])
        >>> bool((y == y[:, :, :1, :1]).all())  # constant over H and W
        True
    """

    def _mask_shape(self, x: np.ndarray) -> tuple[int, ...]:
        """One mask entry per channel: ``(N, C, 1, 1)``."""
        if x.ndim != 4:
            raise ValueError(f"Dropout2d(p={self.p}) expected input of shape (N, C, H, W), got {x.shape}.")
        return x.shape[:2] + (1, 1)
