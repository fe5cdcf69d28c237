"""Schedules given as Python functions of the epoch: LambdaLR and MultiplicativeLR.

A function cannot go into a state dict (nnumpy never pickles). As in
PyTorch, ``state_dict()`` stores ``None`` for a plain function and a copy of
the attributes (``__dict__``) of a callable object; ``load_state_dict``
restores those attributes into the callables the new scheduler was built with.
"""

from __future__ import annotations

import types
from typing import Any, Callable, Mapping

from ..._validation import param_error
from .._optimizer import Optimizer
from ._base import LRScheduler, check_optimizer

__all__ = ["LambdaLR", "MultiplicativeLR"]


def _lambdas(owner: str, lr_lambda: Any, optimizer: Any) -> list[Callable[[int], float]]:
    n_groups = len(check_optimizer(owner, optimizer).param_groups)
    expected = f"a function of the epoch, or a list of {n_groups} functions (one per parameter group)"
    fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n_groups
    if len(fns) != n_groups:
        raise param_error(owner, "lr_lambda", expected, lr_lambda)
    if not all(callable(fn) for fn in fns):
        raise param_error(owner, "lr_lambda", expected, lr_lambda, TypeError)
    return fns


class _LambdaState(LRScheduler):
    """The ``lr_lambdas`` entry of the state dict, shared by both classes."""

    lr_lambdas: list[Callable[[int], float]]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__") else dict(vars(fn))
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        saved = state_dict.get("lr_lambdas")
        if saved is None:
            return
        if len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict has {len(saved)} lr_lambdas entries, "
                f"this scheduler {len(self.lr_lambdas)}."
            )
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                vars(fn).update(attributes)


class LambdaLR(_LambdaState):
    """A factor from a function: ``lr_t = lr_0 · λ(t)``.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        lr_lambda: a function of the epoch index returning the factor, or a
            list with one function per parameter group.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = LambdaLR(opt, lr_lambda=lambda epoch: 1 / (1 + epoch))
        >>> opt.step(); sched.step(); opt.step(); sched.step(); sched.get_last_lr()
        [0.3333333333333333]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambdas = _lambdas("LambdaLR", lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_LambdaState):
    """A factor per epoch from a function: ``lr_t = lr_(t-1) · λ(t)`` (``lr_0`` unchanged at epoch 0).

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        lr_lambda: a function of the epoch index returning the factor, or a
            list with one function per parameter group.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
        >>> opt.step(); sched.step(); opt.step(); sched.step(); sched.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambdas = _lambdas("MultiplicativeLR", lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs(), strict=True)]
