"""Randomness helpers: every random draw in nnumpy goes through a Generator.

The global NumPy RNG (``np.random.seed`` / ``np.random.rand``) is never used.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator"]


def as_generator(rng=None, owner: str = "nnumpy") -> np.random.Generator:
    """Turn ``rng`` (None, an int seed or a Generator) into a ``np.random.Generator``.

    ``None`` gives a freshly seeded generator from OS entropy (not reproducible);
    pass an int or a Generator for reproducible results.
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"The 'rng' parameter of {owner} must be an int >= 0 or a numpy Generator. Got {rng!r} instead.")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"The 'rng' parameter of {owner} must be None, an int seed or a numpy.random.Generator. "
        f"Got {type(rng).__name__} instead."
    )
