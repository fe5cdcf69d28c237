"""fit: check the arguments once, build the loaders and the TrainState, run the FitLoop."""

from __future__ import annotations

from typing import Any, Sequence

from .._random import as_generator
from .._validation import check_bool, check_int
from ..data import DataLoader
from ._callbacks import as_callbacks
from ._checks import (
    check_loss,
    check_metrics,
    check_model,
    check_monitors_have_val,
    check_optimizer,
    checkpoint_steps,
    find_scheduler,
    make_loader,
)
from ._history import History
from ._loop import FitLoop
from ._state import TrainState

__all__ = ["fit"]


def _train_loader(owner: str, train, batch_size: int, rng) -> DataLoader:
    """``train`` itself when it is a DataLoader (which brings its own rng), else a shuffling one seeded by ``rng``."""
    if not isinstance(train, DataLoader):
        return make_loader(owner, train, "train", batch_size, True, as_generator(rng, owner))
    if rng is not None:
        raise ValueError(
            f"{owner}: rng seeds the shuffling of (X, y) data; a DataLoader brings its own: "
            "pass rng to DataLoader(...)."
        )
    return train


def fit(model, loss_fn, optimizer, train, *, epochs: int, batch_size: int = 32, val=None,
        metrics: Sequence[str] = ("accuracy",), callbacks: Sequence[Any] = (), rng=None, progress: bool = True,
        verbose: bool = True, checkpoint=None, checkpoint_every: str | int = "epoch", resume=None) -> History:
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
    check_optimizer(owner, optimizer)
    epochs = check_int(owner, "epochs", epochs, ge=0)
    batch_size = check_int(owner, "batch_size", batch_size, ge=1)
    metric_names = check_metrics(owner, metrics)
    progress = check_bool(owner, "progress", progress)
    verbose = check_bool(owner, "verbose", verbose)
    steps_between = checkpoint_steps(owner, checkpoint, checkpoint_every, resume)
    callbacks = as_callbacks(callbacks, owner)
    scheduler = find_scheduler(owner, callbacks, optimizer, needed=checkpoint is not None or resume is not None)
    if val is None:
        check_monitors_have_val(callbacks)
    train_loader = _train_loader(owner, train, batch_size, rng)
    val_loader = None if val is None else make_loader(owner, val, "val", max(batch_size, 256), False, 0)
    state = TrainState(model, optimizer, loss_fn, History(), epochs)
    loop = FitLoop(state, train_loader, val_loader, callbacks, scheduler, want_accuracy="accuracy" in metric_names,
                   progress=progress, verbose=verbose, checkpoint=checkpoint, checkpoint_steps=steps_between)
    return loop.run(resume)
