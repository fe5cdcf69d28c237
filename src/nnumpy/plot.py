"""Plots for learning and debugging: training curves, decision boundaries, confusion
matrices, misclassified images, first-layer weights, activation/gradient histograms.

matplotlib is an optional extra (``pip install 'nnumpy[plot]'``), imported inside each
function. Figures are built with matplotlib's object API on the Agg canvas: nothing
here touches ``pyplot``, the global backend or ``plt.show``, so the functions work
headless, in scripts and in notebooks alike. In Jupyter a Figure shows inline when it
is a cell's value (``plot_curves(history)`` as the last line, or ``fig`` on its own
line): under a kernel these functions register a PNG view for Figures with IPython,
unless one is registered already (``%matplotlib inline`` does). A Figure assigned to
a name, not shown, stays hidden until the name is evaluated. In a script, save it
(``path=``) or call ``fig.savefig``.

Every function returns the ``matplotlib.figure.Figure``; with ``path=`` it also
saves a PNG atomically (a temp file beside ``path`` moved into place), so an
interrupted run never leaves half an image. ``animate_decision_boundary`` saves a
GIF instead.
"""

from __future__ import annotations

import copy
import io
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ._atomic import atomic_write, atomic_write_bytes
from ._html import in_kernel
from ._inspect import hooked, model_dtype
from .nn._module import Module
from ._plot_conv import plot_feature_maps, plot_filters  # the CNN plots live in their own module

__all__ = [
    "plot_curves",
    "plot_decision_boundary",
    "animate_decision_boundary",
    "plot_confusion_matrix",
    "plot_misclassified",
    "plot_weights",
    "plot_activations",
    "plot_filters",
    "plot_feature_maps",
]

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
    from .train import predict

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


# ---------------------------------------------------------------------------- training curves

_CURVE_KEYS = ("epoch", "loss", "val_loss", "accuracy", "val_accuracy")


def _history_columns(history) -> dict[str, np.ndarray]:
    if hasattr(history, "to_dict") and callable(history.to_dict):
        cols = history.to_dict()
    elif isinstance(history, Mapping):
        cols = history
    else:
        raise TypeError(
            "plot_curves expects a History (anything with to_dict()) or a dict of lists keyed "
            f"{', '.join(_CURVE_KEYS)}; got {type(history).__name__}."
        )
    out = {}
    for key in _CURVE_KEYS:
        if key in cols and cols[key] is not None:
            values = [np.nan if v is None else v for v in cols[key]]
            out[key] = np.asarray(values, dtype=np.float64)
    if "loss" not in out and "val_loss" not in out:
        raise ValueError(f"plot_curves needs a 'loss' or 'val_loss' column; got keys {sorted(cols)}.")
    lengths = {k: len(v) for k, v in out.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"plot_curves expects columns of equal length, got {lengths}.")
    if next(iter(lengths.values())) == 0:
        raise ValueError("plot_curves got an empty history (0 epochs): train for at least one epoch first.")
    return out


def plot_curves(history, *, path=None):
    """Training curves: loss (and accuracy, when recorded), train vs validation, per epoch.

    Args:
        history: a ``History`` (anything whose ``to_dict()`` returns lists keyed
            ``'epoch'``, ``'loss'``, ``'val_loss'``, ``'accuracy'``, ``'val_accuracy'``)
            or such a dict. Missing columns are skipped; ``None`` entries are gaps.
        path: save the figure there as a PNG (atomically), if given.

    Returns:
        matplotlib.figure.Figure

    Example:
        >>> fig = plot_curves({"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]})
        >>> [ax.get_title() for ax in fig.axes]
        ['loss']
    """
    cols = _history_columns(history)
    n = len(next(iter(cols.values())))
    epochs = cols.get("epoch", np.arange(1, n + 1, dtype=np.float64))
    panels = [("loss", "loss", "val_loss")]
    if any(k in cols and np.isfinite(cols[k]).any() for k in ("accuracy", "val_accuracy")):
        panels.append(("accuracy", "accuracy", "val_accuracy"))
    fig = _figure(5.0 * len(panels), 3.6)
    marker = "o" if n <= 30 else None
    for i, (title, train_key, val_key) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for key, label, style in ((train_key, "train", "-"), (val_key, "validation", "--")):
            if key in cols and np.isfinite(cols[key]).any():
                ax.plot(epochs, cols[key], style, marker=marker, markersize=3, label=label)
        if title == "loss" and "val_loss" in cols and np.isfinite(cols["val_loss"]).any():
            best = int(np.nanargmin(cols["val_loss"]))
            ax.axvline(epochs[best], color="gray", linestyle=":", linewidth=1,
                       label=f"best val_loss (epoch {epochs[best]:g})")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    return _save(fig, path)


# ---------------------------------------------------------------------------- decision boundary

def _points(owner: str, X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{owner} needs 2-D points X of shape (N, 2), got {X.shape}.")
    if X.shape[0] == 0:
        raise ValueError(f"{owner} needs at least one point, got an empty X.")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{owner} got NaN or infinity in X.")
    return X, _labels("y", owner, y, X.shape[0])


def _grid(X: np.ndarray, resolution: int):
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def _draw_boundary(ax, model: Module, X: np.ndarray, y: np.ndarray, resolution: int, title: str) -> None:
    xx, yy, grid = _grid(X, resolution)
    grid_cls, n_cls = _scores_to_classes(_predict(model, grid))
    pred, _ = _scores_to_classes(_predict(model, X))
    n_cls = max(n_cls, int(y.max()) + 1)
    colors = _class_colors(n_cls)
    zz = grid_cls.reshape(xx.shape)
    levels = np.arange(n_cls + 1) - 0.5
    ax.contourf(xx, yy, zz, levels=levels, colors=colors, alpha=0.25)
    if np.unique(zz).size > 1:
        ax.contour(xx, yy, zz, levels=levels[1:-1], colors="k", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=14, edgecolors="k", linewidths=0.4)
    ax.set_title(f"{title} (accuracy {100.0 * float(np.mean(pred == y)):.1f}%)")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")


def _resolution(owner: str, resolution) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or not 2 <= resolution <= 2000:
        raise ValueError(f"The 'resolution' parameter of {owner} must be an int in [2, 2000]. Got {resolution!r} instead.")
    return int(resolution)


def plot_decision_boundary(model: Module, X, y, *, resolution: int = 200, path=None):
    """Decision regions of a classifier on 2-D inputs, with the data points on top.

    The model is evaluated (on an eval-mode copy) over a ``resolution``² grid
    covering the points. Outputs ``(M, C)`` are read as class scores (argmax);
    a single output ``(M,)``/``(M, 1)`` as a binary logit (threshold 0), or a
    probability (threshold 0.5) when all outputs lie in [0, 1].

    Args:
        model: a classifier taking inputs of shape ``(M, 2)``.
        X: points, shape ``(N, 2)``.
        y: class labels, shape ``(N,)``.
        resolution: grid points per axis (default 200).
        path: save a PNG there (atomically), if given.

    Returns:
        matplotlib.figure.Figure

    Example:
        >>> from nnumpy import nn
        >>> X = np.random.default_rng(0).normal(size=(20, 2)); y = (X[:, 0] > 0).astype(int)
        >>> fig = plot_decision_boundary(nn.Linear(2, 2, rng=0), X, y, resolution=20)
    """
    X, y = _points("plot_decision_boundary", X, y)
    resolution = _resolution("plot_decision_boundary", resolution)
    fig = _figure(5.0, 4.5)
    _draw_boundary(fig.add_subplot(1, 1, 1), model, X, y, resolution, "decision boundary")
    return _save(fig, path)


def animate_decision_boundary(model: Module, X, y, snapshots, *, fps: int = 4, resolution: int = 100,
                              first_epoch: int = 1, epochs=None, path=None):
    """The decision boundary as it changes over training, as an animated GIF.

    No callback is needed: collect ``model.state_dict()`` after each epoch in
    your loop (``snapshots.append(model.state_dict())``), then pass the list.
    Each frame loads one snapshot into a copy of ``model``.

    Args:
        model: the model (its architecture; its weights are replaced per frame).
        X: points, shape ``(N, 2)``; y: labels ``(N,)``.
        snapshots: a sequence of state_dicts (or of models), one per epoch.
        fps: frames per second (default 4).
        resolution: grid points per axis (default 100; lower is faster).
        first_epoch: the epoch number of the first snapshot (default 1; use 0
            when the first snapshot is the untrained model).
        epochs: the epoch number of each snapshot, for snapshots not taken every
            epoch (default ``first_epoch, first_epoch + 1, ...``).
        path: save the GIF there (atomically, via matplotlib's PillowWriter).

    Returns:
        matplotlib.figure.Figure showing the last frame.

    Example:
        >>> from nnumpy import nn
        >>> X = np.random.default_rng(0).normal(size=(20, 2)); y = (X[:, 0] > 0).astype(int)
        >>> m = nn.Linear(2, 2, rng=0)
        >>> fig = animate_decision_boundary(m, X, y, [m.state_dict(), m.state_dict()], resolution=10)
    """
    owner = "animate_decision_boundary"
    X, y = _points(owner, X, y)
    resolution = _resolution(owner, resolution)
    if isinstance(snapshots, (Mapping, Module)) or not isinstance(snapshots, Sequence) or len(snapshots) == 0:
        raise ValueError(f"{owner} expects a non-empty list of state_dicts (one per epoch), got {type(snapshots).__name__}.")
    if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or fps < 1:
        raise ValueError(f"The 'fps' parameter of {owner} must be an int >= 1. Got {fps!r} instead.")
    labels = [first_epoch + i for i in range(len(snapshots))] if epochs is None else list(epochs)
    if len(labels) != len(snapshots):
        raise ValueError(f"The 'epochs' parameter of {owner} must give one epoch number per snapshot "
                         f"({len(snapshots)}). Got {len(labels)} instead.")
    models = []
    for i, snap in enumerate(snapshots):
        if isinstance(snap, Module):
            models.append(snap)
        elif isinstance(snap, Mapping):
            m = copy.deepcopy(model)
            m.load_state_dict(snap)
            models.append(m)
        else:
            raise TypeError(f"{owner}: snapshot {i} is a {type(snap).__name__}; expected a state_dict or a Module.")
    from matplotlib.animation import FuncAnimation, PillowWriter

    fig = _figure(5.0, 4.5)
    ax = fig.add_subplot(1, 1, 1)

    def draw(i):
        ax.clear()
        _draw_boundary(ax, models[i], X, y, resolution, f"epoch {labels[i]}")
        return []

    draw(0)
    if path is not None:
        anim = FuncAnimation(fig, draw, frames=len(models), init_func=lambda: [], blit=False, repeat=False)
        # PillowWriter writes to a file name, so it renders into a private temp directory and
        # the finished GIF is then written to ``path`` atomically.
        with tempfile.TemporaryDirectory() as tmp:
            gif = Path(tmp) / "animation.gif"
            anim.save(gif, writer=PillowWriter(fps=int(fps)))
            atomic_write_bytes(path, gif.read_bytes())
    draw(len(models) - 1)
    return fig


# ---------------------------------------------------------------------------- classification results

def plot_confusion_matrix(y_true=None, y_pred=None, *, matrix=None, classes=None, normalize: bool = False, path=None):
    """Confusion matrix: rows are true classes, columns predicted classes, with counts.

    Args:
        y_true: true labels ``(N,)``.
        y_pred: predicted labels ``(N,)`` or scores ``(N, C)`` (argmax is taken).
        matrix: a precomputed ``(C, C)`` count matrix instead of the labels.
        classes: class names, e.g. ``nnumpy.datasets.class_names('fashion-mnist')``
            (default ``0 .. C-1``).
        normalize: show each row as fractions of the true class (default False).
        path: save a PNG there (atomically), if given.

    Returns:
        matplotlib.figure.Figure

    Example:
        >>> fig = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    """
    owner = "plot_confusion_matrix"
    if matrix is not None:
        if y_true is not None or y_pred is not None:
            raise ValueError(f"{owner} takes either (y_true, y_pred) or matrix=, not both.")
        cm = np.asarray(matrix)
        if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.dtype.kind not in "iuf" or (cm < 0).any():
            raise ValueError(f"{owner} expected a square (C, C) matrix of counts >= 0, got shape {cm.shape}.")
    else:
        if y_true is None or y_pred is None:
            raise ValueError(f"{owner} needs y_true and y_pred (or matrix=).")
        t = _labels("y_true", owner, y_true)
        p = _labels("y_pred", owner, y_pred, t.shape[0])
        c = max(int(t.max(initial=-1)), int(p.max(initial=-1)), len(classes) - 1 if classes is not None else -1) + 1
        cm = np.zeros((c, c), dtype=np.int64)
        np.add.at(cm, (t, p), 1)
    c = cm.shape[0]
    names = [str(k) for k in (classes if classes is not None else range(c))]
    if len(names) != c:
        raise ValueError(f"{owner} got {len(names)} class names for {c} classes.")
    total = float(cm.sum())
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    side = max(4.0, 0.45 * c + 2.0)
    fig = _figure(side + 0.8, side)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(shown, cmap="Blues", vmin=0)
    fig.colorbar(im, ax=ax, shrink=0.8)
    if c <= 20:
        vmax = float(shown.max()) if shown.size else 0.0
        for i in range(c):
            for j in range(c):
                v = shown[i, j]
                text = f"{v:.2f}" if normalize else f"{int(v)}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if vmax and v > 0.6 * vmax else "black")
    tilt = c > 10 or max(len(n) for n in names) > 3  # long names (Fashion-MNIST's "Ankle boot") would overlap
    ax.set_xticks(range(c), names, rotation=45 if tilt else 0, ha="right" if tilt else "center")
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = float(np.trace(cm)) / total if total else float("nan")
    ax.set_title(f"confusion matrix (accuracy {100.0 * acc:.1f}%)")
    return _save(fig, path)


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


def plot_misclassified(images, labels, predictions=None, *, model=None, classes=None, max_images: int = 25,
                       image_shape=None, path=None):
    """Grid of misclassified images, each titled with its predicted and true label.

    Args:
        images: the inputs, ``(N, H, W)``, ``(N, 1, H, W)``, ``(N, H, W, 3)`` or flat
            ``(N, H*W)`` (square, or give ``image_shape``).
        labels: true labels ``(N,)``.
        predictions: predicted labels ``(N,)`` or scores ``(N, C)``; or leave it out
            and pass ``model=`` to predict from ``images``.
        model: a classifier used when ``predictions`` is None.
        classes: class names (default: the indices).
        max_images: show at most this many (default 25).
        image_shape: ``(H, W)`` for flat images that are not square.
        path: save a PNG there (atomically), if given.

    Returns:
        matplotlib.figure.Figure

    Example:
        >>> imgs = np.random.default_rng(0).random((4, 8, 8))
        >>> fig = plot_misclassified(imgs, [0, 1, 2, 3], [0, 2, 2, 1])
    """
    owner = "plot_misclassified"
    imgs = _as_images(owner, images, image_shape)
    t = _labels("labels", owner, labels, imgs.shape[0])
    if predictions is None:
        if model is None:
            raise ValueError(f"{owner} needs predictions (labels or scores) or model= to compute them.")
        predictions = _predict(model, np.asarray(images))
        p, _ = _scores_to_classes(predictions)
    else:
        p = _labels("predictions", owner, predictions, imgs.shape[0])
    if isinstance(max_images, bool) or not isinstance(max_images, (int, np.integer)) or max_images < 1:
        raise ValueError(f"The 'max_images' parameter of {owner} must be an int >= 1. Got {max_images!r} instead.")
    wrong = np.flatnonzero(p != t)
    name = (lambda k: str(classes[k])) if classes is not None else str
    if wrong.size == 0:
        fig = _figure(4.0, 2.0)
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, f"no misclassified images\n({t.size} of {t.size} correct)", ha="center", va="center")
        ax.set_axis_off()
        return _save(fig, path)
    shown = wrong[:max_images]
    rows, cols = _grid_shape(shown.size)
    fig = _figure(1.6 * cols + 0.4, 1.8 * rows + 0.5)
    fig.suptitle(f"misclassified: {wrong.size} of {t.size} (showing {shown.size})")
    for k, i in enumerate(shown):
        ax = fig.add_subplot(rows, cols, k + 1)
        img = imgs[i]
        if img.ndim == 3:  # colour: scale into [0, 1] for imshow
            lo, hi = img.min(), img.max()
            ax.imshow((img - lo) / (hi - lo) if hi > lo else np.zeros_like(img))
        else:
            ax.imshow(img, cmap="gray")
        ax.set_title(f"pred {name(int(p[i]))} / true {name(int(t[i]))}", fontsize=8, color="tab:red")
        ax.set_axis_off()
    return _save(fig, path)


def plot_weights(model, *, image_shape=None, max_units: int = 64, path=None):
    """First-layer weights as images: one tile per unit (row of the weight matrix).

    For an MNIST MLP each of the first layer's units has 784 input weights,
    shown as a 28×28 image (red positive, blue negative, white 0): what pattern
    does the unit respond to?

    Args:
        model: a model (its first 2-D parameter is used, e.g. ``0.weight`` of shape
            ``(out, in)``) or a weight array ``(out, in)``.
        image_shape: ``(H, W)`` with ``H*W = in`` (default: square).
        max_units: show at most this many units (default 64).
        path: save a PNG there (atomically), if given.

    Returns:
        matplotlib.figure.Figure

    Example:
        >>> from nnumpy import nn
        >>> fig = plot_weights(nn.Linear(16, 4, rng=0))
    """
    owner = "plot_weights"
    if isinstance(model, Module):
        found = [(n, p.data) for n, p in model.named_parameters() if p.data.ndim == 2]
        if not found:
            raise ValueError(f"{owner}: {type(model).__name__} has no 2-D weight to show.")
        name, w = found[0]
    else:
        name, w = "weight", np.asarray(model)
        if w.ndim != 2:
            raise ValueError(f"{owner} expected a model or a 2-D weight array (out, in), got shape {w.shape}.")
    if isinstance(max_units, bool) or not isinstance(max_units, (int, np.integer)) or max_units < 1:
        raise ValueError(f"The 'max_units' parameter of {owner} must be an int >= 1. Got {max_units!r} instead.")
    tiles = _as_images(owner, w[:max_units], image_shape)
    rows, cols = _grid_shape(tiles.shape[0])
    vmax = float(np.abs(tiles).max()) or 1.0
    fig = _figure(1.2 * cols + 1.0, 1.25 * rows + 0.5)
    fig.suptitle(f"{name} {w.shape}: units 0-{tiles.shape[0] - 1}, red > 0 > blue")
    im = None
    for k in range(tiles.shape[0]):
        ax = fig.add_subplot(rows, cols, k + 1)
        im = ax.imshow(tiles[k], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(str(k), fontsize=7)
        ax.set_axis_off()
    fig.colorbar(im, ax=fig.axes, shrink=0.6)
    return _save(fig, path)


# ---------------------------------------------------------------------------- activations and gradients

def plot_activations(model: Module, x, *, target=None, loss_fn=None, bins: int = 40, path=None):
    """Histograms of each layer's outputs and of the gradient reaching them, for one batch.

    Runs one forward and one backward pass on a copy of the model, recording
    each leaf layer's output (left column) and d(loss)/d(output) (right
    column, as log10|g| on one shared axis, so gradients that shrink layer by
    layer, like the vanishing gradients of a deep sigmoid network, show as
    histograms sliding left).

    Args:
        model: the model.
        x: one input batch.
        target, loss_fn: when both are given, the backward pass starts from
            ``loss_fn(model(x), target)``; otherwise from the gradient of the
            mean output (``ones / N``).
        bins: histogram bins (default 40).
        path: save a PNG there (atomically), if given.

    Returns:
        matplotlib.figure.Figure

    Example:
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Sigmoid(), nn.Linear(8, 2, rng=1))
        >>> fig = plot_activations(model, np.random.default_rng(0).normal(size=(16, 4)))
    """
    owner = "plot_activations"
    if not isinstance(model, Module):
        raise TypeError(f"{owner} expects an nnumpy Module, got {type(model).__name__}.")
    if (target is None) != (loss_fn is None):
        raise ValueError(f"{owner} needs both target and loss_fn (or neither).")
    m = copy.deepcopy(model)
    x = np.asarray(x, dtype=model_dtype(m))
    acts: dict[int, tuple[str, str, np.ndarray]] = {}
    grads: dict[int, np.ndarray] = {}

    def on_forward(name, mod, args, result, error):
        if error is None and id(mod) not in acts:
            acts[id(mod)] = (name, type(mod).__name__, np.array(result, dtype=np.float64))

    def on_backward(name, mod, args, result, error):
        if error is None and id(mod) not in grads and args:
            grads[id(mod)] = np.array(args[0], dtype=np.float64)

    with hooked(m, on_forward, on_backward):
        out = np.asarray(m(x))
        if loss_fn is not None:
            lf = copy.deepcopy(loss_fn)
            lf(out, target)
            g = lf.backward()
        else:
            g = np.full(out.shape, 1.0 / max(out.shape[0] if out.ndim else 1, 1), dtype=out.dtype)
        m.backward(g)
    if not acts:
        raise ValueError(f"{owner}: no layer of {type(model).__name__} ran in forward.")
    layers = list(acts.items())
    logs = {k: np.log10(np.abs(v[v != 0])) for k, v in grads.items()}
    finite = [v for v in logs.values() if v.size]
    lo = min((float(v.min()) for v in finite), default=-1.0)
    hi = max((float(v.max()) for v in finite), default=0.0)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, int(bins) + 1)
    fig = _figure(9.0, 1.5 * len(layers) + 0.8)
    fig.suptitle("outputs (left) and log10 |d loss / d output| (right), one batch")
    for r, (key, (name, kind, a)) in enumerate(layers):
        ax = fig.add_subplot(len(layers), 2, 2 * r + 1)
        ax.hist(a.ravel(), bins=int(bins), color="tab:blue")
        ax.set_title(f"{name} ({kind}) output: mean {a.mean():.3g}, std {a.std():.3g}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax = fig.add_subplot(len(layers), 2, 2 * r + 2)
        g = grads.get(key)
        if g is None:
            ax.text(0.5, 0.5, "no backward call", ha="center", va="center", fontsize=8)
        else:
            if logs[key].size:
                ax.hist(logs[key], bins=edges, color="tab:orange")
            zeros = int(g.size - logs[key].size)
            ax.set_title(f"{name}: median |g| {np.median(np.abs(g)):.2e}" + (f", {zeros} zeros" if zeros else ""),
                         fontsize=8)
            ax.set_xlim(lo, hi)
        ax.tick_params(labelsize=7)
    return _save(fig, path)
