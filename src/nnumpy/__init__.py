"""nnumpy: neural networks in NumPy with explicit, hand-written backpropagation."""

from __future__ import annotations

__version__ = "0.1.0"

from . import check, nn, optim  # noqa: E402
from .errors import DataError, ModelFileError, NnumpyError  # noqa: E402

__all__ = ["__version__", "check", "nn", "optim", "DataError", "ModelFileError", "NnumpyError"]
