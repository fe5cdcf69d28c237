"""Training loop, evaluation, history, callbacks and metrics.

``fit(model, loss_fn, optimizer, (X, y), epochs=..., validation_split=0.1)``
trains and returns a :class:`History`; ``evaluate`` reports loss, metrics and
the confusion matrix in eval mode; ``predict``, ``predict_proba`` and
``predict_classes`` give a model's outputs, probabilities and classes. Callbacks hook into the loop (early stopping, model
checkpoints, learning-rate schedules, NaN termination, CSV logs).

What lives where:

- ``_fit.py``: :func:`fit`, its arguments checked once and handed to the loop.
- ``_loop.py``: ``FitLoop``, the epochs and batches, validation, callbacks,
  and the checkpoint that resumes bit for bit.
- ``_state.py``: :class:`TrainState`, the one record of where training is
  (epoch, step, batch, the epoch's sums), read by callbacks and saved in checkpoints.
- ``_evaluate.py``: :func:`evaluate` and the eval-mode pass fit validates with.
- ``_results.py``: :class:`EvaluationResult`, the dict evaluate returns, with text and HTML views.
- ``_predict.py``: :func:`predict`, :func:`predict_proba`, :func:`predict_classes`.
- ``_checks.py``: the argument checks of fit and evaluate, and the loaders built from ``(X, y)``.
- ``_callbacks.py``: :class:`Callback` and the built-in callbacks.
- ``_metrics.py``: :func:`accuracy`, :func:`top_k_accuracy`, :func:`confusion_matrix`, :func:`precision`,
  :func:`recall`, :func:`f1` (from the confusion matrix, as scikit-learn computes them) and the
  ``Scorer`` that counts predictions batch by batch.
- ``_history.py``: :class:`History`, one row per epoch, to and from CSV.
- ``_progress.py``: the optional tqdm progress bar (the notebook widget under Jupyter).
- ``_distributed.py``: ``DataParallel``, what fit does differently on several MPI
  processes (``fit(..., distributed=True)``, ``nnumpy.distributed``).
"""

from ._callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    TerminateOnNaN,
)
from ._evaluate import evaluate
from ._fit import fit
from ._history import History
from ._metrics import accuracy, confusion_matrix, f1, precision, recall, scores_from_confusion, top_k_accuracy
from ._predict import predict, predict_classes, predict_proba
from ._results import EvaluationResult
from ._state import TrainState

__all__ = [
    "fit", "evaluate", "History", "EvaluationResult", "predict", "predict_proba", "predict_classes",
    "Callback", "TrainState", "EarlyStopping", "ModelCheckpoint", "LRSchedulerCallback", "TerminateOnNaN", "CSVLogger",
    "accuracy", "top_k_accuracy", "confusion_matrix", "precision", "recall", "f1", "scores_from_confusion",
]
