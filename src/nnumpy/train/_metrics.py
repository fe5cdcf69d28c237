"""Classification metrics: accuracy and the confusion matrix.

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
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..nn import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss

__all__ = ["accuracy", "confusion_matrix", "Scorer", "METRICS"]

#: Metric names accepted by ``fit(metrics=...)``.
METRICS = ("accuracy",)


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


class Scorer:
    """Counts correct predictions batch by batch; built once per fit/evaluate.

    ``kind`` is ``'argmax'`` (class index or one-hot targets), ``'binary'``
    (``output > threshold``, element-wise) or ``None`` (no accuracy).
    """

    __slots__ = ("kind", "threshold")

    def __init__(self, kind: str | None, threshold: float = 0.5) -> None:
        self.kind = kind
        self.threshold = threshold

    @classmethod
    def for_loss(cls, loss_fn, output: np.ndarray, target: np.ndarray) -> "Scorer":
        """Choose the prediction rule from the loss type and one batch (see the module docstring)."""
        out = np.asarray(output)
        tgt = np.asarray(target)
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

    def predictions(self, output: np.ndarray) -> np.ndarray:
        """The batch's predictions, kept until :meth:`count_correct` (one arg-max or one comparison per batch)."""
        if self.kind == "argmax":
            return output.argmax(axis=1)
        return output > self.threshold

    def count_correct(self, preds: list[np.ndarray], targets: list[np.ndarray]) -> tuple[int, int]:
        """``(correct, counted)`` over batches collected with :meth:`predictions`; empties both lists.

        Counted are samples for arg-max, elements for binary. Comparing once per
        epoch instead of once per batch keeps fit's per-batch bookkeeping to a
        single NumPy call.
        """
        if not preds:
            return 0, 0
        p = np.concatenate(preds) if len(preds) > 1 else preds[0]
        t = np.concatenate(targets) if len(targets) > 1 else targets[0]
        preds.clear()
        targets.clear()
        if self.kind == "argmax":
            if t.ndim == 2:
                t = t.argmax(axis=1)
            return int(np.count_nonzero(p == t)), t.shape[0]
        return int(np.count_nonzero(p.reshape(t.shape) == (t > 0.5))), t.size

    def predicted_classes(self, output: np.ndarray) -> np.ndarray:
        """Predicted class indices (N,) for the confusion matrix."""
        if self.kind == "argmax":
            return output.argmax(axis=1)
        return (output.reshape(output.shape[0], -1)[:, 0] > self.threshold).astype(np.intp)

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
