"""What the plots share: figures on the Agg canvas, atomic PNG saves, the inline view in
Jupyter, class colours and labels, predictions in chunks, image grids."""

from __future__ import annotations

import copy
import io
import math

import numpy as np

from .._atomic import atomic_write
from .._html import in_kernel
from .._inspect import model_dtype
from ..nn._module import Module
from ..train import predict


_INSTALL = "pip install 'nnumpy[plot]'"


def _figure(width: float, height: float):
    """A Figure on an Agg canvas (no pyplot, no global backend change)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(f"nnumpy.plot needs matplotlib, an optional extra: {_INSTALL}") from e
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    if in_kernel():
        _register_png_view(Figure)
    return fig


def _png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _register_png_view(figure_class) -> None:
    """Let IPython show a Figure as a PNG, as ``%matplotlib inline`` would (kept if one is registered)."""
    from IPython import get_ipython

    formatter = get_ipython().display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(figure_class)
    except KeyError:
        formatter.for_type(figure_class, _png_bytes)


def _save(fig, path):
    if path is not None:
        atomic_write(path, lambda f: fig.savefig(f, format="png"))
    return fig


def _class_colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _labels(name: str, owner: str, y, n: int | None = None) -> np.ndarray:
    """Integer class labels; 2-D scores (N, C) become their argmax."""
    arr = np.asarray(y)
    if arr.ndim == 2:
        arr = arr.argmax(axis=1)
    if arr.ndim != 1:
        raise ValueError(f"{owner} expected {name} of shape (N,) (class indices) or (N, C) (scores), got {arr.shape}.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise TypeError(f"{owner} expected integer class indices for {name}, got non-integer floats.")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iub":
        raise TypeError(f"{owner} expected integer class indices for {name}, got dtype {arr.dtype}.")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{owner} expected class indices >= 0 for {name}, got {int(arr.min())}.")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{owner} expected {n} {name} (one per sample), got {arr.shape[0]}.")
    return arr.astype(np.int64)


def _predict(model: Module, X: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Model outputs for X in eval mode, computed on a copy (the model's caches stay as they were)."""
    m = copy.deepcopy(model)
    X = np.asarray(X, dtype=model_dtype(m))
    return predict(m, X, batch_size=chunk) if X.shape[0] else np.zeros((0,))


def _scores_to_classes(scores: np.ndarray) -> tuple[np.ndarray, int]:
    """Class predictions and class count from (M, C) scores, or (M,)/(M, 1) binary outputs.

    A binary output in [0, 1] is read as a probability (threshold 0.5), otherwise as a
    logit (threshold 0).
    """
    s = scores.reshape(scores.shape[0], -1)
    if s.shape[1] >= 2:
        return s.argmax(axis=1), s.shape[1]
    s = s[:, 0]
    threshold = 0.5 if s.size and s.min() >= 0.0 and s.max() <= 1.0 else 0.0
    return (s > threshold).astype(np.int64), 2


def _as_images(owner: str, images, image_shape=None) -> np.ndarray:
    """(N, H, W) grey or (N, H, W, 3) colour images from common layouts."""
    a = np.asarray(images, dtype=np.float64)
    if a.ndim == 2:
        d = a.shape[1]
        if image_shape is None:
            side = math.isqrt(d)
            if side * side != d:
                raise ValueError(f"{owner}: cannot tell the image size of flat vectors of length {d}; "
                                 "pass image_shape=(H, W).")
            image_shape = (side, side)
        if int(np.prod(image_shape)) != d:
            raise ValueError(f"{owner}: image_shape {tuple(image_shape)} does not hold {d} values.")
        return a.reshape((a.shape[0],) + tuple(image_shape))
    if a.ndim == 4 and a.shape[1] in (1, 3) and a.shape[-1] not in (1, 3):
        a = np.moveaxis(a, 1, -1)  # (N, C, H, W) -> (N, H, W, C)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 3 or (a.ndim == 4 and a.shape[-1] == 3):
        return a
    raise ValueError(f"{owner} expected images of shape (N, H, W), (N, 1, H, W), (N, H, W, 3) or (N, H*W); got {a.shape}.")


def _grid_shape(k: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(k)))
    return math.ceil(k / cols), cols


def first_weight(owner: str, source, ndim: int, *, missing: str, expected: str) -> tuple[str, np.ndarray]:
    """``(name, array)`` of the first parameter with ``ndim`` dimensions of a Module, or ``source`` as an array.

    ``missing`` ends the error for a model without such a parameter, ``expected``
    says what an array argument must be.
    """
    if isinstance(source, Module):
        found = [(n, p.data) for n, p in source.named_parameters() if p.data.ndim == ndim]
        if not found:
            raise ValueError(f"{owner}: {type(source).__name__} has no {missing}.")
        return found[0]
    w = np.asarray(source)
    if w.ndim != ndim:
        raise ValueError(f"{owner} expected {expected}, got shape {w.shape}.")
    return "weight", w
