"""``summary``: one forward pass of a model copy, tabulated layer by layer; and the
wrapping that it and ``nnumpy.trace`` share.

Both wrap the ``forward`` (and for ``trace`` the ``backward``) of each leaf
module, the modules that do the computing. The wrappers are instance
attributes that shadow the class's methods; they are removed on exit, even
when the model raises, so the model is left exactly as it was.

This file imports nothing from ``_module``: ``Module.summary`` calls
:func:`summary` here, so the dependency runs one way.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from .. import _html
from .._validation import check_shape

__all__ = ["summary", "ModelSummary", "SummaryRow", "hooked", "model_dtype", "layers_html"]


# ---------------------------------------------------------------------------- shared wrapping

def _shape_of(value) -> tuple[int, ...] | str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_shape_of(v)) for v in value)
    return tuple(np.shape(value))


def _dtype_of(value) -> str:
    dt = getattr(value, "dtype", None)
    if dt is None and isinstance(value, float):
        return "float"
    return "-" if dt is None else np.dtype(dt).name


def model_dtype(model) -> np.dtype:
    """The dtype of the model's first parameter; float32 for a model without parameters."""
    first = next(iter(model.parameters()), None)
    return first.data.dtype if first is not None else np.dtype(np.float32)


def _leaves(model) -> list[tuple[str, Any]]:
    """Modules that compute: those without children, plus any that own parameters directly.

    A module registered under two names (weight sharing) is listed once.
    """
    out, seen = [], set()
    for name, m in model.named_modules():
        if id(m) in seen:
            continue
        seen.add(id(m))
        if not m._modules or m._parameters:
            out.append((name or type(m).__name__, m))
    return out


#: ``hook(name, module, args, result, error)``, called after each wrapped call.
Hook = Callable[[str, Any, tuple, Any, BaseException | None], None]


@contextlib.contextmanager
def hooked(model, on_forward: Hook | None = None, on_backward: Hook | None = None,
           on_model_call: Callable[[], None] | None = None) -> Iterator[list]:
    """Wrap ``forward``/``backward`` of each leaf module of ``model``; restore them on exit.

    Each hook is called as ``hook(name, module, args, result, error)`` after
    the wrapped call (``error`` is the exception it raised, re-raised after
    the hook); ``on_model_call()`` runs before each call of ``model.forward``
    itself. Yields the list of ``(name, module)`` leaves.

    Don't ``copy.deepcopy`` the model inside the block: the copy would carry
    the wrappers, which call the original module.
    """
    leaves = _leaves(model)
    saved: list[tuple[Any, str, bool, Any]] = []
    try:
        for name, m in leaves:
            for attr, hook in (("forward", on_forward), ("backward", on_backward)):
                if hook is None:
                    continue
                had = attr in vars(m)
                saved.append((m, attr, had, vars(m).get(attr)))
                object.__setattr__(m, attr, _wrapper(getattr(m, attr), hook, name, m))
        if on_model_call is not None:
            saved.append((model, "forward", "forward" in vars(model), vars(model).get("forward")))
            inner = model.forward

            def model_forward(*args, **kwargs):
                on_model_call()
                return inner(*args, **kwargs)

            object.__setattr__(model, "forward", model_forward)
        yield leaves
    finally:
        for m, attr, had, old in reversed(saved):
            if had:
                object.__setattr__(m, attr, old)
            else:
                vars(m).pop(attr, None)


def _wrapper(fn: Callable, hook: Hook, name: str, module) -> Callable:
    def wrapped(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except Exception as e:
            hook(name, module, args, None, e)
            raise
        hook(name, module, args, result, None)
        return result

    wrapped.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapped


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def fmt(r):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    rule = "-" * len(fmt(header))
    return [fmt(header), rule] + [fmt(r) for r in rows] + [rule]


# ---------------------------------------------------------------------------- summary

@dataclass
class SummaryRow:
    """One layer call in a :class:`ModelSummary`."""

    name: str
    type: str
    input_shape: Any
    output_shape: Any
    num_params: int
    dtype: str
    param_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass
class ModelSummary:
    """Result of :func:`summary`: ``rows``, ``total_params``, ``total_bytes``; ``print`` it for the table."""

    model: str
    input_shape: tuple[int, ...]
    output_shape: Any
    rows: list[SummaryRow]
    total_params: int
    total_bytes: int

    def __str__(self) -> str:
        body = [[f"{r.name} ({r.type})", str(r.output_shape), f"{r.num_params:,}", r.dtype] for r in self.rows]
        lines = [f"Model: {self.model}    input shape {self.input_shape}"]
        lines += _table(["Layer (type)", "Output shape", "Param #", "dtype"], body, right={2})
        lines.append(f"Total params: {self.total_params:,} ({_bytes(self.total_bytes)})")
        lines.append(f"Output shape: {self.output_shape}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body = [[f"{r.name} ({r.type})", str(r.output_shape), r.num_params, r.dtype] for r in self.rows]
        return _html.block(
            f"Model: {self.model}    input shape {self.input_shape}",
            _html.table(["Layer (type)", "Output shape", "Param #", "dtype"], body, right={2}),
            footer=f"Total params: {self.total_params:,} ({_bytes(self.total_bytes)}); output shape {self.output_shape}",
        )


#: Rows shown by :func:`layers_html` before it summarises the rest in one line.
_MAX_HTML_ROWS = 200


def layers_html(model) -> str:
    """A model's layers as an HTML table: name, type and arguments, parameter shapes and counts.

    Unlike :func:`summary` it needs no input shape: nothing is run, so output
    shapes are not shown (``model.summary(input_shape)`` has them).
    """
    rows = []
    for name, m in _leaves(model):
        own = {k: p for k, p in m._parameters.items() if p is not None}
        shapes = ", ".join(f"{k} {tuple(p.shape)}" for k, p in own.items())
        rows.append([name, f"{type(m).__name__}({m.extra_repr()})", shapes or "-", sum(p.size for p in own.values())])
    hidden = len(rows) - _MAX_HTML_ROWS
    rows = rows[:_MAX_HTML_ROWS] + ([[f"... {hidden} more layers", "", "", ""]] if hidden > 0 else [])
    params = list(model.parameters())
    dtypes = sorted({p.data.dtype.name for p in params}) or ["-"]
    footer = (f"Total params: {sum(p.size for p in params):,} ({_bytes(sum(p.data.nbytes for p in params))}), "
              f"{'/'.join(dtypes)}; {'training' if model.training else 'eval'} mode. "
              "Output shapes: model.summary(input_shape).")
    return _html.block(type(model).__name__, _html.table(["Layer", "Type (arguments)", "Parameters", "Param #"], rows,
                                                        right={3}), footer=footer)


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - unreachable


def summary(model, input_shape, *, dtype=None) -> ModelSummary:
    """Layer-by-layer table of one forward pass: output shape, parameter count and dtype.

    The pass runs on a copy of the model in eval mode with a random input, so
    the model itself (its caches, BatchNorm statistics, Dropout generator) is
    untouched. ``Module.summary(input_shape)`` calls this (and checks that
    ``model`` is a ``Module``).

    Args:
        model: any ``Module``.
        input_shape: shape of one input batch, batch first, e.g. ``(32, 784)``.
        dtype: input dtype (default: the dtype of the model's first parameter,
            else float32).

    Returns:
        ModelSummary: ``rows`` (one per layer call), ``total_params``,
        ``total_bytes``; ``print(...)`` shows the table.

    Raises:
        ValueError / TypeError: when a layer refuses the input; the message
            names the layer and the shape it got.

    Example:
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1))
        >>> s = model.summary((8, 4))
        >>> s.total_params, [r.output_shape for r in s.rows]
        (23, [(8, 3), (8, 3), (8, 2)])
    """
    shape = check_shape("summary", "input_shape", input_shape, "(32, 784)")
    m = copy.deepcopy(model).eval()
    if dtype is None:
        dtype = model_dtype(m)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    rows: list[SummaryRow] = []
    counted: set[int] = set()

    def on_forward(name, mod, args, result, error):
        own = dict(mod._parameters)
        n = 0 if id(mod) in counted else sum(p.size for p in own.values() if p is not None)
        counted.add(id(mod))
        out_shape = f"error: {type(error).__name__}" if error is not None else _shape_of(result)
        rows.append(SummaryRow(name, type(mod).__name__, _shape_of(args[0]) if args else "-", out_shape, n,
                               _dtype_of(result) if error is None else "-",
                               {k: p.shape for k, p in own.items() if p is not None}))

    with hooked(m, on_forward=on_forward) as leaves:
        try:
            out = m(x)
        except (ValueError, TypeError) as e:
            last = rows[-1] if rows else None
            where = f" at layer {last.name} ({last.type}), which got input shape {last.input_shape}" if last else ""
            raise type(e)(f"model.summary{where}: {e}") from e
    for name, mod in leaves:
        if id(mod) not in counted:
            n = sum(p.size for p in mod._parameters.values() if p is not None)
            rows.append(SummaryRow(name, type(mod).__name__, "-", "(not called)", n, "-"))
    params = list(model.parameters())
    return ModelSummary(type(model).__name__, shape, _shape_of(out), rows,
                        sum(p.size for p in params), sum(p.data.nbytes for p in params))
