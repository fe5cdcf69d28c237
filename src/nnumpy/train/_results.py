"""EvaluationResult: what evaluate returns, a dict that reads well in a terminal and in Jupyter."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _html

__all__ = ["EvaluationResult"]

_SCALARS = ("n", "loss")


class EvaluationResult(dict):
    """The dict :func:`evaluate` returns, with a text and an HTML view.

    Keys as documented by :func:`evaluate` (``'n'``, ``'loss'``, the metrics,
    ``'confusion_matrix'``, ``'per_class'``); ``class_names`` (an attribute,
    ``None`` unless evaluate got them) names the classes in the per-class table.

    Example:
        >>> r = EvaluationResult(n=4, accuracy=0.75)
        >>> r
        EvaluationResult(n=4, accuracy=0.75)
        >>> r["accuracy"]
        0.75
    """

    class_names: list[str] | None = None

    def _name(self, c: int) -> str:
        return self.class_names[c] if self.class_names is not None and c < len(self.class_names) else str(c)

    def scalars(self) -> dict[str, Any]:
        """The entries that are single numbers (n, loss, metrics)."""
        return {k: v for k, v in self.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}

    def per_class_rows(self) -> list[list[Any]]:
        """One row per class: name, precision, recall, F1, support (empty without ``'per_class'``)."""
        per = self.get("per_class")
        if not per:
            return []
        return [[self._name(c), float(per["precision"][c]), float(per["recall"][c]), float(per["f1"][c]),
                 int(per["support"][c])] for c in range(len(per["support"]))]

    def __repr__(self) -> str:
        parts = [f"{k}={_html.fmt(v)}" for k, v in self.scalars().items()]
        cm = self.get("confusion_matrix")
        if isinstance(cm, np.ndarray):
            parts.append(f"confusion_matrix=<{cm.shape[0]}x{cm.shape[1]}>")
        if self.get("per_class"):
            parts.append(f"per_class=<{len(self['per_class']['support'])} classes>")
        return f"EvaluationResult({', '.join(parts)})"

    def per_class_table(self) -> list[str]:
        """The per-class rows as text lines under a header (empty without ``'per_class'``)."""
        rows = self.per_class_rows()
        if not rows:
            return []
        width = max(5, *(len(r[0]) for r in rows))
        return [f"{'class':<{width}}  precision  recall      f1  support",
                *(f"{r[0]:<{width}}  {r[1]:9.4f}  {r[2]:6.4f}  {r[3]:6.4f}  {r[4]:7d}" for r in rows)]

    def __str__(self) -> str:
        lines = ["  ".join(f"{k} {_html.fmt(v)}" for k, v in self.scalars().items())]
        return "\n".join(lines + self.per_class_table())

    def _repr_html_(self) -> str:
        parts = [_html.table(["", "value"], self.scalars().items(), right={1})]
        rows = self.per_class_rows()
        if rows:
            parts.append(_html.table(["class", "precision", "recall", "f1", "support"], rows, right={1, 2, 3, 4}))
        cm = self.get("confusion_matrix")
        if isinstance(cm, np.ndarray) and cm.shape[0] <= 20:
            names = [self._name(c) for c in range(cm.shape[0])]
            body = [[f"true {names[i]}", *cm[i].tolist()] for i in range(cm.shape[0])]
            parts.append("<div>confusion matrix (rows true, columns predicted)</div>")
            parts.append(_html.table(["", *names], body, right=set(range(1, cm.shape[0] + 1))))
        return _html.block("evaluate", *parts)
