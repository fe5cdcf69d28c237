"""Schedules that go up and down: CyclicLR, OneCycleLR and CosineAnnealingWarmRestarts.

CyclicLR and OneCycleLR are meant to be stepped once per batch (``fit``
steps a scheduler once per epoch, so there a "step" is an epoch). With
``cycle_momentum`` they also move the optimizer's momentum (SGD, RMSprop) or
``betas[0]`` (Adam) opposite to the learning rate, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
import types
from typing import Any, Callable, Mapping

from ..._validation import check_bool, check_choice, check_float, check_int, param_error
from .._optimizer import Optimizer
from ._base import LRScheduler, check_momentum_support, check_optimizer, per_group, set_momentum

__all__ = ["CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts"]


class CyclicLR(LRScheduler):
    """Cyclical learning rate (Smith 2017): ``lr`` moves between ``base_lr`` and ``max_lr`` along a triangle.

    With ``c = ⌊1 + t / (up + down)⌋`` the cycle and ``x`` the position in it,
    ``lr_t = base_lr + (max_lr - base_lr) · h(x) · scale(c or t)``, where the
    height ``h`` rises from 0 to 1 over ``step_size_up`` steps and falls back
    over ``step_size_down``. ``scale`` is 1 (``'triangular'``), halves every
    cycle (``'triangular2'``) or is ``gamma^t`` (``'exp_range'``). The
    constructor sets ``lr`` to ``base_lr``; momentum cycles from
    ``max_momentum`` down to ``base_momentum`` and back.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        base_lr: lower bound, a float >= 0 or one per parameter group.
        max_lr: upper bound, a float >= 0 or one per parameter group.
        step_size_up: steps of the rising half, > 0. Default: ``2000``.
        step_size_down: steps of the falling half, > 0. Default: ``None`` (= ``step_size_up``).
        mode: ``'triangular'``, ``'triangular2'`` or ``'exp_range'``; ignored
            when ``scale_fn`` is given. Default: ``'triangular'``.
        gamma: base of ``'exp_range'``'s scale, > 0. Default: ``1.0``.
        scale_fn: a function ``scale(x)`` replacing the mode's; a plain function
            is not stored by ``state_dict()`` (pass it again when rebuilding). Default: ``None``.
        scale_mode: ``'cycle'`` or ``'iterations'``, what ``scale_fn`` is applied to. Default: ``'cycle'``.
        cycle_momentum: also cycle the momentum. Default: ``True``.
        base_momentum: lower momentum bound, a float >= 0 or one per group. Default: ``0.8``.
        max_momentum: upper momentum bound, a float >= 0 or one per group. Default: ``0.9``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0, momentum=0.9)
        >>> sched = CyclicLR(opt, base_lr=1.0, max_lr=5.0, step_size_up=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(5):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs, round(opt.param_groups[0]["momentum"], 12)  # halfway up: momentum halfway down
        ([1.0, 3.0, 5.0, 3.0, 1.0, 3.0], 0.85)
    """

    _state_keys = LRScheduler._state_keys + (
        "max_lrs", "total_size", "step_ratio", "mode", "gamma", "scale_mode", "cycle_momentum", "use_beta1",
        "base_momentums", "max_momentums",
    )  # fmt: skip
    _MODES = ("triangular", "triangular2", "exp_range")

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        owner = "CyclicLR"
        check_optimizer(owner, optimizer)
        base_lrs = per_group(owner, "base_lr", base_lr, optimizer, ge=0)
        if check_int(owner, "last_epoch", last_epoch, ge=-1) == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = per_group(owner, "max_lr", max_lr, optimizer, ge=0)
        up = check_float(owner, "step_size_up", step_size_up, gt=0)
        down = up if step_size_down is None else check_float(owner, "step_size_down", step_size_down, gt=0)
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if scale_fn is None:
            self.mode = check_choice(owner, "mode", mode, self._MODES)
        elif not callable(scale_fn):
            raise param_error(owner, "scale_fn", "a function or None", scale_fn, TypeError)
        else:
            self.mode = mode
        self.gamma = check_float(owner, "gamma", gamma, gt=0)
        self._scale_fn_custom = scale_fn
        self.scale_mode = check_choice(owner, "scale_mode", scale_mode, ("cycle", "iterations"))
        self._init_scale_fn()
        self.cycle_momentum = check_bool(owner, "cycle_momentum", cycle_momentum)
        self.use_beta1 = False
        self.base_momentums: list[float] | None = None
        self.max_momentums: list[float] | None = None
        if self.cycle_momentum:
            self.use_beta1 = check_momentum_support(owner, optimizer)
            self.base_momentums = per_group(owner, "base_momentum", base_momentum, optimizer, ge=0)
            self.max_momentums = per_group(owner, "max_momentum", max_momentum, optimizer, ge=0)
            if last_epoch == -1:
                for low, high, group in zip(self.base_momentums, self.max_momentums, optimizer.param_groups):
                    set_momentum(group, high, self.use_beta1)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        # The built-in modes fix what the scale applies to, whatever scale_mode says (as in PyTorch).
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale at cycle (or iteration) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle  # position in the cycle, in [0, 1)
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale for base, top in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                set_momentum(group, high - (high - low) * height * scale, self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = (
            None if fn is None or isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__") else dict(vars(fn))
        )
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        attributes = state_dict.get("_scale_fn_custom")
        if attributes is not None and self._scale_fn_custom is not None:
            vars(self._scale_fn_custom).update(attributes)
        self._init_scale_fn()


def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
    """From ``start`` (pct 0) to ``end`` (pct 1), along half a cosine or a line."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """1cycle policy (Smith & Topin 2018): warm up to ``max_lr``, then anneal far below the start.

    Over the first ``pct_start · total_steps`` steps ``lr`` rises from
    ``max_lr / div_factor`` to ``max_lr``, then falls to
    ``max_lr / (div_factor · final_div_factor)`` at step ``total_steps``;
    ``three_phase`` returns to the start before the final fall. Each phase
    follows ``anneal_strategy`` (cosine or linear); momentum moves the other way.
    The constructor overwrites ``initial_lr`` and adds ``max_lr``, ``min_lr``
    (and ``max_momentum``, ``base_momentum``) to every parameter group. Stepping
    past ``total_steps`` raises ``ValueError``.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        max_lr: peak rate, a float > 0 or one per parameter group.
        total_steps: steps in the cycle, > 0; or give ``epochs`` and ``steps_per_epoch``. Default: ``None``.
        epochs, steps_per_epoch: ints > 0, ``total_steps = epochs · steps_per_epoch``. Default: ``None``.
        pct_start: share of the cycle spent rising, in [0, 1]. Default: ``0.3``.
        anneal_strategy: ``'cos'`` or ``'linear'``. Default: ``'cos'``.
        cycle_momentum: also cycle the momentum. Default: ``True``.
        base_momentum: momentum at the peak ``lr``, a float >= 0 or one per group. Default: ``0.85``.
        max_momentum: momentum at the ends, a float >= 0 or one per group. Default: ``0.95``.
        div_factor: ``initial_lr = max_lr / div_factor``, > 0. Default: ``25.0``.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``, > 0. Default: ``1e4``.
        three_phase: rise, fall back to ``initial_lr``, then anneal to ``min_lr``. Default: ``False``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0, momentum=0.9)
        >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=0.4, anneal_strategy="linear",
        ...                    div_factor=4.0, final_div_factor=2.0)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs  # up from 1/4 in 2 steps, then down to 1/8 (0.25 / final_div_factor)
        [0.25, 1.0, 0.708333, 0.416667, 0.125]
    """

    _state_keys = LRScheduler._state_keys + (
        "total_steps", "_schedule_phases", "_anneal_func_type", "cycle_momentum", "use_beta1",
    )  # fmt: skip

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        owner = "OneCycleLR"
        check_optimizer(owner, optimizer)
        if total_steps is not None:
            self.total_steps = check_int(owner, "total_steps", total_steps, gt=0)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = check_int(owner, "epochs", epochs, gt=0) * check_int(
                owner, "steps_per_epoch", steps_per_epoch, gt=0
            )
        else:
            raise ValueError(
                "OneCycleLR needs the length of the cycle: pass total_steps, or epochs and steps_per_epoch "
                "(e.g. steps_per_epoch=len(train_loader))."
            )
        pct_start = check_float(owner, "pct_start", pct_start, ge=0, le=1)
        self._anneal_func_type = check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        div_factor = check_float(owner, "div_factor", div_factor, gt=0)
        final_div_factor = check_float(owner, "final_div_factor", final_div_factor, gt=0)
        end = float(self.total_steps - 1)
        if check_bool(owner, "three_phase", three_phase):
            phases = [
                (pct_start * self.total_steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * pct_start * self.total_steps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (end, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            phases = [
                (pct_start * self.total_steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (end, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        keys = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [dict(zip(keys, (float(p[0]), *p[1:]))) for p in phases]
        max_lrs = per_group(owner, "max_lr", max_lr, optimizer, gt=0)
        if check_int(owner, "last_epoch", last_epoch, ge=-1) == -1:
            for top, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = check_bool(owner, "cycle_momentum", cycle_momentum)
        self.use_beta1 = False
        if self.cycle_momentum:
            self.use_beta1 = check_momentum_support(owner, optimizer)
            highs = per_group(owner, "max_momentum", max_momentum, optimizer, ge=0)
            lows = per_group(owner, "base_momentum", base_momentum, optimizer, ge=0)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups):
                    set_momentum(group, high, self.use_beta1)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR was stepped {step} times, but total_steps is {self.total_steps}: "
                "build it with the number of optimizer steps of the whole run."
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(_anneal(self._anneal_func_type, group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        momentum = _anneal(
                            self._anneal_func_type, group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        set_momentum(group, momentum, self.use_beta1)
                    break
                start_step = end_step
        return lrs

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedule_phases"] = [dict(phase) for phase in self._schedule_phases]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._schedule_phases = [dict(phase) for phase in self._schedule_phases]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).

    ``lr = η_min + (lr_0 - η_min) · (1 + cos(π · T_cur / T_i)) / 2``, where
    ``T_cur`` counts the epochs since the last restart and the period ``T_i``
    starts at ``T_0`` and is multiplied by ``T_mult`` after each restart.
    ``step(epoch)`` also takes a fractional epoch (``epoch + i / iters`` to
    anneal within an epoch), as in PyTorch.

    Args:
        optimizer, last_epoch: as in :class:`LRScheduler`.
        T_0: epochs of the first period, > 0.
        T_mult: period multiplier after each restart, an int >= 1. Default: ``1``.
        eta_min: minimum learning rate, >= 0. Default: ``0.0``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(6):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 12))
        >>> lrs  # restarts at epochs 2 and 6
        [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407, 1.0]
    """

    _state_keys = LRScheduler._state_keys + ("T_0", "T_i", "T_mult", "eta_min", "T_cur")

    def __init__(
        self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        owner = "CosineAnnealingWarmRestarts"
        self.T_0 = self.T_i = check_int(owner, "T_0", T_0, gt=0)
        self.T_mult = check_int(owner, "T_mult", T_mult, ge=1)
        self.eta_min = check_float(owner, "eta_min", eta_min, ge=0)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (a number >= 0, fractions allowed)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real) or not epoch >= 0:
                raise param_error("CosineAnnealingWarmRestarts.step", "epoch", "a number >= 0 or None", epoch)
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # Restarts so far: n with T_0·(T_mult^n - 1)/(T_mult - 1) <= epoch.
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self._step_count += 1
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = float(lr)
        self._last_lr = self._current_lrs()
