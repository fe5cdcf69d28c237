"""What the subcommands read: data set splits and model files, and the check that they fit each other."""

from __future__ import annotations

import numpy as np

from ._config import ONE_HOT_LOSSES, first_width, last_width
from ._errors import UsageError

__all__ = ["dataset_key", "dataset_class_names", "load_split", "subset", "holdout", "n_features", "check_fit", "targets", "load_model",
           "model_metadata"]


def dataset_key(name: str) -> str:
    """The canonical data set name (``MNIST_sample`` -> ``mnist-sample``); DataError (a ValueError) if unknown."""
    from ..datasets._registry import _canonical

    return _canonical(name)


def load_split(name: str, split: str, data_dir, limit: int | None, rng: np.random.Generator | None):
    """``(X, y)`` of a split, capped to ``limit`` samples (a seeded random subset, kept in file order)."""
    from ..datasets import load

    X, y = load(name, split=split, data_dir=data_dir)
    return subset(X, y, limit, rng)


def subset(X: np.ndarray, y: np.ndarray, limit: int | None, rng: np.random.Generator | None):
    """At most ``limit`` samples of ``(X, y)``: a seeded random subset, kept in file order."""
    if limit is not None and limit < len(X):
        gen = rng if rng is not None else np.random.default_rng(0)
        idx = np.sort(gen.permutation(len(X))[:limit])
        X, y = X[idx], y[idx]
    return X, y


def holdout(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(train_idx, val_idx)``: a seeded random ``fraction`` of ``range(n)`` held out, both kept in order.

    The held-out part has ``round(fraction * n)`` samples, at least 1 when
    ``fraction > 0``; ValueError when nothing would be left to train on.
    """
    n_val = max(1, round(fraction * n)) if fraction > 0 else 0
    if n_val >= n:
        raise ValueError(f"--val-split {fraction} of {n} training samples leaves none to train on; "
                         "lower --val-split or raise --limit.")
    picked = np.zeros(n, dtype=bool)
    picked[rng.permutation(n)[:n_val]] = True
    return np.flatnonzero(~picked), np.flatnonzero(picked)


def n_features(X: np.ndarray) -> int:
    """Values per sample: 784 for (N, 1, 28, 28), 1 for (N,)."""
    return int(np.prod(X.shape[1:])) if X.ndim > 1 else 1


def check_fit(model, X: np.ndarray, classes: int, dataset: str, what: str, *, training: bool) -> None:
    """The model's input width must equal the data's features, its output width the class count.

    ``what`` names the model in the message; ``training`` picks the fix it
    suggests (change ``--layers`` when training, pick another data set when
    reading a model file) and how strict the output check is: a model to train
    needs exactly one output per class, a model read from a file at least one
    (a subset of a data set may lack the last classes).
    """
    features = n_features(X)
    fw = first_width(model)
    if fw is not None and fw != features:
        shape = f" ({'x'.join(map(str, X.shape[1:]))})" if X.ndim > 2 else ""
        fix = (f"start the layer widths with {features}, e.g. --layers {features}-128-{max(classes, 2)}"
               if training else "pick the data set the model was trained on")
        raise UsageError(f"{what} reads {fw} features per sample, but data set {dataset!r} has {features}{shape}: {fix}.")
    lw = last_width(model)
    if lw is not None and (lw != classes if training else lw < classes):
        fix = f"end the layer widths with {classes}" if training else "pick the data set the model was trained on"
        raise UsageError(f"{what} has {lw} outputs, but data set {dataset!r} has {classes} classes: {fix}.")


def targets(y: np.ndarray, loss_type: str, width: int | None, dtype) -> np.ndarray:
    """Class indices, or one-hot rows for the regression losses (MSE, L1, Huber)."""
    if loss_type not in ONE_HOT_LOSSES:
        return y
    c = width if width is not None else int(y.max()) + 1
    return np.eye(c, dtype=dtype)[y]


def load_model(path):
    """The model stored in ``path`` (ModelFileError, exit 1, when it is missing or corrupt)."""
    from ..io import load

    return load(path)


def model_metadata(path) -> dict[str, str]:
    """The metadata strings of a model file (``dataset``, ``input_shape``, ...); {} when unreadable."""
    from ..io import inspect

    try:
        return dict(inspect(path).get("metadata") or {})
    except (ValueError, OSError):  # the caller has already loaded the file; metadata is a bonus
        return {}


def dataset_class_names(name: str | None) -> list[str] | None:
    """The class names of data set ``name`` (``nnumpy.datasets.class_names``), or None when it has none to give."""
    from ..datasets import class_names

    if not name:
        return None
    try:
        return class_names(dataset_key(name))
    except (ValueError, TypeError, KeyError):  # an unknown or renamed data set: show indices only
        return None
