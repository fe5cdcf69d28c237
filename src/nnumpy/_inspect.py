"""``trace``: record every layer's forward and backward call for one batch.

It wraps each leaf module's ``forward`` and ``backward`` with the helpers of
``nn/_summary.py`` (where ``Module.summary`` lives) and removes the wrappers on
exit, so the model is left exactly as it was.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .nn._module import Module
from .nn._summary import ModelSummary, SummaryRow, _dtype_of, _shape_of, _table, hooked, model_dtype, summary

__all__ = ["summary", "ModelSummary", "SummaryRow", "trace", "Trace", "TraceRecord", "hooked", "model_dtype"]


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
