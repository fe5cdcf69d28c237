"""Small 2-D classification problems generated on demand.

Every generator returns ``X`` float32 of shape ``(n_samples, n_features)`` and
``y`` int64 of shape ``(n_samples,)``. Classes are balanced (sizes differ by at
most one), samples come in random order, and all randomness comes from the
keyword-only ``rng`` (None, an int seed or a ``np.random.Generator``); the
global NumPy RNG is never touched. Computation is in float64, cast to float32
at the end.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._random import as_generator
from .._validation import check_float, check_int

__all__ = ["make_xor", "make_blobs", "make_moons", "make_circles", "make_spiral"]


def _balanced_labels(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    # arange % k gives class sizes differing by at most one; the permutation mixes them.
    return rng.permutation(np.arange(n, dtype=np.int64) % k)


def _finish(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return X.astype(np.float32), y.astype(np.int64, copy=False)


def make_xor(n_samples: int = 200, noise: float = 0.2, *, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at the corners (±1, ±1); label 1 where the signs differ.

    ``y = [sign(c0) != sign(c1)]`` for the cluster centre ``c``; with small
    ``noise`` the classes are not linearly separable but a 2-layer MLP solves it.

    Args:
        n_samples (int): number of points, >= 1. Default 200.
        noise (float): standard deviation of the Gaussian around each corner, >= 0. Default 0.2.
        rng: None, an int seed or a ``np.random.Generator``. Default None (fresh entropy).

    Shape:
        X: (n_samples, 2) float32; y: (n_samples,) int64 in {0, 1}.

    Example:
        >>> X, y = make_xor(8, rng=0)
        >>> X.shape, X.dtype, y.dtype, sorted(set(y.tolist()))
        ((8, 2), dtype('float32'), dtype('int64'), [0, 1])
    """
    n = check_int("make_xor", "n_samples", n_samples, ge=1)
    noise = check_float("make_xor", "noise", noise, ge=0)
    g = as_generator(rng, "make_xor")
    corner = _balanced_labels(n, 4, g)  # 0..3 -> (-1,-1), (-1,1), (1,-1), (1,1)
    centres = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    X = centres[corner] + noise * g.standard_normal((n, 2))  # (N, 2)
    y = (np.sign(centres[corner, 0]) != np.sign(centres[corner, 1])).astype(np.int64)
    return _finish(X, y)


def blob_centers(k: int, d: int, g: np.random.Generator) -> np.ndarray:
    """``k`` centres uniform in [-10, 10]^d (scikit-learn's default ``center_box``)."""
    return g.uniform(-10.0, 10.0, size=(k, d))


def make_blobs(
    n_samples: int = 300, n_features: int = 2, centers=3, noise: float = 1.0, *, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters: ``x = centers[y] + noise * N(0, I)``.

    Args:
        n_samples (int): number of points, >= 1. Default 300.
        n_features (int): dimension of each point, >= 1. Default 2.
        centers (int | array_like): number of clusters (centres drawn uniformly
            in [-10, 10]^n_features, as scikit-learn's ``center_box``), or an
            explicit ``(k, n_features)`` array of centres. Default 3.
        noise (float): standard deviation within each cluster, >= 0. Default 1.0.
        rng: None, an int seed or a ``np.random.Generator``. Default None.

    Shape:
        X: (n_samples, n_features) float32; y: (n_samples,) int64 in [0, k).

    Example:
        >>> X, y = make_blobs(10, n_features=3, centers=4, rng=0)
        >>> X.shape, int(y.max()) <= 3
        ((10, 3), True)
    """
    n = check_int("make_blobs", "n_samples", n_samples, ge=1)
    d = check_int("make_blobs", "n_features", n_features, ge=1)
    noise = check_float("make_blobs", "noise", noise, ge=0)
    g = as_generator(rng, "make_blobs")
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        C = blob_centers(check_int("make_blobs", "centers", centers, ge=1), d, g)  # (k, d)
    else:
        try:
            C = np.asarray(centers, dtype=np.float64)
        except (TypeError, ValueError):
            C = None
        if C is None or C.ndim != 2 or C.shape[0] < 1 or C.shape[1] != d or not np.all(np.isfinite(C)):
            raise ValueError(
                f"The 'centers' parameter of make_blobs must be an int >= 1 or a finite array of shape "
                f"(k, n_features={d}). Got {centers!r} instead."
            )
    y = _balanced_labels(n, C.shape[0], g)
    X = C[y] + noise * g.standard_normal((n, d))  # (N, d)
    return _finish(X, y)


def make_moons(n_samples: int = 200, noise: float = 0.1, *, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 upper, class 1 lower), plus Gaussian noise.

    Class 0: ``(cos t, sin t)``; class 1: ``(1 - cos t, 0.5 - sin t)``, with
    ``t ~ U[0, π]`` drawn independently per point (scikit-learn spaces ``t``
    evenly instead; i.i.d. draws make train and test sets genuinely different).

    Args:
        n_samples (int): number of points, >= 1. Default 200.
        noise (float): standard deviation of Gaussian noise added to X, >= 0. Default 0.1.
        rng: None, an int seed or a ``np.random.Generator``. Default None.

    Shape:
        X: (n_samples, 2) float32; y: (n_samples,) int64 in {0, 1}.

    Example:
        >>> X, y = make_moons(100, noise=0.0, rng=0)
        >>> bool(abs(X[y == 0, 1]).max() <= 1.0)
        True
    """
    n = check_int("make_moons", "n_samples", n_samples, ge=1)
    noise = check_float("make_moons", "noise", noise, ge=0)
    g = as_generator(rng, "make_moons")
    y = _balanced_labels(n, 2, g)
    t = g.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)  # (N, 2)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where(y[:, None] == 0, upper, lower) + noise * g.standard_normal((n, 2))
    return _finish(X, y)


def make_circles(
    n_samples: int = 200, noise: float = 0.05, *, factor: float = 0.5, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``.

    Args:
        n_samples (int): number of points, >= 1. Default 200.
        noise (float): standard deviation of Gaussian noise added to X, >= 0. Default 0.05.
        factor (float): inner radius relative to the outer one, in (0, 1). Default 0.5.
        rng: None, an int seed or a ``np.random.Generator``. Default None.

    Shape:
        X: (n_samples, 2) float32; y: (n_samples,) int64 in {0, 1}.

    Example:
        >>> X, y = make_circles(50, noise=0.0, rng=0)
        >>> r = (X ** 2).sum(axis=1) ** 0.5
        >>> bool(abs(r[y == 1] - 0.5).max() < 1e-6)
        True
    """
    n = check_int("make_circles", "n_samples", n_samples, ge=1)
    noise = check_float("make_circles", "noise", noise, ge=0)
    factor = check_float("make_circles", "factor", factor, gt=0, lt=1)
    g = as_generator(rng, "make_circles")
    y = _balanced_labels(n, 2, g)
    t = g.uniform(0.0, 2.0 * np.pi, size=n)
    r = np.where(y == 0, 1.0, factor)
    X = r[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1) + noise * g.standard_normal((n, 2))
    return _finish(X, y)


def make_spiral(
    n_samples: int = 300, noise: float = 0.2, *, n_classes: int = 3, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n "spiral" problem).

    For class ``k`` a point at radius ``r ~ U[0, 1]`` sits at angle
    ``θ = 4 (k + r) + noise * N(0, 1)`` (radians), i.e. ``x = r (sin θ, cos θ)``.
    Here ``noise`` perturbs the angle, as in the CS231n notes, not the coordinates.

    Args:
        n_samples (int): number of points, >= 1. Default 300.
        noise (float): standard deviation of the angular noise in radians, >= 0. Default 0.2.
        n_classes (int): number of arms, >= 2. Default 3.
        rng: None, an int seed or a ``np.random.Generator``. Default None.

    Shape:
        X: (n_samples, 2) float32 inside the unit disc; y: (n_samples,) int64 in [0, n_classes).

    Example:
        >>> X, y = make_spiral(90, n_classes=3, rng=0)
        >>> X.shape, [int((y == k).sum()) for k in range(3)]
        ((90, 2), [30, 30, 30])
    """
    n = check_int("make_spiral", "n_samples", n_samples, ge=1)
    noise = check_float("make_spiral", "noise", noise, ge=0)
    k = check_int("make_spiral", "n_classes", n_classes, ge=2)
    g = as_generator(rng, "make_spiral")
    y = _balanced_labels(n, k, g)
    r = g.uniform(0.0, 1.0, size=n)
    theta = 4.0 * (y + r) + noise * g.standard_normal(n)
    X = r[:, None] * np.stack([np.sin(theta), np.cos(theta)], axis=1)  # (N, 2)
    return _finish(X, y)
