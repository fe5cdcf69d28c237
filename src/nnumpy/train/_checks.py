"""Argument checks of fit and evaluate, each run once at the call, and the loaders built from the data."""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Sequence

import numpy as np

from .._validation import param_error
from ..data import DataLoader, TensorDataset
from ..nn import CrossEntropyLoss, Module, NLLLoss
from ._callbacks import Callback, LRSchedulerCallback
from ._metrics import MetricSpec

__all__ = [
    "check_model", "check_loss", "check_optimizer", "check_metrics", "checkpoint_steps", "find_scheduler",
    "check_monitors_have_val", "check_finite", "check_labels", "make_loader", "check_class_names", "check_pair",
]


def check_model(owner: str, model) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f"{owner} expects an nnumpy.nn.Module as model, got {type(model).__name__}.")
    return model


def check_loss(owner: str, loss_fn, required: bool):
    if loss_fn is None and not required:
        return None
    if isinstance(loss_fn, type):
        raise TypeError(
            f"{owner} got the class {loss_fn.__name__} as loss_fn, not a loss: create one with parentheses, "
            f"e.g. {loss_fn.__name__}()."
        )
    if not callable(loss_fn) or not callable(getattr(loss_fn, "backward", None)):
        raise TypeError(
            f"{owner} expects a loss such as nnumpy.nn.CrossEntropyLoss() (callable, with backward()), "
            f"got {type(loss_fn).__name__}."
        )
    if getattr(loss_fn, "reduction", "mean") == "none":
        raise ValueError(
            f"{owner} needs a loss that returns one number per batch: use reduction='mean' or 'sum', "
            f"not 'none' ({type(loss_fn).__name__})."
        )
    return loss_fn


def check_optimizer(owner: str, optimizer, model=None):
    if isinstance(optimizer, type):
        raise TypeError(
            f"{owner} got the class {optimizer.__name__} as optimizer, not an optimizer: create one over the "
            f"model's parameters, e.g. {optimizer.__name__}(model.parameters(), lr=0.01)."
        )
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(
            f"{owner} expects an optimizer such as nnumpy.optim.SGD (with step() and zero_grad()), "
            f"got {type(optimizer).__name__}."
        )
    groups = getattr(optimizer, "param_groups", None)
    if model is not None and isinstance(groups, list):
        mine = {id(p) for p in model.parameters()}
        theirs = {id(p) for g in groups if isinstance(g, dict) for p in g.get("params", ())}
        if mine and theirs and not mine & theirs:
            raise ValueError(
                f"{owner}: the optimizer holds none of the model's parameters, so training would change nothing: "
                f"build it on this model, e.g. {type(optimizer).__name__}(model.parameters(), ...)."
            )
    return optimizer


def check_metrics(owner: str, metrics) -> MetricSpec:
    if isinstance(metrics, str):
        metrics = (metrics,)
    try:
        names = tuple(metrics)
    except TypeError:
        expected = "a sequence of metric names such as ('accuracy', 'f1')"
        raise param_error(owner, "metrics", expected, metrics, TypeError) from None
    return MetricSpec.parse(owner, names)


def check_class_names(owner: str, class_names) -> list[str] | None:
    """``None`` or a list of str, one per class."""
    if class_names is None:
        return None
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence):
        raise param_error(owner, "class_names", "None or a list of str (one per class)", class_names, TypeError)
    names = list(class_names)
    if not names or not all(isinstance(n, str) for n in names):
        raise param_error(owner, "class_names", "None or a non-empty list of str (one per class)", class_names,
                          TypeError if names else ValueError)
    return names


def _checkpoint_every(owner: str, value) -> int:
    """0 for ``'epoch'``, else the number of steps."""
    if value == "epoch":
        return 0
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1:
        return int(value)
    exc = ValueError if isinstance(value, (str, numbers.Integral)) and not isinstance(value, bool) else TypeError
    raise param_error(owner, "checkpoint_every", "'epoch' or an int >= 1 (optimizer steps)", value, exc)


def checkpoint_steps(owner: str, checkpoint, checkpoint_every, resume) -> int:
    """Check the checkpoint arguments together; 0 for ``checkpoint_every='epoch'``, else the number of steps."""
    every = _checkpoint_every(owner, checkpoint_every)
    for name, value in (("checkpoint", checkpoint), ("resume", resume)):
        if value is not None and not isinstance(value, (str, Path)):
            raise param_error(owner, name, "None, a str or a pathlib.Path", value, TypeError)
    if checkpoint is None and every:
        raise ValueError(f"{owner}: checkpoint_every={checkpoint_every!r} needs checkpoint=PATH to write to.")
    if resume is not None and not Path(resume).exists():
        raise FileNotFoundError(f"{owner}: no checkpoint to resume at {str(resume)!r}.")
    return every


def find_scheduler(owner: str, callbacks: list[Callback], optimizer, needed: bool):
    """The scheduler among the callbacks (a checkpoint holds one), checked against the optimizer."""
    scheds = [cb.scheduler for cb in callbacks if isinstance(cb, LRSchedulerCallback)]
    for s in scheds:
        if s.optimizer is not optimizer:
            raise ValueError(
                f"{owner}: the scheduler {type(s).__name__} is attached to a different optimizer than the one "
                f"passed to {owner}."
            )
    if len(scheds) > 1 and needed:
        raise ValueError(f"{owner}: checkpoints hold one learning-rate scheduler, got {len(scheds)}.")
    return scheds[0] if scheds else None


def check_monitors_have_val(callbacks: list[Callback]) -> None:
    """Without validation data no callback may need a ``val_*`` entry of the epoch logs."""
    for cb in callbacks:
        monitor = getattr(cb, "monitor", None)
        if isinstance(monitor, str) and monitor.startswith("val_") and getattr(cb, "save_best_only", True):
            raise ValueError(
                f"{type(cb).__name__} monitors {monitor!r}, but fit has no validation data: "
                f"pass validation_split=0.1 (or val=(X_val, y_val)) or monitor {monitor[4:]!r}."
            )


#: Elements per block of the finiteness check: its boolean temporary stays ~1 MB instead of
#: one byte per element of the data set (47 MB for 60,000 MNIST images).
_FINITE_BLOCK = 1 << 20


def check_finite(owner: str, arr: np.ndarray, label: str) -> None:
    """Raise if ``arr`` (at least 1-d) holds NaN or infinity, naming the first such index."""
    if arr.dtype.kind not in "fc":
        return
    rows = max(1, _FINITE_BLOCK // max(1, arr[0].size)) if len(arr) else 1
    for start in range(0, len(arr), rows):
        block = arr[start : start + rows]
        if not np.isfinite(block).all():
            bad = np.argwhere(~np.isfinite(block))[0]
            bad[0] += start
            raise ValueError(
                f"{owner}: {label} contains NaN or infinity (first at index {tuple(int(i) for i in bad)}); "
                "clean or impute the data before training."
            )


def check_pair(owner: str, data, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Check an ``(X, y)`` pair: numeric, same length, non-empty, finite."""
    if len(data) != 2:
        raise ValueError(
            f"{owner}: {label} must be an (X, y) pair or a DataLoader, got a sequence of {len(data)} items."
        )
    X, y = (np.asarray(a) for a in data)
    for name, arr in (("X", X), ("y", y)):
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{owner}: {label} {name} must be a numeric array, got dtype {arr.dtype}.")
        if arr.ndim == 0:
            raise ValueError(f"{owner}: {label} {name} must have a first axis indexing samples, got a 0-d array.")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{owner}: {label} X and y must have the same number of samples, got X {X.shape} and y {y.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{owner}: {label} data is empty (0 samples).")
    check_finite(owner, X, f"{label} X")
    check_finite(owner, y, f"{label} y")
    return X, y


def make_loader(owner: str, data, label: str, batch_size: int, shuffle: bool, rng) -> DataLoader:
    """``data`` itself when it is a DataLoader, else a DataLoader over the checked ``(X, y)`` pair."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)):
        X, y = check_pair(owner, data, label)
        return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle, rng=rng)
    raise TypeError(
        f"{owner}: {label} must be an (X, y) tuple or an nnumpy.data.DataLoader, got {type(data).__name__}."
    )


def _targets(loader: DataLoader) -> np.ndarray | None:
    """The whole target array when the loader reads a TensorDataset(X, y), else None."""
    ds = loader.dataset
    return ds.arrays[-1] if isinstance(ds, TensorDataset) and len(ds.arrays) >= 2 else None


def check_labels(owner: str, loss_fn, width: int, loaders: Sequence[tuple[str, DataLoader]]) -> None:
    """Class indices of the whole data set must fit the model's output width (checked once, up front),
    so a bad label fails before the first epoch rather than in the middle of one."""
    if not isinstance(loss_fn, (CrossEntropyLoss, NLLLoss)):
        return
    ignore = getattr(loss_fn, "ignore_index", None)
    for label, loader in loaders:
        y = _targets(loader)
        if y is None or y.ndim != 1 or y.dtype.kind not in "iu":
            continue
        valid = y if ignore is None else y[y != ignore]
        if valid.size and (valid.min() < 0 or valid.max() >= width):
            bad = int(valid.min()) if valid.min() < 0 else int(valid.max())
            raise ValueError(
                f"{owner}: {label} label {bad} is out of range for a model with {width} outputs: "
                f"class indices must be in [0, {width - 1}]."
            )
