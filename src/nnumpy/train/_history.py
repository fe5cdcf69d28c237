"""History: one row per epoch of training loss, metrics, learning rate and wall time."""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
import stat
from pathlib import Path
from typing import Any, Iterator, Mapping

from .. import _html
from .._atomic import atomic_write_bytes

__all__ = ["History"]


def _to_cell(value: Any) -> str:
    """CSV text of one value: ``repr`` of a float round-trips exactly; ``None`` is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


def _from_cell(text: str) -> Any:
    """Inverse of :func:`_to_cell` for the numeric columns fit writes."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


class History:
    """Per-epoch record of a training run, as returned by :func:`nnumpy.train.fit`.

    Each row (``history.epochs[i]``) is a dict such as
    ``{'epoch': 1, 'loss': 0.52, 'accuracy': 0.81, 'val_loss': 0.49,
    'val_accuracy': 0.83, 'lr': 0.1, 'time': 0.42}``; ``history['loss']`` is
    the column as a list. ``stop_reason`` says why training ended early
    (``None`` when it ran all epochs).

    Example:
        >>> h = History()
        >>> h.append({"epoch": 1, "loss": 0.5}); h.append({"epoch": 2, "loss": 0.25})
        >>> h["loss"]
        [0.5, 0.25]
        >>> History.from_dict(h.to_dict()).epochs == h.epochs
        True
    """

    def __init__(self, epochs: list[dict[str, Any]] | None = None, stop_reason: str | None = None) -> None:
        self.epochs: list[dict[str, Any]] = [dict(row) for row in (epochs or [])]
        self.stop_reason: str | None = stop_reason

    def append(self, row: Mapping[str, Any]) -> None:
        """Add one epoch's row."""
        self.epochs.append(dict(row))

    def keys(self) -> list[str]:
        """Column names in first-seen order."""
        seen: dict[str, None] = {}
        for row in self.epochs:
            for key in row:
                seen.setdefault(key, None)
        return list(seen)

    def __getitem__(self, key: str) -> list[Any]:
        keys = self.keys()
        if key not in keys:
            raise KeyError(f"History has no column {key!r}; available columns: {keys}.")
        return [row.get(key) for row in self.epochs]

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __len__(self) -> int:
        return len(self.epochs)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.epochs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return self.epochs == other.epochs and self.stop_reason == other.stop_reason

    def _best(self, key: str) -> tuple[float, Any] | None:
        """The best value of a loss (lowest) or accuracy-like column (highest) and its epoch."""
        rows = [(float(r[key]), r.get("epoch", i + 1)) for i, r in enumerate(self.epochs)
                if isinstance(r.get(key), (int, float)) and math.isfinite(float(r[key]))]
        if not rows:
            return None
        pick = min if "loss" in key else max
        return pick(rows, key=lambda vr: vr[0])

    def _last_values(self) -> dict[str, Any]:
        last = self.epochs[-1] if self.epochs else {}
        return {k: v for k, v in last.items() if k not in ("epoch", "time")}

    def __repr__(self) -> str:
        """E.g. ``History(3 epochs, last: loss 0.2, val_loss 0.3, lr 0.1; best val_loss 0.25 at epoch 2)``."""
        if not self.epochs:
            return "History(0 epochs)"
        last = ", ".join(f"{k} {_html.fmt(v)}" for k, v in self._last_values().items())
        text = f"History({len(self.epochs)} epochs, last: {last}"
        monitor = "val_loss" if "val_loss" in self else "loss"
        best = self._best(monitor) if monitor in self else None
        if best is not None:
            text += f"; best {monitor} {_html.fmt(best[0])} at epoch {best[1]}"
        if self.stop_reason:
            text += f"; stopped: {self.stop_reason}"
        return text + ")"

    def _repr_html_(self) -> str:
        """Jupyter's view: the last epoch's values, the best of each metric, and small loss/accuracy curves."""
        rows = []
        for key, value in self._last_values().items():
            best = self._best(key) if key != "lr" else None
            rows.append([key, value, "" if best is None else f"{_html.fmt(best[0])} (epoch {best[1]})"])
        curves = [_html.sparkline({k: self[k] for k in pair if k in self})
                  for pair in (("loss", "val_loss"), ("accuracy", "val_accuracy"))]
        table = _html.table(["", "last", "best"], rows, right={1, 2})
        layout = (f'<div style="display:flex;gap:16px;align-items:flex-start">{table}'
                  f'{"".join(c for c in curves if c)}</div>')
        return _html.block(f"History: {len(self.epochs)} epochs", layout, footer=self.stop_reason or "")

    # ------------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, list[Any]]:
        """Columns as lists (``None`` where a row lacks a column)."""
        return {key: [row.get(key) for row in self.epochs] for key in self.keys()}

    @classmethod
    def from_dict(cls, columns: Mapping[str, Any], stop_reason: str | None = None) -> "History":
        """Rebuild a History from ``to_dict()`` output (columns of equal length)."""
        if not isinstance(columns, Mapping):
            raise TypeError(f"History.from_dict expects a dict of column -> list, got {type(columns).__name__}.")
        lengths = {key: len(values) for key, values in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"History.from_dict expects columns of equal length, got lengths {lengths}.")
        n = next(iter(lengths.values()), 0)
        rows = [
            {key: _python_scalar(values[i]) for key, values in columns.items() if values[i] is not None}
            for i in range(n)
        ]
        return cls(rows, stop_reason)

    def to_csv(self, path) -> Path:
        """Write the rows to ``path`` as CSV (header + one line per epoch), atomically.

        Floats are written with ``repr`` so :meth:`from_csv` reads back the same values.
        """
        keys = self.keys()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(keys)
        for row in self.epochs:
            writer.writerow([_to_cell(row.get(key)) for key in keys])
        return atomic_write_bytes(path, buf.getvalue().encode("utf-8"))

    @classmethod
    def from_csv(cls, path) -> "History":
        """Read a CSV written by :meth:`to_csv` (or by ``CSVLogger``)."""
        with open(path, newline="", encoding="utf-8") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # /dev/zero would be read forever
                raise ValueError(f"History.from_csv: {path} is not a regular file (a device or pipe), expected a CSV.")
            rows = list(csv.reader(f))
        if not rows:
            return cls()
        header, body = rows[0], rows[1:]
        out = []
        for lineno, cells in enumerate(body, start=2):
            if len(cells) != len(header):
                raise ValueError(
                    f"History.from_csv: line {lineno} of {path} has {len(cells)} cells, expected {len(header)} "
                    f"(header {header})."
                )
            out.append({k: v for k, v in zip(header, map(_from_cell, cells)) if v is not None})
        return cls(out)


def _python_scalar(value: Any) -> Any:
    """NumPy scalars become Python scalars (so rows compare and serialise cleanly)."""
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def format_row(row: Mapping[str, Any], epochs: int) -> str:
    """The one-line epoch summary printed by fit, e.g.
    ``epoch 3/10  loss 0.2314  acc 0.9312  val_loss 0.2511  val_acc 0.9270  lr 0.5  4.1s``."""
    parts = [f"epoch {row['epoch']}/{epochs}"]
    for key, value in row.items():
        if key in ("epoch", "time", "lr") or value is None:
            continue
        short = key.replace("accuracy", "acc")
        finite = isinstance(value, float) and math.isfinite(value)
        parts.append(f"{short} {value:.4f}" if finite else f"{short} {value}")
    if "lr" in row:
        parts.append(f"lr {row['lr']:.4g}")
    if "time" in row:
        parts.append(f"{row['time']:.1f}s")
    return "  ".join(parts)
