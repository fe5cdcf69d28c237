"""Decision boundaries of 2-D classifiers, as a picture and as a GIF over training."""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_bytes
from ..nn._module import Module
from ._common import _figure, _save, _class_colors, _labels, _predict, _scores_to_classes


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
