"""Classification metrics: accuracy, top-k accuracy, the confusion matrix, and precision,
recall and F1 computed from it (macro averages and per class).

fit and evaluate count correct predictions batch by batch with a :class:`Scorer`,
which decides once (from the loss type and the first batch's shapes) how an
output becomes a prediction:

* ``(N, C)`` outputs with ``C >= 2`` and class-index ``(N,)`` or one-hot
  ``(N, C)`` targets: the arg-max class (CrossEntropyLoss, NLLLoss, or any
  loss on a multi-column output);
* sigmoid-style outputs (BCELoss, BCEWithLogitsLoss, or a single output column
  with 0/1 targets): each element is a 0/1 prediction, ``output > 0`` on logits
  (BCEWithLogitsLoss) and ``output > 0.5`` on probabilities;
* any other loss (MSELoss, L1Loss, HuberLoss, ...) on a single output column:
  ``output > 0.5`` when the targets are all 0/1, otherwise no accuracy
  (regression has none).

Precision, recall and F1 follow scikit-learn's ``precision_score``,
``recall_score`` and ``f1_score`` (``sklearn.metrics``), tested equal on the same
predictions: per class ``P = tp / (tp + fp)``, ``R = tp / (tp + fn)``,
``F1 = 2 tp / (2 tp + fp + fn)``; an undefined ratio (0 / 0) takes the value
``zero_division`` (0.0, 1.0 or NaN; scikit-learn's default "warn" acts as 0.0);
the macro average is the unweighted mean over the classes that occur among the
targets or the predictions (scikit-learn's default ``labels``), NaNs left out.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple, Sequence

import numpy as np

from .._validation import check_choice, check_int, param_error
from ..nn import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss

__all__ = [
    "accuracy", "top_k_accuracy", "confusion_matrix", "precision", "recall", "f1", "scores_from_confusion",
    "Scorer", "Counts", "NO_COUNTS", "MetricSpec", "METRICS", "metric_values",
]

#: Metric names accepted by ``fit(metrics=...)`` and ``evaluate(metrics=...)``; ``top5_accuracy``
#: stands for ``top<k>_accuracy`` with any k >= 1. ``precision``, ``recall`` and ``f1`` are macro averages.
METRICS = ("accuracy", "top5_accuracy", "precision", "recall", "f1")
_TOP_K = re.compile(r"top(\d+)_accuracy")
_PRF = ("precision", "recall", "f1")


def _as_array(x, name: str, owner: str) -> np.ndarray:
    if hasattr(x, "data") and not isinstance(x, np.ndarray) and isinstance(getattr(x, "data"), np.ndarray):
        x = x.data  # a Parameter
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{owner} expected a numeric {name} array, got dtype {arr.dtype}.")
    return arr


def accuracy(output, target, *, threshold: float = 0.5) -> float:
    """Fraction of correct predictions: mean(pred == target).

    ``output`` of shape ``(N, C)`` with ``C >= 2`` predicts ``argmax`` over
    classes; ``target`` holds class indices ``(N,)`` or one-hot rows ``(N, C)``.
    Any other output shape is binary: ``pred = output > threshold``, compared
    element-wise with 0/1 targets of the same shape (use ``threshold=0.0`` on logits).

    Args:
        output: model outputs (scores, logits or probabilities).
        target: class indices, one-hot rows, or 0/1 labels.
        threshold: decision threshold for binary outputs. Default: ``0.5``.

    Shape:
        ``output (N, C)`` with ``target (N,)`` or ``(N, C)``; or binary
        ``output (N,)``/``(N, 1)``/``(N, K)`` with ``target`` of the same size.

    Example:
        >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
        0.5
        >>> accuracy(np.array([0.9, 0.2, 0.7]), np.array([1, 0, 0]))
        0.6666666666666666
    """
    out = _as_array(output, "output", "accuracy")
    tgt = _as_array(target, "target", "accuracy")
    if out.shape[:1] != tgt.shape[:1]:
        raise ValueError(
            f"accuracy expected output and target with the same number of samples, got {out.shape} and {tgt.shape}."
        )
    if out.shape[0] == 0:
        raise ValueError("accuracy of an empty batch is undefined: got 0 samples.")
    multi = out.ndim == 2 and out.shape[1] >= 2
    if multi and not (tgt.ndim == 1 or tgt.shape == out.shape):
        raise ValueError(
            f"accuracy expected class indices (N,) or one-hot rows {out.shape} for output of shape {out.shape}, "
            f"got target of shape {tgt.shape}."
        )
    if not multi and tgt.size != out.size:
        raise ValueError(f"accuracy expected 0/1 targets of the output's size {out.size}, got shape {tgt.shape}.")
    scorer = Scorer("argmax" if multi else "binary", threshold=float(threshold))
    correct, counted = scorer.count_correct([scorer.predictions(out)], [tgt])
    return correct / counted


def confusion_matrix(target, prediction, num_classes: int | None = None) -> np.ndarray:
    """Counts ``M[i, j]`` of samples with true class ``i`` predicted as class ``j``.

    Rows are true classes, columns predictions (scikit-learn's convention).

    Args:
        target: true class indices, ints >= 0.
        prediction: predicted class indices, ints >= 0, same shape.
        num_classes: C; default ``max(target, prediction) + 1``.

    Shape:
        ``target (N,)``, ``prediction (N,)``; returns ``(C, C)`` int64.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]))
        array([[1, 0, 0],
               [0, 1, 1],
               [0, 0, 1]])
    """
    t = np.asarray(target)
    p = np.asarray(prediction)
    for name, arr in (("target", t), ("prediction", p)):
        if arr.dtype.kind not in "biu":
            raise TypeError(f"confusion_matrix expected integer class indices for {name}, got dtype {arr.dtype}.")
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(
            f"confusion_matrix expected target and prediction of the same shape (N,), got {t.shape} and {p.shape}."
        )
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes is None:
        c = max(top, 1)
    else:
        c = check_int("confusion_matrix", "num_classes", num_classes, ge=1)
    low = int(min(t.min(initial=0), p.min(initial=0)))
    if low < 0 or top > c:
        raise ValueError(
            f"confusion_matrix expected class indices in [0, {c - 1}], got values in [{low}, {top - 1}]."
        )
    return np.bincount(t.astype(np.intp) * c + p.astype(np.intp), minlength=c * c).reshape(c, c).astype(np.int64)


def top_k_accuracy(output, target, *, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores.

    Ties are ranked as scikit-learn's ``top_k_accuracy_score`` ranks them: of two
    equal scores, the higher class index comes first. ``k >= C`` gives 1.0.

    Args:
        output: class scores (logits or probabilities).
        target: class indices ``(N,)`` or one-hot rows ``(N, C)``.
        k: how many of the best classes count, >= 1. Default: ``5``.

    Shape:
        ``output (N, C)``, ``target (N,)`` or ``(N, C)``.

    Example:
        >>> top_k_accuracy(np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]]), np.array([1, 0]), k=2)
        0.5
    """
    out = _as_array(output, "output", "top_k_accuracy")
    tgt = _as_array(target, "target", "top_k_accuracy")
    k = check_int("top_k_accuracy", "k", k, ge=1)
    if out.ndim != 2 or out.shape[0] == 0 or tgt.shape not in ((out.shape[0],), out.shape):
        raise ValueError(
            "top_k_accuracy expected scores (N, C) with N >= 1 and class indices (N,) or one-hot rows (N, C), "
            f"got output {out.shape} and target {tgt.shape}."
        )
    return int(np.count_nonzero(_true_class_rank(out, tgt) < k)) / out.shape[0]


def _true_class_rank(out: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """0-based rank of each row's true class among its scores (ties: the higher class index ranks first)."""
    t = (tgt.argmax(axis=1) if tgt.ndim == 2 else tgt).astype(np.intp)  # (N,)
    true_score = out[np.arange(out.shape[0]), t][:, None]  # (N, 1)
    after = np.arange(out.shape[1]) > t[:, None]  # (N, C): classes ranked before the true one on a tie
    return np.count_nonzero((out > true_score) | ((out == true_score) & after), axis=1)


def check_zero_division(owner: str, value) -> float:
    """0.0, 1.0 or NaN, as a float (scikit-learn's choices, its "warn" aside)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (value in (0, 1) or math.isnan(value)):
        return float(value)
    raise param_error(owner, "zero_division", "0.0, 1.0 or float('nan')", value)


def _ratio(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    out = np.full(num.shape, zero_division, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def scores_from_confusion(matrix, *, zero_division: float = 0.0) -> dict[str, Any]:
    """Precision, recall and F1 per class and their macro averages, from a confusion matrix.

    Per class c (``tp = M[c, c]``, ``fp`` the rest of column c, ``fn`` the rest
    of row c): ``P = tp / (tp + fp)``, ``R = tp / (tp + fn)``,
    ``F1 = 2 tp / (2 tp + fp + fn)``, ``zero_division`` where a denominator is 0.
    The macro average is the mean over the classes that occur in the targets or
    the predictions (rows or columns with a count), NaNs left out: scikit-learn's
    ``average='macro'`` with its default labels.

    Args:
        matrix: counts ``M[true, predicted]``, as :func:`confusion_matrix` returns them.
        zero_division: 0.0, 1.0 or NaN. Default: ``0.0``.

    Shape:
        ``matrix (C, C)``; the per-class arrays are ``(C,)``.

    Returns:
        ``{'precision', 'recall', 'f1'}`` macro floats, and
        ``'per_class'``: ``{'precision', 'recall', 'f1', 'support'}`` arrays.

    Example:
        >>> s = scores_from_confusion(np.array([[2, 0], [1, 1]]))
        >>> round(s["f1"], 4), s["per_class"]["recall"].tolist()
        (0.7333, [1.0, 0.5])
    """
    zd = check_zero_division("scores_from_confusion", zero_division)
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0 or m.dtype.kind not in "iuf":
        raise ValueError(f"scores_from_confusion expected a square (C, C) count matrix, got shape {m.shape}.")
    m = m.astype(np.float64)
    tp = np.diag(m)
    predicted, actual = m.sum(axis=0), m.sum(axis=1)  # tp + fp, tp + fn
    per_class = {
        "precision": _ratio(tp, predicted, zd),
        "recall": _ratio(tp, actual, zd),
        "f1": _ratio(2.0 * tp, predicted + actual, zd),
        "support": actual.astype(np.int64),
    }
    present = (predicted + actual) > 0
    out: dict[str, Any] = {}
    for name in _PRF:
        values = per_class[name][present]
        values = values[~np.isnan(values)]
        out[name] = float(values.mean()) if values.size else float("nan")
    out["per_class"] = per_class
    return out


def _prf(name: str, target, prediction, num_classes, average, zero_division):
    average = check_choice(name, "average", average, ("macro", None))
    s = scores_from_confusion(confusion_matrix(target, prediction, num_classes), zero_division=zero_division)
    return s[name] if average == "macro" else s["per_class"][name]


def precision(target, prediction, *, num_classes: int | None = None, average: str | None = "macro",
              zero_division: float = 0.0):
    """Precision tp / (tp + fp): of the samples predicted as class c, the fraction that are c.

    Args:
        target, prediction: class indices, ints >= 0.
        num_classes: C (default ``max(target, prediction) + 1``).
        average: ``'macro'`` (mean over the classes present, see
            :func:`scores_from_confusion`) or ``None`` (one value per class). Default: ``'macro'``.
        zero_division: the value of 0 / 0: 0.0, 1.0 or NaN. Default: ``0.0``.

    Shape:
        ``target (N,)``, ``prediction (N,)``; per class: ``(C,)``.

    Example:
        >>> precision(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), average=None).tolist()
        [1.0, 0.6666666666666666]
    """
    return _prf("precision", target, prediction, num_classes, average, zero_division)


def recall(target, prediction, *, num_classes: int | None = None, average: str | None = "macro",
           zero_division: float = 0.0):
    """Recall tp / (tp + fn): of the samples of class c, the fraction predicted as c.

    Arguments as :func:`precision`.

    Example:
        >>> recall(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), average=None).tolist()
        [0.5, 1.0]
    """
    return _prf("recall", target, prediction, num_classes, average, zero_division)


def f1(target, prediction, *, num_classes: int | None = None, average: str | None = "macro",
       zero_division: float = 0.0):
    """F1 = 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall, per class.

    Arguments as :func:`precision`; the macro F1 is the mean of the per-class F1
    (not the F1 of the macro precision and recall), as in scikit-learn.

    Example:
        >>> round(f1(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])), 4)
        0.7333
    """
    return _prf("f1", target, prediction, num_classes, average, zero_division)


class MetricSpec(NamedTuple):
    """The metrics asked for, parsed once: accuracy, the k of each top-k accuracy, and which of P/R/F1."""

    accuracy: bool
    ks: tuple[int, ...]
    prf: tuple[str, ...]

    @classmethod
    def parse(cls, owner: str, names: Sequence[str]) -> "MetricSpec":
        ks: list[int] = []
        for name in names:
            if not isinstance(name, str):
                raise param_error(owner, "metrics", "a sequence of metric names such as ('accuracy', 'f1')",
                                  name, TypeError)
            top = _TOP_K.fullmatch(name)
            if top and int(top.group(1)) >= 1:
                ks.append(int(top.group(1)))
            elif name not in ("accuracy",) + _PRF:
                raise ValueError(
                    f"{owner}: unknown metric {name!r}; available metrics: 'accuracy', 'top<k>_accuracy' "
                    "(e.g. 'top5_accuracy'), 'precision', 'recall', 'f1'."
                )
        return cls("accuracy" in names, tuple(dict.fromkeys(ks)), tuple(n for n in _PRF if n in names))

    @property
    def needs_confusion(self) -> bool:
        return bool(self.prf)


class Counts(NamedTuple):
    """What a pass adds up: correct and counted predictions, the confusion matrix, top-k hits per k."""

    correct: int
    counted: int
    confusion: np.ndarray | None
    topk: tuple[int, ...]

    def merged(self, other: "Counts") -> "Counts":
        """The sums of both."""
        if self.confusion is None or other.confusion is None:
            confusion = other.confusion if self.confusion is None else self.confusion
        else:
            confusion = self.confusion + other.confusion
        topk = tuple(a + b for a, b in zip(self.topk, other.topk)) if self.topk else other.topk
        return Counts(self.correct + other.correct, self.counted + other.counted, confusion, topk)


#: Nothing counted yet.
NO_COUNTS = Counts(0, 0, None, ())


def metric_values(spec: MetricSpec, counts: Counts, *, zero_division: float = 0.0) -> dict[str, float]:
    """The scalar metrics of ``spec`` from the sums of a pass (the same for fit's epochs, validation and evaluate).

    Accuracy needs counted predictions, top-k a top-k count, P/R/F1 a confusion matrix;
    a metric the outputs do not allow (regression, multi-label) is left out.
    """
    out: dict[str, float] = {}
    if spec.accuracy and counts.counted:
        out["accuracy"] = counts.correct / counts.counted
    if counts.counted and len(counts.topk) == len(spec.ks):
        for k, hits in zip(spec.ks, counts.topk):
            out[f"top{k}_accuracy"] = hits / counts.counted
    if spec.prf and counts.confusion is not None:
        scores = scores_from_confusion(counts.confusion, zero_division=zero_division)
        out.update({name: scores[name] for name in spec.prf})
    return out


class Scorer:
    """Counts correct predictions batch by batch; built once per fit/evaluate.

    ``kind`` is ``'argmax'`` (class index or one-hot targets), ``'binary'``
    (``output > threshold``, element-wise) or ``None`` (no accuracy).
    ``ks`` (top-k accuracies, arg-max only) and ``classes`` (the size of the
    confusion matrix to sum, or 0 for none) come from the metrics asked for.
    """

    __slots__ = ("kind", "threshold", "ks", "classes")

    def __init__(self, kind: str | None, threshold: float = 0.5, *, ks: tuple[int, ...] = (), classes: int = 0) -> None:
        self.kind = kind
        self.threshold = threshold
        self.ks = ks if kind == "argmax" else ()
        self.classes = classes

    @classmethod
    def for_loss(cls, loss_fn, output: np.ndarray, target: np.ndarray, spec: MetricSpec | None = None, *,
                 confusion: bool = False) -> "Scorer":
        """Choose the prediction rule from the loss type and one batch (see the module docstring).

        ``spec`` adds the top-k counts and (for P/R/F1) the confusion matrix;
        ``confusion=True`` sums the confusion matrix in any case (evaluate).
        """
        out, tgt = np.asarray(output), np.asarray(target)
        s = cls._rule(loss_fn, out, tgt)
        if spec is not None and s.kind == "argmax":
            s.ks = spec.ks
        if (confusion or (spec is not None and spec.needs_confusion)) and s.has_confusion_matrix(out, tgt):
            s.classes = s.num_classes(out)
        return s

    @classmethod
    def _rule(cls, loss_fn, out: np.ndarray, tgt: np.ndarray) -> "Scorer":
        multi = out.ndim == 2 and out.shape[1] >= 2
        if isinstance(loss_fn, BCEWithLogitsLoss):
            return cls("binary", 0.0)
        if isinstance(loss_fn, BCELoss):
            return cls("binary", 0.5)
        if isinstance(loss_fn, (CrossEntropyLoss, NLLLoss)):
            return cls("argmax")
        if multi and (tgt.ndim == 1 or tgt.shape == out.shape):
            return cls("argmax")
        binary_target = tgt.size > 0 and bool(np.all((tgt == 0) | (tgt == 1)))
        if loss_fn is not None:
            return cls("binary", 0.5) if binary_target and out.size == tgt.size else cls(None)
        # No loss given (evaluate(loss_fn=None)): probabilities if the outputs lie in [0, 1], else logits.
        if binary_target and out.size == tgt.size:
            inside = out.size > 0 and float(out.min()) >= 0.0 and float(out.max()) <= 1.0
            return cls("binary", 0.5 if inside else 0.0)
        return cls(None)

    def predictions(self, output: np.ndarray, target: np.ndarray | None = None) -> np.ndarray:
        """The batch's predictions, kept until :meth:`count` (one arg-max or one comparison per batch).

        With top-k metrics (``ks``) the rank of each sample's true class needs the
        scores, which layers may overwrite on the next forward: then the batch's
        record is ``(N, 1 + len(ks))``, the arg-max and a 0/1 top-k hit per k.
        """
        if self.kind != "argmax":
            return output > self.threshold
        pred = output.argmax(axis=1)
        if not self.ks:
            return pred
        rank = _true_class_rank(output, target)
        return np.column_stack([pred] + [rank < k for k in self.ks])

    def count(self, preds: list[np.ndarray], targets: list[np.ndarray]) -> Counts:
        """The :class:`Counts` of batches collected with :meth:`predictions`; empties both lists.

        Counted are samples for arg-max, elements for binary. Comparing once per
        epoch instead of once per batch keeps fit's per-batch bookkeeping to a
        single NumPy call.
        """
        if not preds:
            return NO_COUNTS
        p = np.concatenate(preds) if len(preds) > 1 else preds[0]
        t = np.concatenate(targets) if len(targets) > 1 else targets[0]
        preds.clear()
        targets.clear()
        topk: tuple[int, ...] = ()
        if self.ks:
            topk = tuple(int(np.count_nonzero(p[:, i + 1])) for i in range(len(self.ks)))
            p = p[:, 0]
        confusion = None
        if self.classes:
            confusion = confusion_matrix(self.true_classes(t), self.predicted_classes(p), self.classes)
        if self.kind == "argmax":
            if t.ndim == 2:
                t = t.argmax(axis=1)
            return Counts(int(np.count_nonzero(p == t)), t.shape[0], confusion, topk)
        return Counts(int(np.count_nonzero(p.reshape(t.shape) == (t > 0.5))), t.size, confusion, topk)

    def count_correct(self, preds: list[np.ndarray], targets: list[np.ndarray]) -> tuple[int, int]:
        """``(correct, counted)`` of :meth:`count`."""
        c = self.count(preds, targets)
        return c.correct, c.counted

    def predicted_classes(self, predictions: np.ndarray) -> np.ndarray:
        """Predicted class indices (N,) from the records of :meth:`predictions`."""
        if self.kind == "argmax":
            return predictions.astype(np.intp)
        return predictions.reshape(predictions.shape[0], -1)[:, 0].astype(np.intp)

    def true_classes(self, target: np.ndarray) -> np.ndarray:
        """True class indices (N,) for the confusion matrix."""
        if target.ndim == 2 and self.kind == "argmax":
            return target.argmax(axis=1)
        if self.kind == "binary":
            return (target.reshape(target.shape[0], -1)[:, 0] > 0.5).astype(np.intp)
        return target.astype(np.intp)

    def num_classes(self, output: np.ndarray) -> int:
        """C of the confusion matrix: the output's columns for arg-max, 2 for binary."""
        return output.shape[1] if self.kind == "argmax" else 2

    def has_confusion_matrix(self, output: np.ndarray, target: np.ndarray) -> bool:
        """Binary confusion only for one output per sample (not multi-label)."""
        if self.kind == "argmax":
            return True
        return self.kind == "binary" and output.size == output.shape[0] and target.size == target.shape[0]
