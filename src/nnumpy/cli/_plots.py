"""The figures ``nnumpy train`` writes: curves.png always (with matplotlib), the rest with ``--plots``.

Which plots are drawn depends on the data's shape: images get the
misclassified samples and the first layer's weights, 2-D points the decision
boundary and its animation over the epochs (:class:`BoundarySnapshots`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..train import Callback
from ._data import n_features
from ._errors import note
from ._rundir import ANIMATION_FILE, CURVES_FILE

__all__ = ["MAX_FRAMES", "BoundarySnapshots", "has_matplotlib", "write_plots"]

#: --plots on 2-D data: the GIF shows every k-th epoch, k = ceil(epochs / MAX_FRAMES). Drawing a
#: frame costs matplotlib the same whatever the model, so the GIF's time grows with its frames,
#: not with the run's: a small cap keeps it in proportion to a small run (the commit that set 10
#: has the timings).
MAX_FRAMES = 10
#: Grid points per axis of each GIF frame (the still decision_boundary.png keeps the plot's default).
GIF_RESOLUTION = 50


def has_matplotlib() -> bool:
    """True when matplotlib can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


class BoundarySnapshots(Callback):
    """--plots on 2-D data: keeps ``model.state_dict()`` for the decision-boundary GIF.

    It keeps the untrained model (unless resuming), every k-th epoch with
    k = ceil(epochs / MAX_FRAMES), and the last epoch run: at most MAX_FRAMES + 2
    frames.

    Args:
        model: the model being trained (its untrained state is the first frame).
        epochs: epochs in total, as passed to ``fit``.
        start_epoch: epochs already done (a resumed run), default 0.

    Attributes:
        frames: a list of ``(epoch, state_dict)``.
    """

    def __init__(self, model, epochs: int, start_epoch: int = 0) -> None:
        self.start_epoch = start_epoch
        self.stride = max(1, -(-(epochs - start_epoch) // MAX_FRAMES))  # ceil division
        self.frames = [] if start_epoch else [(0, model.state_dict())]
        self.pending = None

    def on_epoch_end(self, state) -> None:
        epoch = int(state.logs["epoch"])
        if (epoch - self.start_epoch) % self.stride == 0:
            self.frames.append((epoch, state.model.state_dict()))
            self.pending = None
        else:
            self.pending = (epoch, state.model.state_dict())

    def on_train_end(self, state) -> None:
        if self.pending is not None:  # the last epoch (early stop, or epochs not a multiple of the stride)
            self.frames.append(self.pending)
            self.pending = None


def write_plots(history, model, loss_fn, result: dict, X: np.ndarray, y: np.ndarray, T: np.ndarray, out: Path,
                all_plots: bool, written: list[Path], snapshots: BoundarySnapshots | None = None) -> None:
    """curves.png (when matplotlib is installed); with ``all_plots`` every other plot that fits the data.

    ``X``, ``y``, ``T``: the test split's inputs, labels and training targets;
    ``snapshots``: the :class:`BoundarySnapshots` callback of a 2-D run, for the GIF.
    Each file written is appended to ``written``.
    """
    if not has_matplotlib():
        note("matplotlib is not installed, so no curves.png: pip install 'nnumpy[plot]'")
        return
    from ..plot import (animate_decision_boundary, plot_activations, plot_confusion_matrix, plot_curves,
                        plot_decision_boundary, plot_misclassified, plot_weights)

    def save(name: str, draw) -> None:
        draw(path=out / name)
        written.append(out / name)

    save(CURVES_FILE, lambda path: plot_curves(history, path=path))
    if not all_plots:
        return
    if "confusion_matrix" in result:
        save("confusion_matrix.png", lambda path: plot_confusion_matrix(matrix=result["confusion_matrix"], path=path))
    images = X.ndim >= 3  # (N, 1, H, W) or (N, H, W): MNIST-like
    if images:
        model.eval()
        scores = np.concatenate([model(X[i:i + 1024]) for i in range(0, len(X), 1024)])
        model.train()
        save("misclassified.png", lambda path: plot_misclassified(X, y, scores, path=path))
        first = next((p.data for p in model.parameters() if p.data.ndim == 2), None)
        if first is not None and first.shape[1] == int(np.prod(X.shape[-2:])):
            save("weights.png", lambda path: plot_weights(model, image_shape=X.shape[-2:], path=path))
    elif n_features(X) == 2:
        save("decision_boundary.png", lambda path: plot_decision_boundary(model, X, y, path=path))
        if snapshots is not None and snapshots.frames:
            epochs, states = zip(*snapshots.frames)
            save(ANIMATION_FILE, lambda path: animate_decision_boundary(
                model, X, y, list(states), epochs=list(epochs), resolution=GIF_RESOLUTION, path=path))
    n = min(len(X), 256)
    save("activations.png", lambda path: plot_activations(model, X[:n], target=T[:n], loss_fn=loss_fn, path=path))
