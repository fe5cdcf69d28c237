"""Inside the network: first-layer weights as images, activation and gradient histograms."""

from __future__ import annotations

import copy

import numpy as np

from .._inspect import hooked, model_dtype
from ..nn._module import Module
from ._common import _as_images, _figure, _grid_shape, _save, first_weight


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
    name, w = first_weight(owner, model, 2, missing="2-D weight to show", expected="a model or a 2-D weight array (out, in)")
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
