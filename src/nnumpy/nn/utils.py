"""Gradient clipping with ``torch.nn.utils`` semantics: ``clip_grad_norm_`` and ``clip_grad_value_``.

Call them between ``loss.backward()`` / ``model.backward(...)`` and
``optimizer.step()``. Both change each ``param.grad`` in place (keeping its
dtype) and skip parameters whose gradient is ``None``.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .._validation import check_float, param_error
from ._module import Parameter

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(owner: str, parameters: Any) -> list[np.ndarray]:
    """The gradients of ``parameters`` (one Parameter or an iterable of them) that are not None."""
    if isinstance(parameters, Parameter):
        parameters = [parameters]
    elif isinstance(parameters, (str, bytes, np.ndarray)) or not isinstance(parameters, Iterable):
        raise param_error(owner, "parameters", "a Parameter or an iterable of Parameters (model.parameters())",
                          parameters, TypeError)
    grads = []
    for i, p in enumerate(parameters):
        if not isinstance(p, Parameter):
            raise TypeError(f"{owner}: parameters[{i}] is {type(p).__name__}, not an nnumpy.nn.Parameter.")
        if p.grad is not None:
            grads.append(p.grad)
    return grads


def _norm_type(owner: str, norm_type: Any) -> float:
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        return math.inf
    return check_float(owner, "norm_type", norm_type, gt=0, allow_inf=True)


def clip_grad_norm_(
    parameters: Parameter | Iterable[Parameter],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> float:
    """Rescale gradients so their total norm is at most ``max_norm``: ``g ← g · min(1, max_norm / (‖g‖ + 1e-6))``.

    ``‖g‖`` is the ``norm_type``-norm of all gradients together, as if they
    were concatenated into one vector (``inf``: the largest ``|g|``). The
    1e-6 keeps the division finite, as in PyTorch.

    Args:
        parameters: a ``Parameter`` or an iterable of them (``model.parameters()``);
            those whose ``grad`` is ``None`` are skipped.
        max_norm: the largest total norm allowed, >= 0.
        norm_type: the p of the p-norm, a float > 0 or ``inf`` (``'inf'``). Default: ``2.0``.
        error_if_nonfinite: raise ``RuntimeError`` when the total norm is NaN or
            infinite, instead of scaling by it (which turns the gradients into
            NaN or 0, as in PyTorch). Default: ``False``.
        foreach: accepted for PyTorch compatibility, ignored (NumPy has one code path).

    Returns:
        The total norm of the gradients before clipping, a Python float (``0.0`` when none has a gradient).

    Example:
        >>> p = Parameter(np.zeros(2)); p.grad = np.array([3.0, 4.0])
        >>> clip_grad_norm_([p], max_norm=1.0)
        5.0
        >>> p.grad.round(6)  # [3, 4] / (5 + 1e-6)
        array([0.6, 0.8])
    """
    owner = "clip_grad_norm_"
    max_norm = check_float(owner, "max_norm", max_norm, ge=0, allow_inf=True)  # inf: measure only
    p = _norm_type(owner, norm_type)
    grads = _grads(owner, parameters)
    if not grads:
        return 0.0
    flat = [np.abs(g, dtype=np.float64).ravel() for g in grads]  # norms in float64, whatever the grad dtype
    if p == math.inf:
        total = max(float(a.max(initial=0.0)) for a in flat)
    else:
        total = float(np.linalg.norm(np.array([np.linalg.norm(a, ord=p) for a in flat]), ord=p))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} of the gradients is non-finite ({total}), so it cannot be "
            "clipped: find where the loss or a gradient overflows, or pass error_if_nonfinite=False to "
            "scale by it anyway."
        )
    coef = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    for g in grads:
        np.multiply(g, np.asarray(coef, dtype=g.dtype), out=g)
    return total


def clip_grad_value_(
    parameters: Parameter | Iterable[Parameter], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place.

    Args:
        parameters: a ``Parameter`` or an iterable of them; those whose ``grad`` is ``None`` are skipped.
        clip_value: the largest ``|g|`` allowed, >= 0.
        foreach: accepted for PyTorch compatibility, ignored.

    Example:
        >>> p = Parameter(np.zeros(3)); p.grad = np.array([-3.0, 0.5, 2.0])
        >>> clip_grad_value_(p, clip_value=1.0); p.grad
        array([-1. ,  0.5,  1. ])
    """
    clip_value = check_float("clip_grad_value_", "clip_value", clip_value, ge=0)
    for g in _grads("clip_grad_value_", parameters):
        np.clip(g, -clip_value, clip_value, out=g)


