"""Adam and AdamW (one implementation; AdamW only switches to decoupled weight decay)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..nn._module import Parameter
from .._validation import check_bool
from ._optimizer import Optimizer, check_betas, nonnegative_float

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: ``m ← β1·m + (1-β1)·g``, ``v ← β2·v + (1-β2)·g²``, ``θ ← θ - lr·m̂ / (√v̂ + ε)``.

    ``m̂ = m / (1-β1ᵗ)`` and ``v̂ = v / (1-β2ᵗ)`` are the bias-corrected moments
    (Kingma & Ba, 2015), computed as in ``torch.optim.Adam``:
    ``θ ← θ - (lr / (1-β1ᵗ)) · m / (√v / √(1-β2ᵗ) + ε)``. With ``amsgrad`` the
    running maximum of ``v`` replaces ``v`` (Reddi et al., 2018). Weight decay
    adds ``λ·θ`` to the gradient, or, with ``decoupled_weight_decay=True``
    (AdamW), scales ``θ ← θ·(1 - lr·λ)`` before the update.

    Args:
        params: iterable of ``Parameter``s or of parameter-group dicts.
        lr: learning rate, > 0. Default: ``1e-3``.
        betas: ``(β1, β2)``, each in [0, 1). Default: ``(0.9, 0.999)``.
        eps: ε added to the denominator, >= 0. Default: ``1e-8``.
        weight_decay: λ, >= 0. Default: ``0``.
        amsgrad: use the AMSGrad variant. Default: ``False``.
        maximize: ascend the objective instead of descending. Default: ``False``.
        decoupled_weight_decay: AdamW-style decay. Default: ``False``.

    State (per parameter): ``step`` (int), ``exp_avg``, ``exp_avg_sq`` and,
    with ``amsgrad``, ``max_exp_avg_sq``.

    Example:
        >>> import numpy as np
        >>> from nnumpy.nn import Parameter
        >>> w = Parameter(np.array([1.0, -1.0]))
        >>> opt = Adam([w], lr=0.1)
        >>> w.grad = np.array([0.5, -2.0]); opt.step()
        >>> w.data  # step 1: m̂ = g, v̂ = g², so θ moves by lr·sign(g)
        array([ 0.9, -0.9])
    """

    _param_specs = {
        **Optimizer._param_specs,
        "betas": check_betas,
        "eps": nonnegative_float,
        "amsgrad": check_bool,
        "decoupled_weight_decay": check_bool,
    }

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, maximize: bool = False, decoupled_weight_decay: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def _init_state(self, param: Parameter, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": np.zeros_like(param.data), "exp_avg_sq": np.zeros_like(param.data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param.data)
        return state

    def _step_group(self, group, *, lr, weight_decay, maximize, betas, eps, amsgrad, decoupled_weight_decay) -> None:
        beta1, beta2 = betas
        for p, state in self._active(group):
            state["step"] = step = state["step"] + 1
            g = -p.grad if maximize else p.grad
            if weight_decay != 0:
                if decoupled_weight_decay:
                    p.data *= 1 - lr * weight_decay  # AdamW: decay the weights, not the gradient
                else:
                    g = g + weight_decay * p.data
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - beta1) * (g - m)  # m ← β1·m + (1 − β1)·g, written as PyTorch's m.lerp_(g, 1 − β1)
            v *= beta2
            v += (1 - beta2) * g * g  # v ← β2·v + (1 − β2)·g²
            if amsgrad:
                np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                v = state["max_exp_avg_sq"]
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            denom = np.sqrt(v) / bias_correction2**0.5 + eps
            p.data -= (lr / bias_correction1) * (m / denom)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, ``θ ← θ·(1 - lr·λ)`` then the Adam update.

    Loshchilov & Hutter (2019); identical to ``Adam(..., decoupled_weight_decay=True)``
    and to ``torch.optim.AdamW`` (whose default ``weight_decay`` is ``1e-2``).

    Args:
        params: iterable of ``Parameter``s or of parameter-group dicts.
        lr: learning rate, > 0. Default: ``1e-3``.
        betas: ``(β1, β2)``, each in [0, 1). Default: ``(0.9, 0.999)``.
        eps: ε added to the denominator, >= 0. Default: ``1e-8``.
        weight_decay: decoupled decay λ, >= 0. Default: ``1e-2``.
        amsgrad: use the AMSGrad variant. Default: ``False``.
        maximize: ascend the objective instead of descending. Default: ``False``.

    Example:
        >>> import numpy as np
        >>> from nnumpy.nn import Parameter
        >>> w = Parameter(np.array([2.0]))
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = np.array([3.0]); opt.step()
        >>> w.data  # 2·(1 - 0.1·0.5) - 0.1·sign(3)
        array([1.8])
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)
