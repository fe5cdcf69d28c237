"""Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .._validation import check_bool, check_float, param_error
from ..nn._module import Parameter
from ._optimizer import Optimizer, nonnegative_float

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD: ``b ← μ·b + (1-τ)·g``, ``θ ← θ - lr·(g + μ·b if nesterov else b)``, ``g = ∇θ + λ·θ``.

    Follows the algorithm documented for ``torch.optim.SGD``: the momentum
    buffer starts as the first gradient (no dampening on step 1); with
    ``momentum=0`` the update is ``θ ← θ - lr·g``; ``maximize`` negates the
    gradient before weight decay.

    Args:
        params: iterable of ``Parameter``s or of parameter-group dicts.
        lr: learning rate, > 0. Default: ``1e-3``.
        momentum: momentum factor μ, >= 0. Default: ``0``.
        dampening: dampening τ of the momentum. Default: ``0``.
        weight_decay: L2 penalty λ, >= 0. Default: ``0``.
        nesterov: Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
            Default: ``False``.
        maximize: ascend the objective instead of descending. Default: ``False``.

    State (per parameter, only when ``momentum != 0``): ``momentum_buffer``.

    Example:
        >>> import numpy as np
        >>> from nnumpy.nn import Parameter
        >>> w = Parameter(np.array([1.0, 2.0]))
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     w.grad = np.array([1.0, -1.0]); opt.step()
        >>> w.data  # b1 = g, b2 = 0.9*g + g = 1.9*g; θ = θ0 - 0.1*(1 + 1.9)*g
        array([0.71, 2.29])
    """

    _param_specs = {
        **Optimizer._param_specs,
        "momentum": nonnegative_float,
        "dampening": check_float,
        "nesterov": check_bool,
    }

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _check_combination(self, group: dict[str, Any]) -> None:
        # Same rule as torch.optim.SGD: Nesterov's look-ahead is defined for undamped momentum.
        if group.get("nesterov") and (group.get("momentum", 0) <= 0 or group.get("dampening", 0) != 0):
            raise param_error(
                type(self).__name__,
                "nesterov",
                f"False unless momentum > 0 and dampening == 0 (momentum={group.get('momentum')}, "
                f"dampening={group.get('dampening')})",
                True,
            )

    def _step_group(self, group, *, lr, weight_decay, maximize, momentum, dampening, nesterov) -> None:
        for p in self._with_grad(group):
            d_p = -p.grad if maximize else p.grad  # PyTorch negates first, then adds the weight decay
            if weight_decay != 0:
                d_p = d_p + weight_decay * p.data
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    # The first buffer is the gradient itself (PyTorch: no dampening on step 1).
                    buf = state["momentum_buffer"] = np.array(d_p, copy=True)
                else:
                    buf *= momentum
                    buf += (1 - dampening) * d_p
                d_p = d_p + momentum * buf if nesterov else buf
            p.data -= lr * d_p
