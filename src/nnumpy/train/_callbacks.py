"""Callbacks: code that fit runs at fixed points of the training loop.

Hooks, in order: ``on_train_begin``, then per epoch ``on_epoch_begin``,
``on_batch_end`` after every optimizer step, ``on_epoch_end`` after validation
(``state.logs`` holds the epoch's row), and finally ``on_train_end``. A
callback stops training by setting ``state.stop_training = True`` (checked
after every batch and every epoch).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._validation import check_bool, check_choice, check_float, check_int, param_error
from ..io import save, save_state
from ..nn import LAYERS
from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from ._history import History
from ._state import TrainState

__all__ = [
    "Callback",
    "EarlyStopping",
    "ModelCheckpoint",
    "LRSchedulerCallback",
    "TerminateOnNaN",
    "CSVLogger",
]


class Callback:
    """Base class: override the hooks you need (the others do nothing).

    ``state_dict()`` / ``load_state_dict()`` carry the callback's counters
    through a checkpoint, so a resumed run continues them (JSON-able values only).
    A callback with ``writes_files = True`` runs on rank 0 only when fit
    trains data-parallel (``distributed``), so that N ranks do not write the same file.

    Example:
        >>> class StopAfter(Callback):
        ...     def __init__(self, steps):
        ...         self.steps = steps
        ...     def on_batch_end(self, state):
        ...         if state.step >= self.steps:
        ...             state.stop("enough steps")
    """

    #: True for callbacks that write files (ModelCheckpoint, CSVLogger): rank 0 alone runs them under MPI.
    writes_files = False

    def on_train_begin(self, state: TrainState) -> None:
        """Called once before the first epoch; a resume restores the saved counters right after."""

    def on_epoch_begin(self, state: TrainState) -> None:
        """Called at the start of every epoch, in training mode."""

    def on_batch_end(self, state: TrainState) -> None:
        """Called after every optimizer step; ``state.loss`` is the batch loss."""

    def on_epoch_end(self, state: TrainState) -> None:
        """Called after each epoch's validation; ``state.logs`` is the epoch's row."""

    def on_train_end(self, state: TrainState) -> None:
        """Called once when training ends (all epochs done or stopped), not after an exception."""

    def state_dict(self) -> dict[str, Any]:
        """Counters to save in a checkpoint (default: none)."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned."""


def _monitor_mode(owner: str, monitor: str, mode: str) -> str:
    mode = check_choice(owner, "mode", mode, ("auto", "min", "max"))
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


def _monitored_value(owner: str, state: TrainState, monitor: str) -> float:
    if monitor not in state.logs:
        raise ValueError(
            f"{owner} monitors {monitor!r}, which is not in the epoch logs {sorted(state.logs)}: "
            "pass validation_split=... or val=... to fit for the 'val_*' entries, or monitor one of those."
        )
    return float(state.logs[monitor])


class _Monitored(Callback):
    """Best-value bookkeeping shared by EarlyStopping and ModelCheckpoint."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        if not isinstance(monitor, str):
            raise param_error(owner, "monitor", "a str (an epoch-log key such as 'val_loss')", monitor, TypeError)
        self.monitor = monitor
        self.mode = _monitor_mode(owner, monitor, mode)
        self.min_delta = check_float(owner, "min_delta", min_delta, ge=0)
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats ``best`` by more than ``min_delta`` (NaN never does)."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitored):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    "Improved" means lower by more than ``min_delta`` (``mode='min'``) or higher
    (``'max'``); ``'auto'`` picks ``'max'`` for accuracy-like names. With
    ``restore_best=True`` the model gets the weights of its best epoch back
    when training ends.

    Args:
        monitor: an epoch-log key. Default: ``'val_loss'``.
        patience: epochs without improvement before stopping, >= 1. Default: ``5``.
        restore_best: reload the best epoch's weights at the end. Default: ``True``.
        min_delta: smallest change that counts as improvement, >= 0. Default: ``0.0``.
        mode: ``'auto'``, ``'min'`` or ``'max'``. Default: ``'auto'``.

    Attributes:
        best, best_epoch: best value seen and its 1-based epoch.
        stopped_epoch: the epoch after which training stopped (``None`` if it did not).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, restore_best: bool = True, *,
                 min_delta: float = 0.0, mode: str = "auto") -> None:
        super().__init__("EarlyStopping", monitor, mode, min_delta)
        self.patience = check_int("EarlyStopping", "patience", patience, ge=1)
        self.restore_best = check_bool("EarlyStopping", "restore_best", restore_best)
        self.on_train_begin(None)

    def on_train_begin(self, state) -> None:
        self.reset()
        self.wait = 0
        self.best_epoch: int | None = None
        self.best_weights = None
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, state: TrainState) -> None:
        value = _monitored_value("EarlyStopping", state, self.monitor)
        if self.improved(value):
            self.best = value
            self.best_epoch = state.logs["epoch"]
            self.wait = 0
            if self.restore_best:
                self.best_weights = state.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.logs["epoch"]
            state.stop(
                f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best and self.best_weights is not None and self.best_epoch != state.logs.get("epoch"):
            state.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict[str, Any]:
        """Counters and (with ``restore_best``) the best weights, so a resumed run can still restore them."""
        return {"best": self.best, "wait": self.wait, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.best = float(state["best"])
        self.wait = int(state["wait"])
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state.get("stopped_epoch")
        weights = state.get("best_weights")
        self.best_weights = dict(weights) if weights is not None else None


def _check_template(path: str) -> str:
    """Check a ``str.format`` path template now, not after the first epoch: fields are names, no positions."""
    import string

    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(path) if f is not None]
    except ValueError as e:
        raise ValueError(
            f"The 'path' parameter of ModelCheckpoint is not a valid str.format template ({e}): "
            "write a literal brace as '{{' or '}}'."
        ) from None
    for field in fields:
        name = field.split(".", 1)[0].split("[", 1)[0]
        if not name.isidentifier() or name in ("step", "batch"):
            raise ValueError(
                f"The 'path' parameter of ModelCheckpoint names {{{field}}}, which the epoch logs do not hold: "
                f"use {{epoch}}, {{loss}}, a metric such as {{accuracy}} or {{val_loss}}; files are written once "
                f"per epoch."
            )
    return path


def params_finite(model) -> bool:
    """Whether every parameter of ``model`` is finite (no NaN or infinity)."""
    return all(bool(np.isfinite(p.data).all()) for p in model.parameters())


class ModelCheckpoint(_Monitored):
    """Save the model after each epoch, or only when ``monitor`` improves.

    Models built from nnumpy's layers are saved with ``nnumpy.io.save``
    (architecture + weights, reload with ``nnumpy.io.load``); models with
    user-defined layers with ``nnumpy.io.save_state`` (weights only, reload
    with ``nnumpy.io.load_state(model, path)``).

    ``path`` may name any epoch-log entry in ``str.format`` style, e.g.
    ``'model-{epoch:03d}-{val_loss:.3f}.safetensors'``.
    A model whose parameters hold NaN or infinity is never written, so an
    earlier file is never replaced by a broken one.

    Args:
        path: file to write (atomically).
        save_best_only: write only when ``monitor`` improves. Default: ``False``.
        monitor: epoch-log key for ``save_best_only``. Default: ``'val_loss'``.
        mode: ``'auto'``, ``'min'`` or ``'max'``. Default: ``'auto'``.

    Attributes:
        saved: list of ``(epoch, path)`` written during the last run.
    """

    writes_files = True

    def __init__(self, path, save_best_only: bool = False, *, monitor: str = "val_loss", mode: str = "auto") -> None:
        if not isinstance(path, (str, Path)):
            raise param_error("ModelCheckpoint", "path", "a str or pathlib.Path", path, TypeError)
        self.path = _check_template(str(path))
        self.save_best_only = check_bool("ModelCheckpoint", "save_best_only", save_best_only)
        super().__init__("ModelCheckpoint", monitor, mode, 0.0)
        self.saved: list[tuple[int, str]] = []

    def on_train_begin(self, state) -> None:
        self.reset()
        self.saved = []

    def on_epoch_end(self, state: TrainState) -> None:
        if self.save_best_only:
            value = _monitored_value("ModelCheckpoint", state, self.monitor)
            if not self.improved(value):
                return
            self.best = value
        if not params_finite(state.model):
            return
        try:
            path = self.path.format(**state.logs)
        except (KeyError, IndexError, AttributeError, ValueError) as e:
            raise ValueError(
                f"ModelCheckpoint path {self.path!r} names {e}, which this run's epoch logs do not hold; "
                f"they hold {sorted(state.logs)}."
            ) from None
        built_in = set(LAYERS.values())  # the classes nnumpy.io.save can rebuild; a subclass is not one of them
        if all(type(m) in built_in for m in state.model.modules()):
            save(state.model, path)
        else:  # user-defined layers cannot be rebuilt from a file: weights only
            save_state(state.model, path)
        self.saved.append((state.logs["epoch"], path))

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.best = float(state["best"])


def _is_scheduler(obj: Any) -> bool:
    return isinstance(obj, LRScheduler)


class LRSchedulerCallback(Callback):
    """Step a learning-rate scheduler once per epoch, after validation.

    ``ReduceLROnPlateau`` gets ``step(logs[monitor])``; ``monitor`` defaults to
    ``'val_loss'`` when fit has validation data and ``'loss'`` otherwise. Any
    other scheduler gets ``step()``. Passing the scheduler itself in
    ``callbacks`` wraps it in this class.

    Args:
        scheduler: an ``nnumpy.optim.lr_scheduler`` scheduler on fit's optimizer.
        monitor: epoch-log key for ``ReduceLROnPlateau``. Default: ``None`` (auto).
    """

    def __init__(self, scheduler, monitor: str | None = None) -> None:
        if not _is_scheduler(scheduler):
            raise TypeError(
                "LRSchedulerCallback expects a scheduler from nnumpy.optim.lr_scheduler (e.g. StepLR), "
                f"got {type(scheduler).__name__}."
            )
        if monitor is not None and not isinstance(monitor, str):
            raise param_error("LRSchedulerCallback", "monitor", "None or a str", monitor, TypeError)
        self.scheduler = scheduler
        self.monitor = monitor

    def on_epoch_end(self, state: TrainState) -> None:
        if isinstance(self.scheduler, ReduceLROnPlateau):
            monitor = self.monitor or ("val_loss" if "val_loss" in state.logs else "loss")
            self.scheduler.step(_monitored_value("LRSchedulerCallback", state, monitor))
        else:
            self.scheduler.step()


class TerminateOnNaN(Callback):
    """Stop at the first non-finite (NaN or ±inf) training loss, keeping the last good weights.

    fit checks every batch loss *before* backward and the optimizer step, so
    the bad batch never updates the weights, and no checkpoint is written
    afterwards. fit does this whether or not the callback is passed; pass one
    to read the report from its attributes.

    Attributes:
        value, epoch, step: the bad loss, its 1-based epoch and 1-based step
            (``None`` while no bad loss was seen).
        message: the report, also printed to stderr and stored in
            ``History.stop_reason``.
    """

    def __init__(self) -> None:
        self.value: float | None = None
        self.epoch: int | None = None
        self.step: int | None = None
        self.message: str | None = None

    def on_train_begin(self, state) -> None:
        self.__init__()

    def on_nonfinite(self, state: TrainState, value: float, message: str) -> None:
        """Called by fit with the bad loss (before any weight update)."""
        self.value = value
        self.epoch = state.epoch + 1
        self.step = state.step + 1
        self.message = message


class CSVLogger(Callback):
    """Write the history to a CSV file after every epoch (atomically: the file is always complete).

    Args:
        path: the CSV file.
        append: keep the rows already in ``path`` and add the new ones after them.
            Default: ``False`` (start a new file). A resumed fit writes its
            whole history (the earlier epochs included) either way.
    """

    writes_files = True

    def __init__(self, path, append: bool = False) -> None:
        if not isinstance(path, (str, Path)):
            raise param_error("CSVLogger", "path", "a str or pathlib.Path", path, TypeError)
        self.path = Path(path)
        self.append = check_bool("CSVLogger", "append", append)
        self._before: list[dict[str, Any]] = []

    def on_train_begin(self, state) -> None:
        self._before = History.from_csv(self.path).epochs if self.append and self.path.exists() else []

    def on_epoch_end(self, state: TrainState) -> None:
        History(self._before + state.history.epochs).to_csv(self.path)


def as_callbacks(callbacks, owner: str = "fit") -> list[Callback]:
    """Check ``callbacks``; wrap schedulers passed directly in :class:`LRSchedulerCallback`."""
    if isinstance(callbacks, (Callback, str, bytes)) or _is_scheduler(callbacks):
        raise TypeError(
            f"The 'callbacks' parameter of {owner} must be a list of Callback or scheduler objects. "
            f"Got a single {type(callbacks).__name__} instead: wrap it in a list."
        )
    try:
        items = list(callbacks)
    except TypeError:
        raise param_error(owner, "callbacks", "a list of Callback or scheduler objects", callbacks, TypeError) from None
    out: list[Callback] = []
    for i, cb in enumerate(items):
        if isinstance(cb, type):
            raise TypeError(f"callbacks[{i}] is the class {cb.__name__}, not an instance: use {cb.__name__}(...).")
        if isinstance(cb, Callback):
            out.append(cb)
        elif _is_scheduler(cb):
            out.append(LRSchedulerCallback(cb))
        else:
            raise TypeError(
                f"callbacks[{i}] must be an nnumpy.train.Callback or an nnumpy.optim.lr_scheduler scheduler, "
                f"got {type(cb).__name__}."
            )
    return out

