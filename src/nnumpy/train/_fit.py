"""fit and evaluate: the training loop around Module / Loss / Optimizer.

Per batch fit does only what a hand-written loop does (zero_grad, forward,
loss, backward, step) plus O(1) bookkeeping: the batch loss is added to a
float, correct predictions are counted with one arg-max, and the progress bar
(if any) redraws at most every 0.1 s.

Exact resume: a checkpoint holds the model, the optimizer (step counts and
buffers), the scheduler, the DataLoader's position and RNG state (the epoch's
permutation is regenerated from the RNG state saved at the epoch's start), the
RNG state of every module that draws random numbers (Dropout's ``rng``), the
history, the partial sums of an interrupted epoch and the callbacks' counters.
Restoring all of them and continuing at the saved batch replays the same
floating-point operations, so the final weights are bit-identical to an
uninterrupted run.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import numbers
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._random import as_generator
from .._validation import check_bool, check_int, param_error
from ..data import DataLoader, TensorDataset
from ..nn import Module
from ._callbacks import (
    Callback,
    LRSchedulerCallback,
    TerminateOnNaN,
    TrainState,
    as_callbacks,
    params_finite,
    report,
)
from ._history import History, format_row
from ._metrics import METRICS, Scorer, confusion_matrix
from ._progress import make_bar

__all__ = ["fit", "evaluate"]

_CHECKPOINT_FORMAT = 1  # version of the fit-specific entries stored in the checkpoint's ``extra``


# ---------------------------------------------------------------------- input checks
def _check_model(owner: str, model) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f"{owner} expects an nnumpy.nn.Module as model, got {type(model).__name__}.")
    return model


def _check_loss(owner: str, loss_fn, required: bool):
    if loss_fn is None and not required:
        return None
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


#: Elements per block of the finiteness check: its boolean temporary stays ~1 MB instead of
#: one byte per element of the data set (47 MB for 60,000 MNIST images).
_FINITE_BLOCK = 1 << 20


def _check_finite(owner: str, arr: np.ndarray, label: str) -> None:
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


def _arrays(owner: str, data, label: str) -> tuple[np.ndarray, np.ndarray]:
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
    _check_finite(owner, X, f"{label} X")
    _check_finite(owner, y, f"{label} y")
    return X, y


def _loader(owner: str, data, label: str, batch_size: int, shuffle: bool, rng) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)):
        X, y = _arrays(owner, data, label)
        return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle, rng=rng)
    raise TypeError(
        f"{owner}: {label} must be an (X, y) tuple or an nnumpy.data.DataLoader, got {type(data).__name__}."
    )


def _targets(loader: DataLoader) -> np.ndarray | None:
    """The whole target array when the loader reads a TensorDataset(X, y), else None."""
    ds = loader.dataset
    return ds.arrays[-1] if isinstance(ds, TensorDataset) and len(ds.arrays) >= 2 else None


def _check_labels(owner: str, loss_fn, width: int, loaders: Sequence[tuple[str, DataLoader]]) -> None:
    """Class indices of the whole data set must fit the model's output width (checked once, up front),
    so a bad label fails before the first epoch rather than in the middle of one."""
    if type(loss_fn).__name__ not in ("CrossEntropyLoss", "NLLLoss"):
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


def _check_metrics(owner: str, metrics) -> tuple[str, ...]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    try:
        names = tuple(metrics)
    except TypeError:
        expected = "a sequence of metric names such as ('accuracy',)"
        raise param_error(owner, "metrics", expected, metrics, TypeError) from None
    for name in names:
        if name not in METRICS:
            raise ValueError(f"{owner}: unknown metric {name!r}; available metrics: {list(METRICS)}.")
    return names


# ---------------------------------------------------------------------- modes and RNG state
def _modes(model: Module) -> list[tuple[Module, bool]]:
    return [(m, m.training) for m in model.modules()]


def _restore_modes(saved: list[tuple[Module, bool]]) -> None:
    for m, mode in saved:
        object.__setattr__(m, "training", mode)


def _backward_without_input_grad(model: Module):
    """``model.backward``, told to skip dL/dx of the first layer when it can (fit never uses it)."""
    try:
        params = inspect.signature(model.backward).parameters
    except (TypeError, ValueError):
        return model.backward
    if "input_grad" in params:
        return functools.partial(model.backward, input_grad=False)
    return model.backward


def _random_modules(model: Module) -> list[tuple[str, Any]]:
    """Modules drawing random numbers from their own Generator (Dropout's ``rng``)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(getattr(m, "rng", None), np.random.Generator)]


# ---------------------------------------------------------------------- evaluation
def _eval_pass(model, loader, loss_fn, scorer: Scorer | None, confusion: bool):
    """One pass over ``loader`` in eval mode (each module's mode is restored after):
    ``(loss_sum, seen, correct, counted, confusion matrix or None)``."""
    loss_sum, seen, correct, counted, matrix = 0.0, 0, 0, 0, None
    saved = _modes(model)
    model.eval()
    try:
        for xb, yb in loader:
            out = model(xb)
            n = yb.shape[0]
            if loss_fn is not None:
                loss_sum += float(loss_fn(out, yb)) * n
            seen += n
            if scorer is None:
                scorer = Scorer.for_loss(loss_fn, out, yb)
            if scorer.kind is not None:
                c, k = scorer.tally([scorer.batch_pred(out)], [yb])
                correct, counted = correct + c, counted + k
                if confusion and scorer.has_confusion(out, yb):
                    m = confusion_matrix(scorer.labels(yb), scorer.predict(out), scorer.num_classes(out))
                    matrix = m if matrix is None else matrix + m
    finally:
        _restore_modes(saved)
    return loss_sum, seen, correct, counted, matrix


def evaluate(model, data, loss_fn=None, *, batch_size: int = 256) -> dict[str, Any]:
    """Loss, accuracy and confusion matrix of ``model`` on ``data``, in eval mode.

    The model runs in ``eval()`` mode (Dropout off, BatchNorm on running
    statistics); every module's previous mode is restored afterwards. The loss
    is the sample-weighted mean of the batch losses. How outputs become class
    predictions follows the loss type (see :mod:`nnumpy.train._metrics`); with
    no loss, single-column outputs count as probabilities when they lie in
    [0, 1] and as logits otherwise.

    Args:
        model: the ``Module`` to evaluate.
        data: an ``(X, y)`` pair or a ``DataLoader``.
        loss_fn: a loss to report, or ``None``. Default: ``None``.
        batch_size: batch size for an ``(X, y)`` pair, >= 1. Default: ``256``.

    Shape:
        ``X (N, *)``; ``y (N,)`` class indices or targets of the output's shape.

    Returns:
        ``{'n': samples, 'loss': float (with loss_fn), 'accuracy': float and
        'confusion_matrix': (C, C) int array (classification outputs)}``.
        Rows of the confusion matrix are true classes, columns predictions.

    Example:
        >>> from nnumpy import nn
        >>> model = nn.Linear(2, 2, rng=0)
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([0, 1])
        >>> sorted(evaluate(model, (X, y), nn.CrossEntropyLoss()))
        ['accuracy', 'confusion_matrix', 'loss', 'n']
    """
    owner = "evaluate"
    _check_model(owner, model)
    loss_fn = _check_loss(owner, loss_fn, required=False)
    batch_size = check_int(owner, "batch_size", batch_size, ge=1)
    loader = _loader(owner, data, "data", batch_size, False, 0)
    loss_sum, seen, correct, counted, matrix = _eval_pass(model, loader, loss_fn, None, True)
    result: dict[str, Any] = {"n": seen}
    if loss_fn is not None:
        result["loss"] = loss_sum / seen
    if counted:
        result["accuracy"] = correct / counted
    if matrix is not None:
        result["confusion_matrix"] = matrix
    return result


# ---------------------------------------------------------------------- fit
class _Run:
    """Where training is: what goes into a checkpoint besides the objects' own states."""

    _PARTIAL = ("batch", "loss_sum", "seen", "correct", "counted", "elapsed")

    def __init__(self) -> None:
        self.epoch = 0  # epochs completed
        self.step = 0  # optimizer steps in total
        # Sums over the epoch now running (an interrupted epoch resumes them).
        self.batch = 0
        self.loss_sum = 0.0
        self.seen = 0
        self.correct = 0
        self.counted = 0
        self.elapsed = 0.0  # seconds

    def partial(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._PARTIAL}

    def load_partial(self, partial: dict[str, Any]) -> None:
        for key in self._PARTIAL:
            setattr(self, key, type(getattr(self, key))(partial[key]))

    def next_epoch(self) -> None:
        self.epoch += 1
        self.batch, self.loss_sum, self.seen, self.correct, self.counted, self.elapsed = 0, 0.0, 0, 0, 0, 0.0


def _scheduler(callbacks: list[Callback], optimizer, owner: str, needed: bool):
    """The scheduler among the callbacks (the checkpoint holds one), checked against the optimizer."""
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


def _lr(optimizer) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups and "lr" in groups[0] else float("nan")


class _Trainer:
    """One call of fit: the objects, the position (:class:`_Run`) and the loop."""

    owner = "fit"

    def __init__(self, model, loss_fn, optimizer, train_loader, val_loader, callbacks, scheduler, *, epochs,
                 want_acc, progress, verbose, checkpoint, every) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_loader, self.val_loader = train_loader, val_loader
        self.callbacks, self.scheduler = callbacks, scheduler
        self.epochs, self.progress, self.verbose = epochs, progress, verbose
        self.checkpoint, self.every = checkpoint, every
        self.scorer: Scorer | None = None if want_acc else Scorer(None)  # chosen on the first batch
        self.backward = _backward_without_input_grad(model)
        self.rand_mods = _random_modules(model)
        self.nan_cbs = [cb for cb in callbacks if isinstance(cb, TerminateOnNaN)]
        self.batch_cbs = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        self.run = _Run()
        self.history = History()
        self.state = TrainState(model, optimizer, loss_fn, self.history, epochs)
        self.labels_checked = False
        self.nonfinite = False
        self.last_saved: tuple[int, int] | None = None

    # ------------------------------------------------------------------ the run
    def fit(self, resume) -> History:
        state, run = self.state, self.run
        for cb in self.callbacks:
            cb.on_train_begin(state)
        if resume is not None:
            self.resume(resume)
        while run.epoch < self.epochs and not state.stop_training:
            if not self.train_epoch():
                break  # stopped inside the epoch: no row for a partial epoch
            self.end_epoch()
        if not self.nonfinite:
            self.save()  # the final state, for a later resume with more epochs
        self.history.stop_reason = state.stop_reason
        for cb in self.callbacks:
            cb.on_train_end(state)
        return self.history

    def train_epoch(self) -> bool:
        """Run the rest of the current epoch; True when its last batch is done."""
        model, loss_fn, run, state = self.model, self.loss_fn, self.run, self.state
        model.train()
        state.epoch, state.batch = run.epoch, run.batch
        self.lr = _lr(self.optimizer)
        for cb in self.callbacks:
            cb.on_epoch_begin(state)
        if state.stop_training:
            return False
        n_batches = len(self.train_loader)
        t0 = time.perf_counter()
        bar = make_bar(self.progress, n_batches, f"epoch {run.epoch + 1}/{self.epochs}")
        # The hot loop works on locals and writes them back to ``run`` when someone looks.
        forward, backward = model.__call__, self.backward
        step, zero_grad = self.optimizer.step, self.optimizer.zero_grad
        batch_cbs, every, isfinite = self.batch_cbs, self.every, math.isfinite
        loss_sum, seen, batch, gstep = run.loss_sum, run.seen, run.batch, run.step
        preds: list[np.ndarray] = []  # per-batch predictions, compared with the targets in one go
        targets: list[np.ndarray] = []
        scorer = self.scorer

        def sync() -> None:
            correct, counted = scorer.tally(preds, targets) if preds else (0, 0)
            run.correct += correct
            run.counted += counted
            run.loss_sum, run.seen, run.batch, run.step = loss_sum, seen, batch, gstep
            state.step, state.batch = gstep, batch

        # A checkpoint taken right after the epoch's last batch has nothing left to iterate.
        batches = self.train_loader if batch < n_batches else ()
        try:
            for xb, yb in batches:
                zero_grad()
                out = forward(xb)
                if not self.labels_checked:
                    self.check_labels(out)
                loss = loss_fn(out, yb)
                if not isfinite(loss):
                    sync()
                    self.stop_nonfinite(loss, n_batches)
                    break
                backward(loss_fn.backward())
                step()
                n = yb.shape[0]
                loss_sum += loss * n
                seen += n
                if scorer is None:
                    scorer = self.scorer = Scorer.for_loss(loss_fn, out, yb)
                if scorer.kind is not None:
                    preds.append(scorer.batch_pred(out))
                    targets.append(yb)
                batch += 1
                gstep += 1
                if bar is not None and bar.due():
                    sync()
                    bar.update(loss_sum, seen, run.correct, run.counted)
                if batch_cbs or every:
                    sync()
                    state.loss = float(loss)
                    for cb in batch_cbs:
                        cb.on_batch_end(state)
                    if every and gstep % every == 0:
                        run.elapsed += time.perf_counter() - t0
                        t0 = time.perf_counter()
                        self.save()
                    if state.stop_training:
                        break
        finally:
            if bar is not None:
                bar.close()
        sync()
        run.elapsed += time.perf_counter() - t0
        return run.batch == n_batches

    def end_epoch(self) -> None:
        """Validate, record the epoch's row, call the callbacks, print, checkpoint."""
        run, state, model = self.run, self.state, self.model
        row: dict[str, Any] = {"epoch": run.epoch + 1, "loss": run.loss_sum / run.seen}
        if run.counted:
            row["accuracy"] = run.correct / run.counted
        if self.val_loader is not None:
            v_loss, v_seen, v_correct, v_counted, _ = _eval_pass(
                model, self.val_loader, self.loss_fn, self.scorer, False)
            row["val_loss"] = v_loss / v_seen
            if run.counted and v_counted:
                row["val_accuracy"] = v_correct / v_counted
        row["lr"] = self.lr
        row["time"] = run.elapsed
        self.history.append(row)
        state.logs = dict(row)
        run.next_epoch()
        for cb in self.callbacks:
            cb.on_epoch_end(state)
        if self.verbose:
            print(format_row(row, self.epochs), flush=True)
        if not self.every:
            self.save()

    def check_labels(self, out: np.ndarray) -> None:
        """Once, on the first batch's output: every label of the data fits the output width."""
        self.labels_checked = True
        if out.ndim == 2:
            loaders = [("train", self.train_loader)] + ([("val", self.val_loader)] if self.val_loader else [])
            _check_labels(self.owner, self.loss_fn, out.shape[1], loaders)

    def stop_nonfinite(self, loss, n_batches: int) -> None:
        """Report a NaN/inf batch loss (seen before backward and step) and stop."""
        state = self.state
        msg = (f"non-finite loss {loss} at epoch {state.epoch + 1} step {state.step + 1} "
               f"(batch {state.batch + 1}/{n_batches}); weights kept from the last good step")
        for cb in self.nan_cbs:
            cb.on_nonfinite(state, float(loss), msg)
        self.nonfinite = True
        state.stop(msg)
        report(f"{self.owner}: {msg}", self.verbose)

    # ------------------------------------------------------------------ checkpoints
    def save(self) -> None:
        """Write the checkpoint (atomically) unless this position is already saved or the weights are not finite."""
        run = self.run
        if self.checkpoint is None or (run.epoch, run.batch) == self.last_saved:
            return
        if not params_finite(self.model):
            report(f"{self.owner}: parameters are not finite; checkpoint {self.checkpoint} not written.", self.verbose)
            return
        from .. import io

        rng_state = {
            "loader": self.train_loader.state_dict(),
            "modules": {name: copy.deepcopy(m.rng.bit_generator.state) for name, m in self.rand_mods},
        }
        extra = {
            "fit": {
                "format": _CHECKPOINT_FORMAT,
                "epochs": self.epochs,
                "partial": run.partial(),
                "callbacks": [{"type": type(cb).__name__, "state": cb.state_dict()} for cb in self.callbacks],
            }
        }
        io.save_checkpoint(
            self.checkpoint, model=self.model, optimizer=self.optimizer, scheduler=self.scheduler,
            history=self.history.to_dict(), epoch=run.epoch, step=run.step, rng_state=rng_state, extra=extra,
        )
        self.last_saved = (run.epoch, run.batch)

    def resume(self, path) -> None:
        """Restore everything :meth:`save` wrote into this trainer's (fresh) objects."""
        from .. import io

        owner = self.owner
        ckpt = io.load_checkpoint(path)
        extra = (ckpt.extra or {}).get("fit")
        rng_state = ckpt.rng_state or {}
        if extra is None or "loader" not in rng_state:
            raise ValueError(f"{owner}: {path} was not written by fit(checkpoint=...), so it cannot be resumed.")
        if (self.scheduler is None) != (ckpt.scheduler_state is None):
            raise ValueError(
                f"{owner}: {path} was saved {'with' if ckpt.scheduler_state is not None else 'without'} a "
                f"learning-rate scheduler, but this call has {'one' if self.scheduler is not None else 'none'}: "
                "pass the same callbacks as the interrupted run."
            )
        ckpt.restore(self.model, self.optimizer, self.scheduler)
        self.train_loader.load_state_dict(rng_state["loader"])
        saved_mods = rng_state.get("modules", {})
        for name, m in self.rand_mods:
            if name not in saved_mods:
                raise ValueError(f"{owner}: {path} holds no RNG state for module {name!r} ({type(m).__name__}).")
            m.rng.bit_generator.state = saved_mods[name]
        # Callback counters go back to the callbacks of the same type, in order; others start fresh.
        saved_cbs: dict[str, list] = {}
        for entry in extra.get("callbacks", []):
            saved_cbs.setdefault(entry["type"], []).append(entry["state"])
        for cb in self.callbacks:
            queue = saved_cbs.get(type(cb).__name__)
            if queue:
                cb.load_state_dict(queue.pop(0))
        run = self.run
        run.epoch, run.step = int(ckpt.epoch), int(ckpt.step)
        run.load_partial(extra["partial"])
        self.history = History.from_dict(ckpt.history or {})
        self.state.history, self.state.step = self.history, run.step
        self.state.logs = dict(self.history.epochs[-1]) if self.history.epochs else {}
        self.last_saved = (run.epoch, run.batch)


def _checkpoint_every(owner: str, value) -> int:
    """0 for ``'epoch'``, else the number of steps."""
    if value == "epoch":
        return 0
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1:
        return int(value)
    exc = ValueError if isinstance(value, (str, numbers.Integral)) and not isinstance(value, bool) else TypeError
    raise param_error(owner, "checkpoint_every", "'epoch' or an int >= 1 (optimizer steps)", value, exc)


def fit(
    model,
    loss_fn,
    optimizer,
    train,
    *,
    epochs: int,
    batch_size: int = 32,
    val=None,
    metrics: Sequence[str] = ("accuracy",),
    callbacks: Sequence[Any] = (),
    rng=None,
    progress: bool = True,
    verbose: bool = True,
    checkpoint=None,
    checkpoint_every: str | int = "epoch",
    resume=None,
) -> History:
    """Train ``model`` by mini-batch gradient descent: per batch θ ← step(θ, ∂loss/∂θ).

    Each epoch visits the training set once in a fresh random order (batch by
    batch: zero_grad, forward, loss, backward, optimizer step), then evaluates
    on ``val`` in eval mode, records one :class:`History` row (``loss``,
    metrics, ``val_*``, ``lr`` of the first parameter group during the epoch,
    ``time`` in seconds), calls the callbacks and prints one line such as
    ``epoch 3/10  loss 0.2314  acc 0.9312  val_loss 0.2511  val_acc 0.9270  lr 0.5  4.1s``.

    Training stops at the first non-finite batch loss, *before* that batch
    updates the weights: the model keeps the last good weights, the report
    (epoch and step) goes to stderr and ``History.stop_reason``, and no
    checkpoint is written afterwards.

    Args:
        model: the ``Module`` to train (left in the train/eval mode it had).
        loss_fn: a loss with reduction 'mean' or 'sum', e.g. ``nn.CrossEntropyLoss()``.
        optimizer: an ``nnumpy.optim`` optimizer over the model's parameters.
        train: ``(X, y)`` arrays or a ``DataLoader``. Arrays are batched by a
            shuffling ``DataLoader`` seeded by ``rng``.
        epochs: total number of epochs, >= 0 (with ``resume``: in total, the
            epochs already done included).
        batch_size: samples per batch for ``(X, y)`` data, >= 1. Default: ``32``.
        val: validation ``(X, y)`` (evaluated in batches of ``max(batch_size, 256)``)
            or ``DataLoader``, or ``None``. Default: ``None``.
        metrics: metric names; ``'accuracy'`` is the only one and is left out
            for single-output regression. Default: ``('accuracy',)``.
        callbacks: ``Callback`` objects and/or schedulers from
            ``nnumpy.optim.lr_scheduler`` (stepped once per epoch). Default: ``()``.
        rng: seed or Generator for the shuffling of ``(X, y)`` data (a
            ``DataLoader`` brings its own). Default: ``None`` (not reproducible).
        progress: show a tqdm bar per epoch when stderr is a terminal and tqdm
            is installed. Default: ``True``.
        verbose: print the per-epoch line (stdout) and notices (stderr). Default: ``True``.
        checkpoint: path kept as the latest checkpoint (``nnumpy.io`` format,
            written atomically), or ``None``. Default: ``None``.
        checkpoint_every: ``'epoch'`` or a number of optimizer steps, >= 1.
            The final state is also written when training ends. Default: ``'epoch'``.
        resume: a checkpoint written by ``fit(checkpoint=...)`` to continue
            from; pass freshly built model/optimizer/callbacks/data of the same
            configuration. Default: ``None``.

    Shape:
        ``X (N, *)`` as the model takes it; ``y (N,)`` class indices, or
        ``(N, C)`` / ``(N, 1)`` targets of the model's output shape.

    Returns:
        The :class:`History` (for a resumed run, including the earlier epochs).

    Example:
        >>> from nnumpy import nn, optim
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32); y = np.array([0, 1, 1, 0])
        >>> model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 2, rng=1))
        >>> opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        >>> h = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=300, batch_size=4, rng=0,
        ...         progress=False, verbose=False)
        >>> h["accuracy"][-1]
        1.0
    """
    owner = "fit"
    _check_model(owner, model)
    loss_fn = _check_loss(owner, loss_fn, required=True)
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(
            f"{owner} expects an optimizer such as nnumpy.optim.SGD (with step() and zero_grad()), "
            f"got {type(optimizer).__name__}."
        )
    epochs = check_int(owner, "epochs", epochs, ge=0)
    batch_size = check_int(owner, "batch_size", batch_size, ge=1)
    metric_names = _check_metrics(owner, metrics)
    progress = check_bool(owner, "progress", progress)
    verbose = check_bool(owner, "verbose", verbose)
    every = _checkpoint_every(owner, checkpoint_every)
    for name, value in (("checkpoint", checkpoint), ("resume", resume)):
        if value is not None and not isinstance(value, (str, Path)):
            raise param_error(owner, name, "None, a str or a pathlib.Path", value, TypeError)
    if checkpoint is None and every:
        raise ValueError(f"{owner}: checkpoint_every={checkpoint_every!r} needs checkpoint=PATH to write to.")
    if resume is not None and not Path(resume).exists():
        raise FileNotFoundError(f"{owner}: no checkpoint to resume at {str(resume)!r}.")
    callbacks = as_callbacks(callbacks, owner)
    scheduler = _scheduler(callbacks, optimizer, owner, needed=checkpoint is not None or resume is not None)
    if val is None:
        for cb in callbacks:
            monitor = getattr(cb, "monitor", None)
            if isinstance(monitor, str) and monitor.startswith("val_") and getattr(cb, "save_best_only", True):
                raise ValueError(
                    f"{type(cb).__name__} monitors {monitor!r}, but fit has no validation data: "
                    f"pass val=(X_val, y_val) or monitor {monitor[4:]!r}."
                )
    if isinstance(train, DataLoader):
        if rng is not None:
            raise ValueError(
                f"{owner}: rng seeds the shuffling of (X, y) data; a DataLoader brings its own: "
                "pass rng to DataLoader(...)."
            )
        train_loader = train
    else:
        train_loader = _loader(owner, train, "train", batch_size, True, as_generator(rng, owner))
    val_loader = None if val is None else _loader(owner, val, "val", max(batch_size, 256), False, 0)

    trainer = _Trainer(
        model, loss_fn, optimizer, train_loader, val_loader, callbacks, scheduler, epochs=epochs,
        want_acc="accuracy" in metric_names, progress=progress, verbose=verbose, checkpoint=checkpoint, every=every,
    )
    saved_modes = _modes(model)
    try:
        return trainer.fit(resume)
    finally:
        _restore_modes(saved_modes)
