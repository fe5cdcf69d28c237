"""Small HTML pieces for the ``_repr_html_`` of nnumpy's objects (Jupyter shows them),
and :func:`in_kernel`, which tells whether code runs under a Jupyter kernel.

One table form and one sparkline, so a model, a History, an optimizer, a
scheduler, a checkpoint, a gradient-check report and an evaluate result read
alike in a notebook. Plain HTML and inline SVG: no JavaScript, no CSS classes
the notebook would need to know, nothing imported beyond the standard library
and NumPy. Every piece of text goes through :func:`html.escape`.
"""

from __future__ import annotations

import math
import sys
from html import escape
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["escape", "table", "block", "sparkline", "fmt", "in_kernel", "report_html"]

_CELL = "padding:1px 8px;"
_SERIES_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


def fmt(value: Any) -> str:
    """A short text for one value: floats with 4 significant digits, the rest as ``str``."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = f"{value:.4g}"
        return text + ".0" if text.lstrip("-").isdigit() else text  # 1.0 stays a float to the eye
    return str(value)


def table(header: Sequence[str] | None, rows: Iterable[Sequence[Any]], *, right: Iterable[int] = ()) -> str:
    """An HTML table; cells are escaped, columns in ``right`` are right-aligned (numbers)."""
    right = set(right)

    def cells(row, tag):
        return "".join(
            f'<{tag} style="{_CELL}text-align:{"right" if i in right else "left"}">{escape(fmt(c))}</{tag}>'
            for i, c in enumerate(row)
        )

    head = f"<thead><tr>{cells(header, 'th')}</tr></thead>" if header else ""
    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f'<table style="border-collapse:collapse">{head}<tbody>{body}</tbody></table>'


def block(title: str, *parts: str, footer: str = "") -> str:
    """A titled block: a bold title, the (already HTML) parts, an optional footer line."""
    foot = f'<div style="color:#666">{escape(footer)}</div>' if footer else ""
    return f'<div><div><b>{escape(title)}</b></div>{"".join(parts)}{foot}</div>'


def sparkline(series: Mapping[str, Sequence[float | None]], *, width: int = 180, height: int = 48) -> str:
    """An inline SVG with one polyline per series (e.g. loss and val_loss), with a legend.

    All series share one vertical scale; ``None`` and non-finite values are skipped.
    Returns ``""`` when there is nothing to draw (fewer than two finite values).
    """
    values = [float(v) for vs in series.values() for v in vs if v is not None and math.isfinite(float(v))]
    n = max((len(vs) for vs in series.values()), default=0)
    if len(values) < 2 or n < 2:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    pad = 3

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * i / (n - 1)
        y = pad + (height - 2 * pad) * (hi - v) / span
        return f"{x:.1f},{y:.1f}"

    lines, legend = [], []
    for (name, vs), color in zip(series.items(), _SERIES_COLORS):
        points = " ".join(xy(i, float(v)) for i, v in enumerate(vs) if v is not None and math.isfinite(float(v)))
        if points:
            lines.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>')
            legend.append(f'<span style="color:{color}">&#9632; {escape(name)}</span>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img">{"".join(lines)}</svg>')
    return f'<div>{svg}<div style="font-size:85%">{" ".join(legend)} ({lo:.4g} to {hi:.4g})</div></div>'


def report_html(text: str, ok: bool) -> str:
    """A text report (a gradient check's) as preformatted HTML, its first line green (ok) or red."""
    first, _, rest = text.partition("\n")
    color = "#2ca02c" if ok else "#d62728"
    return (f'<pre style="line-height:1.3"><b style="color:{color}">{escape(first)}</b>'
            f'{chr(10) + escape(rest) if rest else ""}</pre>')


def in_kernel() -> bool:
    """True when running under an IPython kernel (Jupyter, VS Code, Colab): a shell with a ``kernel``.

    Looks only at an IPython already imported (by the kernel); never imports it.
    """
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return getattr(shell, "kernel", None) is not None
