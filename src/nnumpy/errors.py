"""Exceptions raised by nnumpy.

Every user error is a ``ValueError`` or ``TypeError`` (or one of the documented
subclasses below), with a message that says what was expected and what was got.
Misuse of the API, such as calling ``backward()`` before ``forward()``, raises
``RuntimeError``.
"""

from __future__ import annotations

__all__ = ["DataError", "ModelFileError", "NnumpyError"]


class NnumpyError(Exception):
    """Base class of nnumpy's own exception types."""


class DataError(NnumpyError, ValueError):
    """A data file or data set is missing, malformed or inconsistent.

    Raised by the IDX reader, the data set loaders and the downloader. The
    message names the file and the problem.
    """


class ModelFileError(NnumpyError, ValueError):
    """A model or checkpoint file is missing, corrupt, or describes something
    nnumpy will not build (an unknown layer type, a bad argument, a checksum
    mismatch)."""
