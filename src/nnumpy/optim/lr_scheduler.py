"""Learning-rate schedulers with ``torch.optim.lr_scheduler`` semantics.

A scheduler rewrites ``group['lr']`` of its optimizer's parameter groups each
time ``step()`` is called (once per epoch, after ``optimizer.step()``). The
first value is set by the constructor, which also stores ``initial_lr`` in
every group (as PyTorch does) so a schedule can be resumed with
``last_epoch >= 0``. Learning rates are Python floats, so float32 parameters
stay float32.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable, Mapping

from .._validation import check_choice, check_float, check_int, param_error
from ._optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau"]


def _check_optimizer(owner: str, optimizer: Any) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner} expects an nnumpy.optim.Optimizer as first argument, got {type(optimizer).__name__}."
        )
    return optimizer


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


class LRScheduler:
    """Base class of the epoch-indexed schedulers: ``lr_t = f(t, lr_0)`` for each parameter group.

    Subclasses implement ``get_lr()``, which returns the learning rates for
    epoch ``last_epoch`` (already incremented by ``step()``), and list the
    attributes saved by ``state_dict()`` in ``_state_keys``.

    Args:
        optimizer: the ``Optimizer`` whose learning rates are scheduled.
        last_epoch: index of the last epoch seen; ``-1`` (default) starts a
            fresh schedule, a value >= 0 resumes one and needs ``initial_lr``
            in every parameter group (restored by ``optimizer.load_state_dict``).

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> class Halve(LRScheduler):
        ...     def get_lr(self):
        ...         return [base * 0.5**self.last_epoch for base in self.base_lrs]
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = Halve(opt); sched.step(); sched.get_last_lr()
        [0.5]
    """

    _state_keys: tuple[str, ...] = ("base_lrs", "last_epoch", "_step_count", "_last_lr")

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        self.optimizer = _check_optimizer(owner, optimizer)
        last_epoch = check_int(owner, "last_epoch", last_epoch, ge=-1)
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            missing = [i for i, group in enumerate(groups) if "initial_lr" not in group]
            if missing:
                raise ValueError(
                    f"{owner}(last_epoch={last_epoch}) resumes a schedule, but param_groups {missing} have no "
                    "'initial_lr': load the optimizer's state_dict first, or use last_epoch=-1 for a fresh run."
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        # The constructor takes the first step (epoch 0), as PyTorch's _initial_step does.
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """Learning rates for epoch ``last_epoch``; called by ``step()``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr().")

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the most recent ``step()`` (one per parameter group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Return the schedule's position and hyperparameters as a JSON-able dict."""
        return {key: _copy(getattr(self, key)) for key in self._state_keys}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a state returned by ``state_dict()``."""
        owner = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{owner}.load_state_dict expects a dict, got {type(state_dict).__name__}.")
        missing = [key for key in self._state_keys if key not in state_dict]
        if missing:
            raise ValueError(f"{owner}.load_state_dict: the state dict lacks the entries {missing}.")
        for key in self._state_keys:
            setattr(self, key, _copy(state_dict[key]))


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


class ReduceLROnPlateau(LRScheduler):
    """Plateau decay: ``lr ← max(lr · factor, min_lr)`` after more than ``patience`` epochs without improvement.

    ``step(metric)`` takes the monitored value. In ``'min'`` mode with
    ``threshold_mode='rel'`` an epoch improves when
    ``metric < best · (1 - threshold)`` (``'abs'``: ``metric < best - threshold``;
    ``'max'`` mode mirrors both). After a reduction, ``cooldown`` epochs pass
    before bad epochs count again; reductions smaller than ``eps`` are skipped.
    As in PyTorch, this scheduler does not set ``initial_lr``.

    Args:
        optimizer: the wrapped ``Optimizer``.
        mode: ``'min'`` or ``'max'``. Default: ``'min'``.
        factor: multiplicative decay, in (0, 1). Default: ``0.1``.
        patience: bad epochs tolerated before a reduction, >= 0. Default: ``10``.
        threshold: minimal significant change, >= 0. Default: ``1e-4``.
        threshold_mode: ``'rel'`` or ``'abs'``. Default: ``'rel'``.
        cooldown: epochs to wait after a reduction, >= 0. Default: ``0``.
        min_lr: lower bound on ``lr``, a float or one per parameter group. Default: ``0``.
        eps: minimal decay applied to ``lr``, >= 0. Default: ``1e-8``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
        >>> for loss in [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]:
        ...     sched.step(loss)
        >>> sched.get_last_lr()  # halved after the 3rd and the 6th epoch
        [0.25]
    """

    _state_keys = (
        "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lrs", "default_min_lr",
        "eps", "last_epoch", "_last_lr", "best", "mode_worse", "num_bad_epochs", "cooldown_counter",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        self.optimizer = _check_optimizer(owner, optimizer)
        self.mode = check_choice(owner, "mode", mode, ("min", "max"))
        self.factor = check_float(owner, "factor", factor, gt=0, lt=1)
        self.patience = check_int(owner, "patience", patience, ge=0)
        self.threshold = check_float(owner, "threshold", threshold, ge=0)
        self.threshold_mode = check_choice(owner, "threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = check_int(owner, "cooldown", cooldown, ge=0)
        self.eps = check_float(owner, "eps", eps, ge=0)
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise param_error(owner, "min_lr", f"a float or a list of {n_groups} floats (one per group)", min_lr)
            self.default_min_lr = None
            self.min_lrs = [check_float(owner, f"min_lr[{i}]", v, ge=0) for i, v in enumerate(min_lr)]
        else:
            self.default_min_lr = check_float(owner, "min_lr", min_lr, ge=0)
            self.min_lrs = [self.default_min_lr] * n_groups
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.mode_worse = math.inf if self.mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def get_lr(self) -> list[float]:
        return self._current_lrs()

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold."""
        if self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold) if self.mode == "min" else a > best * (self.threshold + 1.0)
        return a < best - self.threshold if self.mode == "min" else a > best + self.threshold

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record one epoch's monitored value and reduce the learning rates on a plateau."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(
                f"ReduceLROnPlateau.step expects the monitored metric as a number, got {metrics!r}."
            ) from None
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The optimizer has {len(groups)} parameter groups but ReduceLROnPlateau was built with "
                    f"{len(self.min_lrs)} min_lr values: set scheduler.min_lrs to one value per group."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
