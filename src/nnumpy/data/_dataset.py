"""Dataset and TensorDataset: samples by index, from user code or from in-memory arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DataError

__all__ = ["Dataset", "TensorDataset"]

_NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex


class Dataset:
    """Map-style data set: ``len(ds)`` samples, ``ds[i]`` returns sample ``i``.

    Subclasses implement ``__len__`` and ``__getitem__(i)`` for integer ``i``;
    a sample is an array, a number, or a tuple of them (e.g. ``(x, y)``), and
    :class:`DataLoader` stacks samples into batches.

    Example:
        >>> from nnumpy.data import DataLoader
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return np.float32(i), i * i
        >>> next(iter(DataLoader(Squares(), batch_size=4)))[1]
        array([0, 1, 4, 9])
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


def _as_numeric(a, label: str) -> np.ndarray:
    try:
        arr = np.asarray(a)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"TensorDataset could not turn {label} into an array: {e}") from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"TensorDataset expected a numeric array for {label}, got dtype {arr.dtype}. "
            f"Convert it first, e.g. np.asarray({label}, dtype=np.float32)."
        )
    if arr.ndim == 0:
        raise ValueError(f"TensorDataset expected {label} to have a first axis indexing samples, got a 0-d array.")
    return arr


class TensorDataset(Dataset):
    """Samples are rows of arrays sharing their first dimension: ``ds[i] = (X[i], y[i])``.

    The arrays are kept as given (``np.asarray``, no copy). Any numeric dtype is
    accepted (bool, int, float, complex); NaN/inf are not checked here.

    Args:
        *arrays (array_like): one or more arrays, first axis = sample, e.g. ``(X, y)``.

    Shape:
        X: (N, *), y: (N, *) -- every array has the same N.

    Raises:
        ValueError: no arrays, or a 0-d array. DataError (a ValueError): the
            first dimensions differ. TypeError: an object/str/other non-numeric array.

    Example:
        >>> ds = TensorDataset(np.zeros((3, 2)), np.array([0, 1, 0]))
        >>> len(ds), ds[1][1]
        (3, np.int64(1))
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(X, y).")
        labels = ["X", "y"][: len(arrays)] if len(arrays) <= 2 else [f"arrays[{i}]" for i in range(len(arrays))]
        checked = tuple(_as_numeric(a, label) for a, label in zip(arrays, labels))
        lengths = [a.shape[0] for a in checked]
        if len(set(lengths)) > 1:
            shapes = ", ".join(f"{label} {a.shape}" for a, label in zip(checked, labels))
            raise DataError(
                f"TensorDataset arrays must have the same first dimension (number of samples); got {shapes}."
            )
        self.arrays: tuple[np.ndarray, ...] = checked

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"
