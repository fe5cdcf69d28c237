"""RMSprop (Hinton's lecture 6e), with PyTorch's centered and momentum variants."""

from __future__ import annotations

from functools import partial
from typing import Any, Iterable

import numpy as np

from .._validation import check_bool, check_float
from ..nn._module import Parameter
from ._optimizer import Optimizer, nonnegative_float

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: ``v ← α·v + (1-α)·g²``, ``θ ← θ - lr·g / (√v + ε)``.

    As in ``torch.optim.RMSprop``: with ``centered`` the denominator is
    ``√(v - ḡ²) + ε`` where ``ḡ ← α·ḡ + (1-α)·g``; with ``momentum`` μ > 0 the
    update is ``b ← μ·b + g / denom``, ``θ ← θ - lr·b``. Weight decay adds
    ``λ·θ`` to the gradient.

    Args:
        params: iterable of ``Parameter``s or of parameter-group dicts.
        lr: learning rate, > 0. Default: ``1e-2``.
        alpha: smoothing constant α, in [0, 1]. Default: ``0.99``.
        eps: ε added to the denominator, >= 0. Default: ``1e-8``.
        weight_decay: λ, >= 0. Default: ``0``.
        momentum: μ, >= 0. Default: ``0``.
        centered: normalise by the estimated variance of the gradient. Default: ``False``.
        maximize: ascend the objective instead of descending. Default: ``False``.

    State (per parameter): ``step`` (int), ``square_avg``, plus ``momentum_buffer``
    when ``momentum > 0`` and ``grad_avg`` when ``centered``.

    Example:
        >>> import numpy as np
        >>> from nnumpy.nn import Parameter
        >>> w = Parameter(np.array([1.0]))
        >>> opt = RMSprop([w], lr=0.01, alpha=0.75, eps=0.0)
        >>> w.grad = np.array([4.0]); opt.step()
        >>> w.data  # v = 0.25·16 = 4, θ = 1 - 0.01·4/2
        array([0.98])
    """

    _param_specs = {
        **Optimizer._param_specs,
        "alpha": partial(check_float, ge=0, le=1),
        "eps": nonnegative_float,
        "momentum": nonnegative_float,
        "centered": check_bool,
    }

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _init_state(self, param: Parameter, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": np.zeros_like(param.data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param.data)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param.data)
        return state

    def _step_group(self, group, *, lr, weight_decay, maximize, alpha, eps, momentum, centered) -> None:
        for p, state in self._active(group):
            state["step"] += 1
            g = -p.grad if maximize else p.grad
            if weight_decay != 0:
                g = g + weight_decay * p.data
            v = state["square_avg"]
            v *= alpha
            v += (1 - alpha) * g * g  # v ← α·v + (1 − α)·g²
            if centered:
                g_avg = state["grad_avg"]
                g_avg += (1 - alpha) * (g - g_avg)  # ḡ ← α·ḡ + (1 − α)·g, as PyTorch's lerp_
                denom = np.sqrt(v - g_avg * g_avg) + eps
            else:
                denom = np.sqrt(v) + eps
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += g / denom  # b ← μ·b + g / denom
                p.data -= lr * buf
            else:
                p.data -= lr * (g / denom)
