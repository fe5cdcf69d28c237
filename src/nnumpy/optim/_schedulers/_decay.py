"""Epoch schedules with a formula: step, milestone, exponential, cosine, constant, linear and polynomial decay.

Each ``get_lr`` is PyTorch's recursive form (the current ``lr`` times a
ratio), so schedulers compose (``ChainedScheduler``); ``_get_closed_form_lr``
is the direct formula, used when :class:`SequentialLR` restarts a scheduler.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from typing import Any, Iterable, Mapping

from ..._validation import check_float, check_int, param_error
from .._optimizer import Optimizer
from ._base import LRScheduler

__all__ = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "ConstantLR", "LinearLR", "PolynomialLR"]


class StepLR(LRScheduler):
    """Step decay: ``lr_t = lr_0 · γ^⌊t / step_size⌋``.

    Computed recursively as in PyTorch (the current ``lr`` is multiplied by
    ``γ`` every ``step_size`` epochs), so it composes with other changes to ``lr``.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        step_size: epochs between decays, > 0.
        gamma: multiplicative factor, > 0. Default: ``0.1``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=0.1)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     opt.step(); lrs.append(sched.get_last_lr()[0]); sched.step()
        >>> lrs
        [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    _state_keys = LRScheduler._state_keys + ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = check_int("StepLR", "step_size", step_size, gt=0)
        self.gamma = check_float("StepLR", "gamma", gamma, gt=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Decay at milestones: ``lr_t = lr_0 · γ^(number of milestones ≤ t)``.

    A milestone listed twice decays twice, as in PyTorch.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        milestones: epoch indices (ints >= 0) at which ``lr`` is multiplied by ``γ``.
        gamma: multiplicative factor, > 0. Default: ``0.1``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(4):
        ...     opt.step(); lrs.append(sched.get_last_lr()[0]); sched.step()
        >>> lrs
        [1.0, 0.5, 0.5, 0.25]
    """

    _state_keys = LRScheduler._state_keys + ("milestones", "gamma")

    def __init__(
        self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise param_error("MultiStepLR", "milestones", "a list of ints", milestones, TypeError)
        self.milestones = Counter(
            check_int("MultiStepLR", f"milestones[{i}]", m, ge=0) for i, m in enumerate(milestones)
        )
        self.gamma = check_float("MultiStepLR", "gamma", gamma, gt=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = self.gamma ** bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * factor for base in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["milestones"] = sorted(self.milestones.elements())
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        milestones = state_dict["milestones"]
        # Also accept PyTorch's Counter (a mapping milestone -> multiplicity).
        self.milestones = Counter(milestones) if isinstance(milestones, Mapping) else Counter(map(int, milestones))


class ExponentialLR(LRScheduler):
    """Exponential decay: ``lr_t = lr_0 · γ^t``.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        gamma: multiplicative factor per epoch, > 0.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = ExponentialLR(opt, gamma=0.5)
        >>> sched.step(); sched.step(); sched.get_last_lr()
        [0.25]
    """

    _state_keys = LRScheduler._state_keys + ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_float("ExponentialLR", "gamma", gamma, gt=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # The constructor's step must not decay: resuming with last_epoch >= 0 keeps the loaded lr.
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing: ``lr_t = η_min + (lr_0 - η_min) · (1 + cos(π·t / T_max)) / 2``.

    Uses PyTorch's recursive form (SGDR, Loshchilov & Hutter 2017, without
    restarts), which equals the closed form to rounding while ``lr`` is only
    changed by this scheduler. After ``T_max`` epochs the rate rises again
    along the same cosine, as in PyTorch.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        T_max: epochs of a half period, > 0.
        eta_min: minimum learning rate, >= 0. Default: ``0.0``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = CosineAnnealingLR(opt, T_max=2)
        >>> sched.step(); round(sched.get_last_lr()[0], 12)  # (1 + cos(π/2)) / 2
        0.5
    """

    _state_keys = LRScheduler._state_keys + ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = check_int("CosineAnnealingLR", "T_max", T_max, gt=0)
        self.eta_min = check_float("CosineAnnealingLR", "eta_min", eta_min, ge=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:
            # Resumed with last_epoch >= 0: no previous lr to recurse from, use the closed form.
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            # Leaving the minimum: the ratio form would divide by 1 + cos(π) = 0.
            return [
                lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base, lr in zip(self.base_lrs, self._current_lrs(), strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        return [eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2 for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Constant factor for a while: ``lr_t = lr_0 · factor`` for ``t < total_iters``, then ``lr_0``.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        factor: multiplier until ``total_iters``, in (0, 1]. Default: ``1/3``.
            (PyTorch accepts 0 and then divides by it at ``total_iters``.)
        total_iters: epochs at the reduced rate, > 0. Default: ``5``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.5, 1.0, 1.0]
    """

    _state_keys = LRScheduler._state_keys + ("factor", "total_iters")

    def __init__(
        self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1
    ) -> None:
        self.factor = check_float("ConstantLR", "factor", factor, gt=0, le=1)
        self.total_iters = check_int("ConstantLR", "total_iters", total_iters, gt=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * factor for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear ramp of the factor: ``lr_t = lr_0 · (s + (e - s) · min(t, total_iters) / total_iters)``.

    The usual warm-up: ``start_factor`` small, ``end_factor=1``; chain it
    before a decay with :class:`SequentialLR`. Recursive form as in PyTorch.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        start_factor: factor ``s`` at epoch 0, in (0, 1]. Default: ``1/3``.
        end_factor: factor ``e`` from ``total_iters`` on, in [0, 1]. Default: ``1.0``.
        total_iters: epochs of the ramp, > 0. Default: ``5``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    _state_keys = LRScheduler._state_keys + ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = check_float("LinearLR", "start_factor", start_factor, gt=0, le=1)
        self.end_factor = check_float("LinearLR", "end_factor", end_factor, ge=0, le=1)
        self.total_iters = check_int("LinearLR", "total_iters", total_iters, gt=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, s, e, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or t > T:
            return self._current_lrs()
        # factor(t) / factor(t - 1), with factor(t) = s + (e - s)·t/T scaled by T.
        ratio = 1.0 + (e - s) / (T * s + (t - 1) * (e - s))
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        s, e, T = self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(T, self.last_epoch) / T) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Polynomial decay to zero: ``lr_t = lr_0 · (1 - min(t, total_iters) / total_iters)^power``.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        total_iters: epochs until the rate reaches 0, > 0. Default: ``5``.
        power: exponent, >= 0 (``1`` is linear decay). Default: ``1.0``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = PolynomialLR(opt, total_iters=4, power=2.0)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(5):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    _state_keys = LRScheduler._state_keys + ("total_iters", "power")

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> None:
        self.total_iters = check_int("PolynomialLR", "total_iters", total_iters, gt=0)
        self.power = check_float("PolynomialLR", "power", power, ge=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T = self.last_epoch, self.total_iters
        if self._is_initial or t > T:
            return self._current_lrs()
        decay = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * decay for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base * factor for base in self.base_lrs]
