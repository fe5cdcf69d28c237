"""Plots of a convolutional network: the learned filters and one image's feature maps.

The two pictures of "Deep Learning from Scratch", ch. 7: the first layer's
filters (after training they become edge and blob detectors) and what one
image looks like after a layer (one map per channel). Re-exported by
:mod:`nnumpy.plot`, whose figure and save helpers they use; matplotlib is
imported only when a figure is drawn (the ``plot`` extra).
"""

from __future__ import annotations

import copy
import numbers

import numpy as np

from .._inspect import hooked
from ..nn._module import Module
from ..nn._summary import _leaves
from ._common import _figure, _grid_shape, _save, first_weight

__all__ = ["plot_filters", "plot_feature_maps"]


def _check_count(owner: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"The {name!r} parameter of {owner} must be an int >= 1. Got {value!r} instead.")
    return int(value)


def _tiles(fig, images: np.ndarray, titles, start: int, rows: int, cols: int, *, cmap: str, symmetric: bool):
    """One axis per image in a ``rows × cols`` grid from position ``start``, one colour scale for all."""
    lo, hi = float(images.min()), float(images.max())
    if symmetric:
        hi = max(abs(lo), abs(hi)) or 1.0
        lo = -hi
    for k, (img, title) in enumerate(zip(images, titles)):
        ax = fig.add_subplot(rows, cols, start + k + 1)
        ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1.0)
        ax.set_title(title, fontsize=7)
        ax.set_axis_off()


def plot_filters(conv, *, channel: int = 0, max_filters: int = 64, path=None):
    """The kernels of a convolution, one tile per filter: ``weight[o, channel]`` as a kH × kW image.

    As the book draws them: red positive, blue negative, white 0, one
    colour scale for all filters. A first layer on grey images has one input
    channel, so each filter is exactly one tile.

    Args:
        conv: a ``Conv2d``, a model (its first 4-D parameter is used, e.g.
            ``0.weight``) or a weight array ``(C_out, C_in, kH, kW)``.
        channel: the input channel shown for filters over several channels (default 0).
        max_filters: show at most this many filters (default 64).
        path: save a PNG there (atomically), if given.

    Returns:
        matplotlib.figure.Figure, one axis per filter shown.

    Example:
        >>> from nnumpy import nn
        >>> fig = plot_filters(nn.Conv2d(1, 6, 5, rng=0))
        >>> len(fig.axes)
        6
    """


    owner = "plot_filters"
    name, w = first_weight(owner, conv, 4, missing="4-D convolution weight (C_out, C_in, kH, kW)",
                           expected="a Conv2d, a model or a 4-D weight array (C_out, C_in, kH, kW)")
    max_filters = _check_count(owner, "max_filters", max_filters)
    if isinstance(channel, bool) or not isinstance(channel, numbers.Integral) or not 0 <= channel < w.shape[1]:
        raise ValueError(f"The 'channel' parameter of {owner} must be an int in [0, {w.shape[1] - 1}] "
                         f"(the weight has {w.shape[1]} input channel(s)). Got {channel!r} instead.")
    kernels = np.asarray(w[:max_filters, channel], dtype=np.float64)  # (k, kH, kW)
    rows, cols = _grid_shape(len(kernels))
    fig = _figure(0.9 * cols + 0.6, 0.95 * rows + 0.5)
    which = f", input channel {channel}" if w.shape[1] > 1 else ""
    fig.suptitle(f"{name} {tuple(w.shape)}: filters 0-{len(kernels) - 1}{which}, red > 0 > blue", fontsize=9)
    _tiles(fig, kernels, [str(k) for k in range(len(kernels))], 0, rows, cols, cmap="RdBu_r", symmetric=True)
    return _save(fig, path)


def _find_layer(owner: str, model: Module, layer):
    """``(name, module)`` of the computing layer ``layer`` names: a position, a summary name or the module."""
    leaves = _leaves(model)
    if isinstance(layer, Module):
        found = [(n, m) for n, m in leaves if m is layer]
    elif isinstance(layer, numbers.Integral) and not isinstance(layer, bool):
        found = [leaves[layer]] if -len(leaves) <= layer < len(leaves) else []
    elif isinstance(layer, str):
        found = [(n, m) for n, m in leaves if n == layer]
    else:
        raise TypeError(f"The 'layer' parameter of {owner} must be an int, a layer name such as '0' or a layer "
                        f"of the model. Got {type(layer).__name__} instead.")
    if not found:
        names = ", ".join(f"{n} ({type(m).__name__})" for n, m in leaves)
        raise ValueError(f"The 'layer' parameter of {owner} must name one of the model's layers: {names}. "
                         f"Got {layer!r} instead.")
    return found[0]


def plot_feature_maps(model: Module, image, *, layer=0, max_maps: int = 64, path=None):
    """One image's feature maps after a layer: the input, then one tile per output channel.

    Runs the image through a copy of the model in eval mode (the model itself
    is untouched) and keeps what ``layer`` returned, ``(1, C, OH, OW)``.

    Args:
        model: the model.
        image: one image, ``(C, H, W)``, ``(1, C, H, W)`` or ``(H, W)`` (one channel).
        layer: which layer's output to show: its position among the model's
            computing layers (as ``model.summary`` lists them; default 0, the
            first), its name there (``"0"``, ``"features.2"``) or the layer itself.
        max_maps: show at most this many channels (default 64).
        path: save a PNG there (atomically), if given.

    Returns:
        matplotlib.figure.Figure: one axis for the input (its first channel)
        and one per feature map shown.

    Example:
        >>> import numpy as np
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, rng=0), nn.ReLU())
        >>> fig = plot_feature_maps(model, np.zeros((1, 8, 8), np.float32), layer=1)
        >>> len(fig.axes)
        5
    """


    owner = "plot_feature_maps"
    if not isinstance(model, Module):
        raise TypeError(f"{owner} expected an nnumpy Module as model, got {type(model).__name__}.")
    max_maps = _check_count(owner, "max_maps", max_maps)
    x = np.asarray(image)
    if x.ndim == 2:
        x = x[None]  # (1, H, W)
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 3:
        raise ValueError(f"{owner} expected one image (C, H, W), (1, C, H, W) or (H, W), got shape {np.shape(image)}.")
    name, _ = _find_layer(owner, model, layer)
    copied = copy.deepcopy(model).eval()
    target = dict(_leaves(copied))[name]  # the same layer in the copy
    outputs = []

    def keep(_name, mod, _args, result, error):
        if mod is target and error is None and not outputs:
            outputs.append(result)

    with hooked(copied, on_forward=keep):
        copied(x[None])  # (1, C, H, W)
    out = np.asarray(outputs[0]) if outputs else None
    if out is None or out.ndim != 4:
        got = "was not called" if out is None else f"returned shape {out.shape}"
        raise ValueError(f"{owner}: layer {name} ({type(target).__name__}) {got}; choose a layer whose output is "
                         "(N, C, H, W) feature maps (a convolution, activation or pooling layer).")
    maps = np.asarray(out[0, :max_maps], dtype=np.float64)  # (k, OH, OW)
    rows, cols = _grid_shape(len(maps) + 1)
    fig = _figure(1.0 * cols + 0.6, 1.05 * rows + 0.5)
    fig.suptitle(f"layer {name} ({type(target).__name__}): output {tuple(out.shape)}, channels 0-{len(maps) - 1}",
                 fontsize=9)
    _tiles(fig, np.asarray(x[:1], dtype=np.float64), ["input"], 0, rows, cols, cmap="gray", symmetric=False)
    _tiles(fig, maps, [str(k) for k in range(len(maps))], 1, rows, cols, cmap="gray", symmetric=False)
    return _save(fig, path)
