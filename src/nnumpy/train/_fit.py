"""fit: check the arguments once, build the loaders and the TrainState, run the FitLoop."""

from __future__ import annotations

import contextlib
import hashlib
import math
from typing import Any, Sequence

import numpy as np

from .._random import as_generator
from .._validation import check_bool, check_float, check_int
from ..data import DataLoader, TensorDataset
from ._callbacks import as_callbacks
from ._distributed import data_parallel
from ._checks import (
    check_loss,
    check_metrics,
    check_model,
    check_monitors_have_val,
    check_optimizer,
    check_pair,
    checkpoint_steps,
    find_scheduler,
    make_loader,
)
from ._history import History
from ._loop import FitLoop
from ._state import TrainState

__all__ = ["fit"]


def _hold_out(owner: str, train, validation_split, val, gen: np.random.Generator):
    """Split ``validation_split`` of the ``(X, y)`` pair ``train`` off as validation data.

    The held-out samples are a random subset drawn from ``gen`` (fit's ``rng``),
    once, before any shuffling: a random subset rather than the last fraction,
    because data sets stored class by class (iris) would otherwise validate on
    one class only. Both parts keep the original order. Returns the training
    pair, the validation pair and a record of the split that a checkpoint keeps
    (a resumed run must hold out the same samples).
    """
    split = check_float(owner, "validation_split", validation_split, gt=0, lt=1)
    if val is not None:
        raise ValueError(
            f"{owner}: pass either val=(X_val, y_val) or validation_split={split!r}, not both "
            "(validation_split holds out part of the training data; val= brings its own)."
        )
    if isinstance(train, DataLoader):
        raise TypeError(
            f"{owner}: validation_split holds out part of (X, y) arrays; with a DataLoader as training data "
            "pass val=DataLoader(...) of the validation data instead."
        )
    if not isinstance(train, (tuple, list)):
        raise TypeError(f"{owner}: train must be an (X, y) tuple or an nnumpy.data.DataLoader, got {type(train).__name__}.")
    X, y = check_pair(owner, train, "train")
    n = X.shape[0]
    n_val = math.ceil(split * n)  # scikit-learn's train_test_split rounds the test part up too
    if n_val >= n:
        raise ValueError(
            f"{owner}: validation_split={split!r} of {n} samples holds out {n_val}, leaving nothing to train on: "
            "use a smaller fraction or more data."
        )
    order = gen.permutation(n)
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    record = {"validation_split": split, "samples": n, "held_out": n_val,
              "digest": hashlib.sha256(val_idx.astype(np.int64).tobytes()).hexdigest()}
    return (X[train_idx], y[train_idx]), (X[val_idx], y[val_idx]), record


def _train_loader(owner: str, train, batch_size: int, rng, checked: bool = False) -> DataLoader:
    """``train`` itself when it is a DataLoader (which brings its own rng), else a shuffling one seeded by ``rng``."""
    if checked:  # arrays already checked by _hold_out
        return DataLoader(TensorDataset(*train), batch_size=batch_size, shuffle=True, rng=rng)
    if not isinstance(train, DataLoader):
        return make_loader(owner, train, "train", batch_size, True, as_generator(rng, owner))
    if rng is not None:
        raise ValueError(
            f"{owner}: rng seeds the shuffling of (X, y) data; a DataLoader brings its own: "
            "pass rng to DataLoader(...)."
        )
    return train


def fit(model, loss_fn, optimizer, train, *, epochs: int, batch_size: int = 32, val=None, validation_split=None,
        metrics: Sequence[str] = ("accuracy",), callbacks: Sequence[Any] = (), rng=None, progress: bool = True,
        verbose: bool = True, checkpoint=None, checkpoint_every: str | int = "epoch", resume=None,
        distributed: bool | None = None) -> History:
    """Train ``model`` by mini-batch gradient descent: per batch θ ← step(θ, ∂loss/∂θ).

    Each epoch visits the training set once in a fresh random order (batch by
    batch: zero_grad, forward, loss, backward, optimizer step), then evaluates
    the validation data (``val``, or the part ``validation_split`` held out) in
    eval mode, records one :class:`History` row (``loss``,
    metrics, ``val_*``, ``lr`` of the first parameter group during the epoch,
    ``time`` in seconds), calls the callbacks and prints one line such as
    ``epoch 3/10  loss 0.2314  acc 0.9312  val_loss 0.2511  val_acc 0.9270  lr 0.5  4.1s``.

    Training stops at the first non-finite batch loss, *before* that batch
    updates the weights: the model keeps the weights of the last step, the
    report (epoch and step) goes to stderr and ``History.stop_reason``, and no
    checkpoint is written afterwards. When that last step itself made the
    weights NaN or infinite (an overflowing update, e.g. a huge learning
    rate), the report says so instead of "weights kept".

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
        validation_split: hold out this fraction of the ``(X, y)`` training
            data (rounded up to whole samples) as validation data instead of
            passing ``val``: a random subset drawn once from ``rng``, before
            any shuffling, so the same seed holds out the same samples (a
            resumed run checks that it does). Keep the test set for the end.
            A float in (0, 1), or ``None``. Default: ``None``.
        metrics: metric names: ``'accuracy'``, ``'top<k>_accuracy'`` (e.g.
            ``'top5_accuracy'``), ``'precision'``, ``'recall'``, ``'f1'``
            (macro averages, equal to scikit-learn's). Each becomes a History
            column, and a ``val_`` one with validation data; a metric the
            outputs do not allow (regression) is left out. Default: ``('accuracy',)``.
        callbacks: ``Callback`` objects and/or schedulers from
            ``nnumpy.optim.lr_scheduler`` (stepped once per epoch). Default: ``()``.
        rng: seed or Generator for the shuffling of ``(X, y)`` data (a
            ``DataLoader`` brings its own) and for ``validation_split``.
            Default: ``None`` (not reproducible).
        progress: show a progress bar (one, restarted each epoch) when tqdm is installed: the
            notebook widget under a Jupyter kernel (with ipywidgets), the
            terminal bar when stderr is a terminal, nothing otherwise (logs,
            pipes). ``False``: never. Default: ``True``.
        verbose: print the per-epoch line (stdout) and notices (stderr). Default: ``True``.
        checkpoint: path kept as the latest checkpoint (``nnumpy.io`` format,
            written atomically), or ``None``. Default: ``None``.
        checkpoint_every: ``'epoch'`` or a number of optimizer steps, >= 1.
            The final state is also written when training ends. Default: ``'epoch'``.
        resume: a checkpoint written by ``fit(checkpoint=...)`` to continue
            from; pass freshly built model/optimizer/callbacks/data of the same
            configuration. Default: ``None``.
        distributed: train data-parallel over MPI (``nnumpy.distributed``,
            ``docs/distributed.md``): every rank starts from rank 0's weights,
            takes its shard of each epoch's order in batches of ``batch_size``
            (per rank: the global batch is N·``batch_size``), and the
            gradients are all-reduced every step; the History holds the sums
            of all ranks; only rank 0 prints, shows progress and writes the
            checkpoint; the validation data is evaluated whole on every rank.
            ``None``: data-parallel when a launcher (``mpiexec``, ``srun``)
            started more than one process. Default: ``None``.

    Shape:
        ``X (N, *)`` as the model takes it; ``y (N,)`` class indices, or
        ``(N, C)`` / ``(N, 1)`` targets of the model's output shape.

    Returns:
        The :class:`History` (for a resumed run, including the earlier epochs).

    Example:
        >>> import numpy as np
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
    check_model(owner, model)
    loss_fn = check_loss(owner, loss_fn, required=True)
    check_optimizer(owner, optimizer, model)
    epochs = check_int(owner, "epochs", epochs, ge=0)
    batch_size = check_int(owner, "batch_size", batch_size, ge=1)
    spec = check_metrics(owner, metrics)
    progress = check_bool(owner, "progress", progress)
    verbose = check_bool(owner, "verbose", verbose)
    steps_between = checkpoint_steps(owner, checkpoint, checkpoint_every, resume)
    callbacks = as_callbacks(callbacks, owner)
    scheduler = find_scheduler(owner, callbacks, optimizer, needed=checkpoint is not None or resume is not None)
    if val is None and validation_split is None:
        check_monitors_have_val(callbacks)
    parallel = data_parallel(owner, distributed)
    if parallel is not None:  # rank 0 alone talks; every rank draws the same permutations
        rng = parallel.shared_rng(owner, rng)
        progress, verbose = progress and parallel.is_main, verbose and parallel.is_main
        callbacks = [cb for cb in callbacks if parallel.is_main or not cb.writes_files]
    record = None
    if validation_split is not None:
        gen = as_generator(rng, owner)
        train, val, record = _hold_out(owner, train, validation_split, val, gen)
        train_loader = _train_loader(owner, train, batch_size, gen, checked=True)
        val_loader = DataLoader(TensorDataset(*val), batch_size=max(batch_size, 256))
    else:
        train_loader = _train_loader(owner, train, batch_size, rng)
        val_loader = None if val is None else make_loader(owner, val, "val", max(batch_size, 256), False, 0)
    state = TrainState(model, optimizer, loss_fn, History(), epochs)
    with contextlib.nullcontext() if parallel is None else parallel.guard(owner):
        if parallel is not None:
            train_loader = parallel.shard(owner, train_loader, given=isinstance(train, DataLoader))
            parallel.start(model)
        loop = FitLoop(state, train_loader, val_loader, callbacks, scheduler, spec=spec, progress=progress,
                       verbose=verbose, checkpoint=checkpoint, checkpoint_steps=steps_between, validation=record,
                       parallel=parallel)
        return loop.run(resume)
