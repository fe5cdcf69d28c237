"""evaluate, and the eval-mode pass over a loader that fit's validation shares with it."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, NamedTuple

import numpy as np

from .._validation import check_int
from ._checks import check_loss, check_model, make_loader
from ._metrics import Scorer, confusion_matrix

__all__ = ["evaluate", "evaluation_pass", "preserved_modes", "Totals"]


@contextlib.contextmanager
def preserved_modes(model) -> Iterator[None]:
    """Put every module of ``model`` back in the train/eval mode it had on entry."""
    saved = [(m, m.training) for m in model.modules()]
    try:
        yield
    finally:
        for m, mode in saved:
            object.__setattr__(m, "training", mode)  # as Module.train sets it


class Totals(NamedTuple):
    """Sums over one pass: the loss (times batch size), samples, correct and counted predictions."""

    loss_sum: float
    seen: int
    correct: int
    counted: int
    confusion: np.ndarray | None


def evaluation_pass(model, loader, loss_fn, scorer: Scorer | None, *, confusion: bool) -> Totals:
    """One pass over ``loader`` in eval mode (each module's mode is restored after).

    ``scorer=None`` chooses the prediction rule from the first batch; the
    confusion matrix is summed only with ``confusion=True``.
    """
    loss_sum, seen, correct, counted, matrix = 0.0, 0, 0, 0, None
    with preserved_modes(model):
        model.eval()
        for xb, yb in loader:
            out = model(xb)
            n = yb.shape[0]
            if loss_fn is not None:
                loss_sum += float(loss_fn(out, yb)) * n
            seen += n
            if scorer is None:
                scorer = Scorer.for_loss(loss_fn, out, yb)
            if scorer.kind is None:
                continue
            c, k = scorer.count_correct([scorer.predictions(out)], [yb])
            correct, counted = correct + c, counted + k
            if confusion and scorer.has_confusion_matrix(out, yb):
                m = confusion_matrix(scorer.true_classes(yb), scorer.predicted_classes(out), scorer.num_classes(out))
                matrix = m if matrix is None else matrix + m
    return Totals(loss_sum, seen, correct, counted, matrix)


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
    check_model(owner, model)
    loss_fn = check_loss(owner, loss_fn, required=False)
    batch_size = check_int(owner, "batch_size", batch_size, ge=1)
    loader = make_loader(owner, data, "data", batch_size, False, 0)
    totals = evaluation_pass(model, loader, loss_fn, None, confusion=True)
    result: dict[str, Any] = {"n": totals.seen}
    if loss_fn is not None:
        result["loss"] = totals.loss_sum / totals.seen
    if totals.counted:
        result["accuracy"] = totals.correct / totals.counted
    if totals.confusion is not None:
        result["confusion_matrix"] = totals.confusion
    return result
