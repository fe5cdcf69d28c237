"""The progress bar (tqdm, optional): one per ``fit``, restarted each epoch, with running loss and accuracy.

Which bar: under a Jupyter kernel, tqdm's notebook widget (``tqdm.notebook``,
needs ipywidgets; without it the terminal bar, whose redraws a notebook also
shows); otherwise the terminal bar when stderr is a terminal; otherwise none
(CI logs and pipes get the one-line-per-epoch summary instead). Without tqdm
(``pip install 'nnumpy[progress]'``, or ``[notebook]`` for the widget) there is
no bar and no error.
"""

from __future__ import annotations

import importlib.util
import sys
import time

from .._html import in_kernel

__all__ = ["make_bar", "bar_kind", "ProgressBar"]

# Refresh the bar at most every 0.1 s, so drawing costs nothing measurable per batch.
_INTERVAL = 0.1


def _installed(name: str) -> bool:
    if name in sys.modules:
        return sys.modules[name] is not None  # None: an import blocked on purpose
    return importlib.util.find_spec(name) is not None


def bar_kind(progress: bool) -> str | None:
    """``'notebook'``, ``'terminal'`` or ``None``: the bar ``fit(progress=...)`` shows here (see the module docstring)."""
    if not progress or not _installed("tqdm"):
        return None
    if in_kernel():
        return "notebook" if _installed("ipywidgets") else "terminal"
    isatty = getattr(sys.stderr, "isatty", None)
    return "terminal" if isatty is not None and isatty() else None


def make_bar(progress: bool, total: int, desc: str) -> "ProgressBar | None":
    """A bar for the first epoch (the kind :func:`bar_kind` chooses; :meth:`ProgressBar.restart` for the next), or ``None``."""
    kind = bar_kind(progress)
    try:
        if kind == "notebook":
            from tqdm.notebook import tqdm as notebook_tqdm

            return ProgressBar(notebook_tqdm(total=total, desc=desc, leave=False))
        if kind == "terminal":
            from tqdm import tqdm

            return ProgressBar(tqdm(total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True))
    except ImportError:  # a broken or partial installation: train without a bar
        return None
    return None


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

    def restart(self, total: int, desc: str) -> None:
        """Start the next epoch on the same bar (one bar per run: a notebook keeps one widget, not one per epoch)."""
        self.pending = 0
        self.bar.reset(total=total)
        self.bar.set_description(desc)  # drawn now: a short epoch may end before the next redraw

    def close(self) -> None:
        if self.pending:
            self.bar.update(self.pending)
        self.bar.close()
