"""The per-epoch progress bar (tqdm, optional) with running loss and accuracy."""

from __future__ import annotations

import sys
import time

__all__ = ["make_bar", "ProgressBar"]

# Refresh the bar at most every 0.1 s, so drawing costs nothing measurable per batch.
_INTERVAL = 0.1


def make_bar(progress: bool, total: int, desc: str) -> "ProgressBar | None":
    """A bar for one epoch, or ``None``.

    ``progress=True`` means "when useful": only if stderr is a terminal (CI logs
    and pipes get the one-line-per-epoch summary instead) and tqdm is installed
    (``pip install nnumpy[progress]``); without tqdm there is no bar and no error.
    """
    if not progress:
        return None
    stream = sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return ProgressBar(tqdm(total=total, desc=desc, leave=False, file=stream, dynamic_ncols=True))


class ProgressBar:
    """Thin wrapper that batches tqdm updates: ``update`` is cheap until ``_INTERVAL`` has passed."""

    __slots__ = ("bar", "pending", "next_time")

    def __init__(self, bar) -> None:
        self.bar = bar
        self.pending = 0
        self.next_time = time.perf_counter() + _INTERVAL

    def due(self) -> bool:
        """Count one batch; True when the interval has passed and :meth:`update` should redraw."""
        self.pending += 1
        now = time.perf_counter()
        if now < self.next_time:
            return False
        self.next_time = now + _INTERVAL
        return True

    def update(self, loss_sum: float, seen: int, correct: int, counted: int) -> None:
        """Redraw with the running mean loss and accuracy of the epoch so far."""
        postfix = {"loss": f"{loss_sum / max(seen, 1):.4f}"}
        if counted:
            postfix["acc"] = f"{correct / counted:.4f}"
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(self.pending)
        self.pending = 0

    def close(self) -> None:
        if self.pending:
            self.bar.update(self.pending)
        self.bar.close()
