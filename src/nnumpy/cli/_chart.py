"""ASCII charts of the per-epoch curves, printed at the end of ``nnumpy train``."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["ascii_chart", "history_charts"]


def ascii_chart(title: str, series: Sequence[tuple[str, Sequence[float], str]], *, height: int = 10,
                width: int = 60, log: bool = False) -> str:
    """A small text chart of per-epoch curves, one marker character per series.

    Args:
        title: first line, e.g. ``'loss'``.
        series: ``(label, values, marker)`` per curve; values are per epoch
            (None, NaN and, with ``log``, values <= 0 are skipped).
        height: rows of the plot area (default 10).
        width: maximum columns of the plot area (default 60); longer runs are
            sampled evenly.
        log: place the values on a log10 scale (default False); the axis
            labels stay in the values' own units.

    Example:
        >>> print(ascii_chart("loss", [("train", [1.0, 0.5, 0.25], "o")], height=3))
        loss  (o train)
           1.000 |o
                 |   o
           0.250 |      o
                 +-------
                  1     3 epoch
    """

    def usable(x) -> bool:
        return x is not None and math.isfinite(float(x)) and (not log or float(x) > 0)

    def pos(x) -> float:
        return math.log10(float(x)) if log else float(x)

    n = max((len(v) for _, v, _ in series), default=0)
    finite = [pos(x) for _, v, _ in series for x in v if usable(x)]
    legend = ", ".join(f"{m} {label}" for label, _, m in series)
    if n == 0 or not finite:
        return f"{title}  ({legend}): no data"
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    if n <= width:
        step = max(1, min(3, width // n))
        cols = [(i, i * step) for i in range(n)]
        ncols = (n - 1) * step + 1
    else:
        picks = np.linspace(0, n - 1, width).round().astype(int)
        cols = [(int(i), c) for c, i in enumerate(picks)]
        ncols = width
    grid = [[" "] * ncols for _ in range(height)]
    for _, values, marker in series:
        for i, c in cols:
            if i >= len(values) or not usable(values[i]):
                continue
            r = int(round((hi - pos(values[i])) / (hi - lo) * (height - 1)))
            grid[r][c] = marker if grid[r][c] in (" ", marker) else "#"
    rows = [0, height - 1] + ([(height - 1) // 2] if height >= 5 else [])
    labels = {r: hi - (hi - lo) * r / (height - 1) for r in rows}
    both = ", # both" if len(series) > 1 else ""
    lines = [f"{title}  ({legend}{both}{', log scale' if log else ''})"]
    for r, row in enumerate(grid):
        label = f"{10 ** labels[r] if log else labels[r]:7.3f}" if r in labels else " " * 7
        lines.append(f" {label} |{''.join(row).rstrip()}")
    lines.append(" " * 9 + "+" + "-" * ncols)
    last = str(n)
    lines.append(" " * 10 + "1" + " " * max(1, ncols - 1 - len(last)) + last + " epoch")
    return "\n".join(lines)


def history_charts(history) -> str:
    """The loss and accuracy charts of a :class:`~nnumpy.train.History`: train ``o``, validation ``x``."""
    cols = history.keys()
    charts = []
    for key in ("loss", "accuracy"):
        if key not in cols:
            continue
        series = [("train", history[key], "o")]
        if f"val_{key}" in cols:
            series.append(("val", history[f"val_{key}"], "x"))
        charts.append(ascii_chart(key, series, log=key == "loss"))
    return "\n\n".join(charts)
