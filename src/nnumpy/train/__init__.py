"""Training loop, evaluation, history, callbacks and metrics.

``fit(model, loss_fn, optimizer, (X, y), epochs=...)`` trains and returns a
:class:`History`; ``evaluate`` reports loss, accuracy and the confusion
matrix in eval mode. Callbacks hook into the loop (early stopping, model
checkpoints, learning-rate schedules, NaN termination, CSV logs).
"""

from ._callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    TerminateOnNaN,
    TrainState,
)
from ._fit import evaluate, fit
from ._history import History
from ._metrics import accuracy, confusion_matrix

__all__ = [
    "fit", "evaluate", "History",
    "Callback", "TrainState", "EarlyStopping", "ModelCheckpoint", "LRSchedulerCallback", "TerminateOnNaN", "CSVLogger",
    "accuracy", "confusion_matrix",
]
