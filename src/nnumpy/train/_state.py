"""TrainState: where fit is. Callbacks read it, the loop advances it, a checkpoint saves it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._metrics import Counts

__all__ = ["TrainState"]


class TrainState:
    """What callbacks see: the objects being trained and where the loop is.

    fit keeps its position here and nowhere else. A checkpoint saves ``epoch``,
    ``step`` and the current epoch's sums (:meth:`epoch_sums`), so a resumed
    run continues an interrupted epoch where it stopped.

    Attributes:
        model, optimizer, loss_fn: the objects passed to fit.
        history: the :class:`History` being filled.
        epochs: the number of epochs fit runs to (in total, resumed runs included).
        epoch: epochs completed, i.e. the 0-based index of the current epoch
            (in ``on_epoch_end``: of the epoch just finished).
        batch: batches done in the current epoch.
        step: optimizer steps done since the start of the run (resumed runs included).
        loss_sum, seen: the current epoch's sum of batch loss × batch size, and
            its number of samples.
        correct, counted: the current epoch's correct predictions and
            predictions counted (0 when there is no accuracy).
        confusion: the current epoch's confusion matrix (``None`` unless
            precision, recall or F1 is asked for).
        topk: the current epoch's top-k hits, one count per k of the metrics.
        elapsed: seconds of training in the current epoch.
        loss: the last batch's loss (a float).
        logs: the last finished epoch's row (``{'epoch', 'loss', ..., 'lr', 'time'}``).
        stop_training: set to ``True`` to stop after the current batch.
        stop_reason: a sentence saying why training stopped early, or ``None``.
    """

    #: The current epoch's sums and their types: the checkpoint's ``partial`` entry.
    EPOCH_SUMS = {"batch": int, "loss_sum": float, "seen": int, "correct": int, "counted": int, "elapsed": float}

    def __init__(self, model, optimizer, loss_fn, history, epochs: int) -> None:
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.history = history
        self.epochs = epochs
        self.epoch = 0
        self.step = 0
        self.loss = float("nan")
        self.logs: dict[str, Any] = {}
        self.stop_training = False
        self.stop_reason: str | None = None
        self.clear_epoch_sums()

    def clear_epoch_sums(self) -> None:
        self.batch = 0
        self.loss_sum = 0.0
        self.seen = 0
        self.correct = 0
        self.counted = 0
        self.elapsed = 0.0
        self.confusion: np.ndarray | None = None
        self.topk: tuple[int, ...] = ()

    def add_counts(self, counts: Counts) -> None:
        """Add one sync's :class:`Counts` to the epoch's sums."""
        self.correct, self.counted, self.confusion, self.topk = self.counts().merged(counts)

    def counts(self) -> Counts:
        """The epoch's sums as :class:`Counts` (for the History row's metrics)."""
        return Counts(self.correct, self.counted, self.confusion, self.topk)

    def next_epoch(self) -> None:
        """Count the current epoch as done and start the next one's sums at zero."""
        self.epoch += 1
        self.clear_epoch_sums()

    def epoch_sums(self) -> dict[str, Any]:
        """The current epoch's sums, as the checkpoint stores them."""
        sums = {key: getattr(self, key) for key in self.EPOCH_SUMS}
        if self.topk:  # only when asked for: the default entry keeps the keys it always had
            sums["topk"] = list(self.topk)
        if self.confusion is not None:
            sums["confusion"] = self.confusion.copy()
        return sums

    def load_epoch_sums(self, sums: dict[str, Any]) -> None:
        """Restore what :meth:`epoch_sums` returned (``topk`` and ``confusion`` may be absent: older checkpoints)."""
        for key, kind in self.EPOCH_SUMS.items():
            setattr(self, key, kind(sums[key]))
        self.topk = tuple(int(v) for v in sums.get("topk", ()))
        confusion = sums.get("confusion")
        self.confusion = None if confusion is None else np.asarray(confusion, dtype=np.int64).copy()

    def stop(self, reason: str) -> None:
        """Ask fit to stop, recording why (the first reason given wins)."""
        self.stop_training = True
        if self.stop_reason is None:
            self.stop_reason = reason
