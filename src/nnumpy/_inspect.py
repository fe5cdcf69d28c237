"""Look inside a model: ``summary`` (layers, shapes, parameter counts) and ``trace``.

Both work by temporarily wrapping the ``forward`` (and for ``trace`` the
``backward``) of each leaf module, the modules that do the computing. The
wrappers are instance attributes that shadow the class's methods; they are
removed on exit, even when the model raises, so the model is left exactly
as it was.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from ._validation import check_shape
from .nn._module import Module

__all__ = ["summary", "ModelSummary", "SummaryRow", "trace", "Trace", "TraceRecord"]


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


def model_dtype(model: Module) -> np.dtype:
    """The dtype of the model's first parameter; float32 for a model without parameters."""
    first = next(iter(model.parameters()), None)
    return first.data.dtype if first is not None else np.dtype(np.float32)


def _leaves(model: Module) -> list[tuple[str, Module]]:
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


Hook = Callable[[str, Module, tuple, Any, BaseException | None], None]


@contextlib.contextmanager
def hooked(model: Module, on_forward: Hook | None = None, on_backward: Hook | None = None,
           on_model_call: Callable[[], None] | None = None) -> Iterator[list]:
    """Wrap ``forward``/``backward`` of each leaf module of ``model``; restore them on exit.

    Each hook is called as ``hook(name, module, args, result, error)`` after
    the wrapped call (``error`` is the exception it raised, re-raised after
    the hook); ``on_model_call()`` runs before each call of ``model.forward``
    itself. Yields the list of ``(name, module)`` leaves.

    Don't ``copy.deepcopy`` the model inside the block: the copy would carry
    the wrappers, which call the original module.
    """
    if not isinstance(model, Module):
        raise TypeError(f"expected an nnumpy Module, got {type(model).__name__}.")
    leaves = _leaves(model)
    saved: list[tuple[Module, str, bool, Any]] = []
    try:
        for name, m in leaves:
            attrs = [("forward", on_forward), ("backward", on_backward)]
            if _skips_backward(m):
                attrs.append(("_backward_params_only", on_backward))
            for attr, hook in attrs:
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


def _skips_backward(m: Module) -> bool:
    """True when ``m`` has its own parameters-only backward (Linear as the first layer of a
    ``Sequential.backward(..., input_grad=False)``), which does not go through ``backward``."""
    base = getattr(Module, "_backward_params_only", None)
    own = getattr(type(m), "_backward_params_only", None)
    return base is not None and own is not None and own is not base and not m._modules


def _wrapper(fn: Callable, hook: Hook, name: str, module: Module) -> Callable:
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


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - unreachable


def summary(model: Module, input_shape, *, dtype=None) -> ModelSummary:
    """Layer-by-layer table of one forward pass: output shape, parameter count and dtype.

    The pass runs on a copy of the model in eval mode with a random input, so
    the model itself (its caches, BatchNorm statistics, Dropout generator) is
    untouched. ``Module.summary(input_shape)`` calls this.

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
        >>> s = summary(model, (8, 4))
        >>> s.total_params, [r.output_shape for r in s.rows]
        (23, [(8, 3), (8, 3), (8, 2)])
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary expects an nnumpy Module, got {type(model).__name__}.")
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


# ---------------------------------------------------------------------------- trace

@dataclass
class TraceRecord:
    """One call seen by :func:`trace`.

    For ``phase == 'forward'``: ``in_shape`` is the input's, ``out_shape`` the
    output's. For ``'backward'``: ``in_shape`` is grad_output's and
    ``out_shape`` grad_input's; ``param_shapes`` then holds the shapes of the
    layer's ``param.grad``.
    """

    step: int
    phase: str
    name: str
    type: str
    in_shape: Any
    out_shape: Any
    dtype: str
    param_shapes: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class Trace:
    """Context manager returned by :func:`trace`: ``records`` and ``str(t)``."""

    def __init__(self, model: Module, *, print: bool = True, file=None):
        if not isinstance(model, Module):
            raise TypeError(f"trace expects an nnumpy Module, got {type(model).__name__}.")
        self.model = model
        self.print = bool(print)
        self.file = file
        self.records: list[TraceRecord] = []
        self._done = False
        self._seen_backward = False
        self._model_calls = 0
        self._stack: contextlib.ExitStack | None = None

    # The trace covers one batch: it stops at the second call of the model itself,
    # or at the first layer forward after a backward (the next batch).
    def _on_model_call(self):
        self._model_calls += 1
        if self._model_calls > 1:
            self._done = True

    def _on_forward(self, name, mod, args, result, error):
        if self._done:
            return
        if self._seen_backward:
            self._done = True
            return
        self._add("forward", name, mod, args, result, error,
                  {k: p.shape for k, p in mod._parameters.items() if p is not None})

    def _on_backward(self, name, mod, args, result, error):
        if self._done:
            return
        self._seen_backward = True
        self._add("backward", name, mod, args, result, error,
                  {k: (None if p.grad is None else p.grad.shape) for k, p in mod._parameters.items() if p is not None})

    def _add(self, phase, name, mod, args, result, error, params):
        self.records.append(TraceRecord(
            step=len(self.records) + 1, phase=phase, name=name, type=type(mod).__name__,
            in_shape=_shape_of(args[0]) if args else "-",
            out_shape="-" if error is not None or (phase == "backward" and result is None) else _shape_of(result),
            dtype="-" if error is not None else _dtype_of(result),
            param_shapes=params,
            error="" if error is None else f"{type(error).__name__}: {error}",
        ))

    def __enter__(self) -> "Trace":
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(hooked(self.model, self._on_forward, self._on_backward, self._on_model_call))
        return self

    def __exit__(self, *exc) -> bool:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()
        if self.print:
            builtins.print(str(self), file=self.file if self.file is not None else sys.stdout)
        return False

    def __str__(self) -> str:
        if not self.records:
            return f"trace of {type(self.model).__name__}: no layer was called inside the with-block"
        body = []
        for r in self.records:
            arrow = f"{r.in_shape} -> {r.out_shape}"
            if r.phase == "forward":
                params = ", ".join(f"{k} {s}" for k, s in r.param_shapes.items())
            else:
                params = ", ".join(f"{k}.grad {s}" for k, s in r.param_shapes.items())
            body.append([str(r.step), r.phase, r.name, r.type, arrow, r.dtype, r.error or params])
        n_fwd = sum(r.phase == "forward" for r in self.records)
        lines = [f"trace of {type(self.model).__name__}: {n_fwd} forward and "
                 f"{len(self.records) - n_fwd} backward calls (backward reads grad_output -> grad_input)"]
        lines += _table(["#", "pass", "layer", "type", "input -> output", "dtype", "parameters"], body, right={0})
        return "\n".join(lines)

    __repr__ = __str__


def trace(model: Module, *, print: bool = True, file=None) -> Trace:
    """Record each layer's forward and backward shapes for one batch.

    Use it as a context manager around one forward and backward pass. Every
    leaf layer's ``forward``/``backward`` is wrapped for the duration of the
    block and restored on exit, even if the block raises (a layer that fails
    shows up in the table with its error, which is often the quickest way to
    see a shape mismatch). Recording covers one batch: it stops at the
    second call of ``model`` itself, or at the first forward after a backward.

    Args:
        model: the model (any ``Module``).
        print: print the table when the block ends (default True).
        file: where to print (default ``sys.stdout``).

    Returns:
        Trace: ``records`` (a list of :class:`TraceRecord`), ``str(t)`` the table.

    Example:
        >>> import numpy as np
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU())
        >>> with trace(model, print=False) as t:
        ...     y = model(np.ones((2, 4)))
        ...     g = model.backward(np.ones_like(y))
        >>> for r in t.records:
        ...     print(r.phase, r.name, r.in_shape, r.out_shape)
        forward 0 (2, 4) (2, 3)
        forward 1 (2, 3) (2, 3)
        backward 1 (2, 3) (2, 3)
        backward 0 (2, 3) (2, 4)
    """
    return Trace(model, print=print, file=file)
