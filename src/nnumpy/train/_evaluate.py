"""evaluate, and the eval-mode pass over a loader that fit's validation shares with it."""

from __future__ import annotations

import contextlib
from typing import Iterator, NamedTuple, Sequence

import numpy as np  # noqa: F401  (the doctest uses np)

from .._validation import check_int
from ._checks import check_class_names, check_loss, check_metrics, check_model, make_loader
from ._metrics import (
    NO_COUNTS,
    Counts,
    MetricSpec,
    Scorer,
    check_zero_division,
    metric_values,
    scores_from_confusion,
)
from ._results import EvaluationResult

__all__ = ["evaluate", "evaluation_pass", "preserved_modes", "Totals", "EvaluationResult"]


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
    """Sums over one pass: the loss (times batch size), the samples, and the prediction :class:`Counts`."""

    loss_sum: float
    seen: int
    counts: Counts


def evaluation_pass(model, loader, loss_fn, scorer: Scorer | None, spec: MetricSpec, *, confusion: bool) -> Totals:
    """One pass over ``loader`` in eval mode (each module's mode is restored after).

    ``scorer=None`` chooses the prediction rule from the first batch (with the
    counts ``spec`` asks for); ``confusion=True`` sums the confusion matrix in any case.
    """
    loss_sum, seen, counts = 0.0, 0, NO_COUNTS
    with preserved_modes(model):
        model.eval()
        for xb, yb in loader:
            out = model(xb)
            n = yb.shape[0]
            if loss_fn is not None:
                loss_sum += float(loss_fn(out, yb)) * n
            seen += n
            if scorer is None:
                scorer = Scorer.for_loss(loss_fn, out, yb, spec, confusion=confusion)
            if scorer.kind is not None:
                counts = counts.merged(scorer.count([scorer.predictions(out, yb)], [yb]))
    return Totals(loss_sum, seen, counts)


def evaluate(model, data, loss_fn=None, *, batch_size: int = 256, metrics: Sequence[str] = ("accuracy",),
             class_names: Sequence[str] | None = None, zero_division: float = 0.0) -> EvaluationResult:
    """Loss, metrics and confusion matrix of ``model`` on ``data``, in eval mode.

    The model runs in ``eval()`` mode (Dropout off, BatchNorm on running
    statistics); every module's previous mode is restored afterwards. The loss
    is the sample-weighted mean of the batch losses. How outputs become class
    predictions follows the loss type (see :mod:`nnumpy.train._metrics`); with
    no loss, single-column outputs count as probabilities when they lie in
    [0, 1] and as logits otherwise. Precision, recall and F1 are computed from
    the confusion matrix and equal scikit-learn's on the same predictions
    (macro averages over the classes present, see :func:`scores_from_confusion`).

    Args:
        model: the ``Module`` to evaluate.
        data: an ``(X, y)`` pair or a ``DataLoader``.
        loss_fn: a loss to report, or ``None``. Default: ``None``.
        batch_size: batch size for an ``(X, y)`` pair, >= 1. Default: ``256``.
        metrics: any of ``'accuracy'``, ``'top<k>_accuracy'`` (e.g.
            ``'top5_accuracy'``), ``'precision'``, ``'recall'``, ``'f1'``.
            Default: ``('accuracy',)``.
        class_names: one name per class, shown by the result's text and HTML
            views (e.g. ``nnumpy.datasets.class_names('fashion-mnist')``). Default: ``None``.
        zero_division: the value of an undefined precision, recall or F1
            (0 / 0): 0.0, 1.0 or NaN. Default: ``0.0``.

    Shape:
        ``X (N, *)``; ``y (N,)`` class indices or targets of the output's shape.

    Returns:
        An :class:`EvaluationResult`, a dict: ``'n'`` (samples), ``'loss'``
        (with loss_fn), each metric asked for (classification outputs), and
        ``'confusion_matrix'`` ``(C, C)`` (rows true classes, columns
        predictions); with precision, recall or F1 also ``'per_class'``:
        ``{'precision', 'recall', 'f1', 'support'}`` arrays of shape ``(C,)``.

    Example:
        >>> from nnumpy import nn
        >>> model = nn.Linear(2, 2, rng=0)
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([0, 1])
        >>> sorted(evaluate(model, (X, y), nn.CrossEntropyLoss()))
        ['accuracy', 'confusion_matrix', 'loss', 'n']
        >>> sorted(evaluate(model, (X, y), metrics=["f1"]))
        ['confusion_matrix', 'f1', 'n', 'per_class']
    """
    owner = "evaluate"
    check_model(owner, model)
    loss_fn = check_loss(owner, loss_fn, required=False)
    batch_size = check_int(owner, "batch_size", batch_size, ge=1)
    spec = check_metrics(owner, metrics)
    names = check_class_names(owner, class_names)
    zero_division = check_zero_division(owner, zero_division)
    loader = make_loader(owner, data, "data", batch_size, False, 0)
    totals = evaluation_pass(model, loader, loss_fn, None, spec, confusion=True)
    result = EvaluationResult(n=totals.seen)
    if loss_fn is not None:
        result["loss"] = totals.loss_sum / totals.seen
    result.update(metric_values(spec, totals.counts, zero_division=zero_division))
    confusion = totals.counts.confusion
    if confusion is not None:
        result["confusion_matrix"] = confusion
        if spec.prf:
            result["per_class"] = scores_from_confusion(confusion, zero_division=zero_division)["per_class"]
    if names is not None and confusion is not None and len(names) != confusion.shape[0]:
        raise ValueError(f"{owner}: got {len(names)} class names for a model with {confusion.shape[0]} classes.")
    result.class_names = names
    return result
