"""ReduceLROnPlateau: decay when a monitored metric stops improving."""

from __future__ import annotations

import math

from ..._validation import check_choice, check_float, check_int, param_error
from .._optimizer import Optimizer
from ._base import LRScheduler, check_optimizer

__all__ = ["ReduceLROnPlateau"]


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
        self.optimizer = check_optimizer(owner, optimizer)
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
