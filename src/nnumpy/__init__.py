"""nnumpy: neural networks in NumPy with explicit, hand-written backpropagation."""

from __future__ import annotations

from ._version import __version__

from . import check, data, datasets, nn, optim, train  # noqa: E402
from .errors import DataError, ModelFileError, NnumpyError  # noqa: E402

__all__ = ["__version__", "check", "data", "datasets", "nn", "optim", "train", "DataError", "ModelFileError", "NnumpyError"]

from .io import load, load_state, save  # noqa: E402

__all__ += ["save", "load", "load_state"]

from . import plot  # noqa: E402  (matplotlib is imported only inside its functions)
from ._inspect import trace  # noqa: E402

__all__ += ["plot", "trace"]
