"""Data sets shipped inside the package: ``mnist-sample``, ``iris`` and ``digits``.

The files live in ``nnumpy/datasets/_bundled/`` (see the README there for
sources and licences). Each file's md5 is checked before it is parsed (about a
millisecond per megabyte), so a damaged installation raises
:class:`nnumpy.DataError` instead of returning wrong data. Parsed arrays are
cached per process; every call returns fresh copies.

Splits (deterministic, no randomness involved):

* ``mnist-sample``: the official MNIST test set (10,000 images). ``train`` is
  the first 8,000 images in file order, ``test`` the last 2,000, ``all`` all 10,000.
* ``iris`` and ``digits``: stratified 80/20 by position. Within each class,
  taken in file order, the samples at positions 4, 9, 14, ... (every fifth,
  0-based ``i % 5 == 4``) form ``test``; the rest form ``train``. Iris gives
  120 train / 30 test (10 test per class); digits gives 1,442 / 355.
  ``all`` returns every sample. Samples stay in file order within a split.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
from pathlib import Path

import numpy as np

from ..errors import DataError
from ._idx import _check_pair, read_idx

__all__ = ["BUNDLED_DIR", "BUNDLED_MD5", "load_mnist_sample", "load_iris", "load_digits", "mnist_to_xy"]

BUNDLED_DIR = Path(__file__).resolve().parent / "_bundled"

# md5 of each file as shipped (= the md5 published in the project's data README).
BUNDLED_MD5 = {
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    "iris.csv": "d69a16ea6136ccb02a7c37c66375ebba",
    "digits.csv.gz": "9b335364a7bfd63947c7480a5bd51f2d",
}

MNIST_SAMPLE_TRAIN = 8000  # first 8,000 of t10k -> train, last 2,000 -> test
_TEST_EVERY = 5  # stratified split: every 5th sample of each class -> test


def _bundled_path(name: str) -> Path:
    """Return the path of bundled file ``name`` after checking its md5."""
    path = BUNDLED_DIR / name
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise DataError(
            f"bundled data file {path} is missing or unreadable ({e.strerror or e}); "
            f"the nnumpy installation is incomplete, reinstall it"
        ) from None
    got = hashlib.md5(blob).hexdigest()
    if got != BUNDLED_MD5[name]:
        raise DataError(
            f"bundled data file {path} is corrupt: md5 {got}, expected {BUNDLED_MD5[name]}; reinstall nnumpy"
        )
    return path


def mnist_to_xy(images: np.ndarray, labels: np.ndarray, where: str, n_classes: int = 10):
    """Check MNIST-shaped uint8 arrays and convert to ``(X float32 (N,1,28,28) in [0,1], y int64)``."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{where}: expected uint8 images of shape (N, 28, 28), got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8:
        raise DataError(f"{where}: expected uint8 labels, got {labels.dtype}")
    if labels.size and int(labels.max()) >= n_classes:
        raise DataError(f"{where}: label {int(labels.max())} out of range; expected 0..{n_classes - 1}")
    X = images.astype(np.float32)
    X /= np.float32(255.0)  # in place, float32 throughout
    return X.reshape(-1, 1, 28, 28), labels.astype(np.int64)


@functools.lru_cache(maxsize=None)
def _mnist_t10k() -> tuple[np.ndarray, np.ndarray]:
    images_path = _bundled_path("t10k-images-idx3-ubyte.gz")
    labels_path = _bundled_path("t10k-labels-idx1-ubyte.gz")
    images, labels = read_idx(images_path), read_idx(labels_path)
    _check_pair(images_path, images, labels_path, labels)
    return mnist_to_xy(images, labels, str(images_path))


def _slice_split(n: int, n_train: int, split: str) -> slice:
    return {"train": slice(0, n_train), "test": slice(n_train, n), "all": slice(0, n)}[split]


def stratified_mask(y: np.ndarray, split: str) -> np.ndarray:
    """Boolean mask of ``split`` under the every-fifth-per-class rule (see module docstring)."""
    if split == "all":
        return np.ones(y.shape[0], dtype=bool)
    test = np.zeros(y.shape[0], dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        test[idx[_TEST_EVERY - 1 :: _TEST_EVERY]] = True
    return test if split == "test" else ~test


def load_mnist_sample(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The bundled MNIST t10k set split 8,000 train / 2,000 test (first/last, file order).

    Shape:
        X: (N, 1, 28, 28) float32 in [0, 1]; y: (N,) int64 in [0, 9];
        N = 8000 (train), 2000 (test) or 10000 (all).
    """
    X, y = _mnist_t10k()
    s = _slice_split(X.shape[0], MNIST_SAMPLE_TRAIN, split)
    return X[s].copy(), y[s].copy()


@functools.lru_cache(maxsize=None)
def _iris() -> tuple[np.ndarray, np.ndarray]:
    path = _bundled_path("iris.csv")
    lines = path.read_text(encoding="ascii").splitlines()
    n, d = (int(v) for v in lines[0].split(",")[:2])
    table = np.loadtxt(io.StringIO("\n".join(lines[1:])), delimiter=",", dtype=np.float64)
    if table.shape != (n, d + 1):
        raise DataError(f"{path}: header announces {n} rows of {d} features, found table of shape {table.shape}")
    return table[:, :d].astype(np.float32), table[:, d].astype(np.int64)


def load_iris(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris, stratified 120 train / 30 test by the every-fifth rule.

    Shape:
        X: (N, 4) float32 (sepal length, sepal width, petal length, petal width, cm);
        y: (N,) int64 in {0: setosa, 1: versicolor, 2: virginica}.
    """
    X, y = _iris()
    m = stratified_mask(y, split)
    return X[m], y[m]


@functools.lru_cache(maxsize=None)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    path = _bundled_path("digits.csv.gz")
    text = gzip.decompress(path.read_bytes()).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 65:
        raise DataError(f"{path}: expected rows of 64 pixels and a label, found table of shape {table.shape}")
    X = table[:, :64].astype(np.float32)
    X /= np.float32(16.0)  # pixel counts are 0..16 (4x4 blocks of a 32x32 bitmap)
    return X.reshape(-1, 1, 8, 8), table[:, 64]


def load_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """UCI 8x8 handwritten digits scaled to [0, 1], stratified 80/20 by the every-fifth rule.

    Shape:
        X: (N, 1, 8, 8) float32 in [0, 1]; y: (N,) int64 in [0, 9].
    """
    X, y = _digits()
    m = stratified_mask(y, split)
    return X[m], y[m]
