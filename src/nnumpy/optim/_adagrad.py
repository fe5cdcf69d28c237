"""Adagrad (Duchi, Hazan & Singer, 2011) with PyTorch's learning-rate decay."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from ..nn._module import Parameter
from ._optimizer import Optimizer, nonnegative_float

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: ``s ← s + g²``, ``θ ← θ - lr_t·g / (√s + ε)`` with ``lr_t = lr / (1 + (t-1)·η)``.

    As in ``torch.optim.Adagrad``: ``s`` starts at ``initial_accumulator_value``
    and the state of every parameter is created when the optimizer is built
    (so ``state_dict()`` lists every parameter from the start). Weight decay
    adds ``λ·θ`` to the gradient.

    Args:
        params: iterable of ``Parameter``s or of parameter-group dicts.
        lr: learning rate, > 0. Default: ``1e-2``.
        lr_decay: η, >= 0. Default: ``0``.
        weight_decay: λ, >= 0. Default: ``0``.
        initial_accumulator_value: start value of ``s``, >= 0. Default: ``0``.
        eps: ε added to the denominator, >= 0. Default: ``1e-10``.
        maximize: ascend the objective instead of descending. Default: ``False``.

    State (per parameter): ``step`` (int) and ``sum``.

    Example:
        >>> import numpy as np
        >>> from nnumpy.nn import Parameter
        >>> w = Parameter(np.array([1.0]))
        >>> opt = Adagrad([w], lr=0.5, initial_accumulator_value=5.0, eps=0.0)
        >>> w.grad = np.array([2.0]); opt.step()
        >>> w.data  # s = 5 + 4 = 9, θ = 1 - 0.5·2/3
        array([0.66666667])
    """

    _param_specs = {
        **Optimizer._param_specs,
        "lr_decay": nonnegative_float,
        "initial_accumulator_value": nonnegative_float,
        "eps": nonnegative_float,
    }

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize))

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = self._init_state(p, group)

    def _init_state(self, param: Parameter, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(param.data, group["initial_accumulator_value"])}

    def _step_group(self, group, *, lr, weight_decay, maximize, lr_decay, initial_accumulator_value, eps) -> None:
        for p, state in self._active(group):
            state["step"] = step = state["step"] + 1
            g = -p.grad if maximize else p.grad
            if weight_decay != 0:
                g = g + weight_decay * p.data
            clr = lr / (1 + (step - 1) * lr_decay)  # the decayed learning rate
            state["sum"] += g * g  # G ← G + g²
            p.data -= clr * (g / (np.sqrt(state["sum"]) + eps))
