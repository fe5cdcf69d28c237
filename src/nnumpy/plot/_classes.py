"""Classification results: the confusion matrix and the misclassified images."""

from __future__ import annotations

import numpy as np

from ._common import _figure, _save, _labels, _predict, _scores_to_classes, _as_images, _grid_shape


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
