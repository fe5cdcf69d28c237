"""Training curves: loss and accuracy per epoch, train and validation."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import _figure, _save


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
