"""Training loop, evaluation, history, callbacks and metrics.

``fit(model, loss_fn, optimizer, (X, y), epochs=...)`` trains and returns a
:class:`History`; ``evaluate`` reports loss, accuracy and the confusion
matrix in eval mode. Callbacks hook into the loop (early stopping, model
checkpoints, learning-rate schedules, NaN termination, CSV logs).

What lives where:

- ``_fit.py``: :func:`fit`, its arguments checked once and handed to the loop.
- ``_loop.py``: ``FitLoop``, the epochs and batches, validation, callbacks,
  and the checkpoint that resumes bit for bit.
- ``_state.py``: :class:`TrainState`, the one record of where training is
  (epoch, step, batch, the epoch's sums), read by callbacks and saved in checkpoints.
- ``_evaluate.py``: :func:`evaluate` and the eval-mode pass fit validates with.
- ``_checks.py``: the argument checks of fit and evaluate, and the loaders built from ``(X, y)``.
- ``_callbacks.py``: :class:`Callback` and the built-in callbacks.
- ``_metrics.py``: :func:`accuracy`, :func:`confusion_matrix` and the ``Scorer`` that counts correct predictions.
- ``_history.py``: :class:`History`, one row per epoch, to and from CSV.
- ``_progress.py``: the optional tqdm progress bar.
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
from ._metrics import accuracy, confusion_matrix
from ._state import TrainState

__all__ = [
    "fit", "evaluate", "History",
    "Callback", "TrainState", "EarlyStopping", "ModelCheckpoint", "LRSchedulerCallback", "TerminateOnNaN", "CSVLogger",
    "accuracy", "confusion_matrix",
]
