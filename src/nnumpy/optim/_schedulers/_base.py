"""The scheduler base class, :class:`LRScheduler`, and the argument checks the schedulers share."""

from __future__ import annotations

import math
import numbers
from typing import Any, Mapping

from ..._validation import check_float, check_int, param_error
from .._optimizer import Optimizer

__all__ = ["LRScheduler", "check_optimizer", "per_group", "check_momentum_support"]


def check_optimizer(owner: str, optimizer: Any) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner} expects an nnumpy.optim.Optimizer as first argument, got {type(optimizer).__name__}."
        )
    return optimizer


def per_group(owner: str, name: str, value: Any, optimizer: Optimizer, **bounds: float) -> list[float]:
    """``value`` (a float, or a list with one float per parameter group) as one float per group."""
    n_groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise param_error(owner, name, f"a float or a list of {n_groups} floats (one per group)", value)
        return [check_float(owner, f"{name}[{i}]", v, **bounds) for i, v in enumerate(value)]
    return [check_float(owner, name, value, **bounds)] * n_groups


def check_momentum_support(owner: str, optimizer: Optimizer) -> bool:
    """Whether the optimizer's first moment is ``betas[0]`` (Adam) rather than ``momentum`` (SGD)."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"{owner}(cycle_momentum=True) needs an optimizer with 'momentum' or 'betas', and "
            f"{type(optimizer).__name__} has neither: pass cycle_momentum=False."
        )
    return "betas" in optimizer.defaults


def set_momentum(group: dict[str, Any], momentum: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def check_loaded(owner: str, key: str, current: Any, value: Any) -> None:
    """Check a value read from a state dict against the attribute it replaces (same kind, finite, same sign).

    A checkpoint's values are checked as if passed by hand: a learning rate of −1e9 or a NaN gamma
    read from a file is refused, not trained with.
    """
    bad = None
    if isinstance(current, bool) or current is None or isinstance(current, str):
        if current is not None and type(value) is not type(current):
            bad = f"a {type(current).__name__}"
    elif isinstance(current, numbers.Real):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value or (
            math.isfinite(current) and not math.isfinite(value)
        ):  # ±inf only where the scheduler itself holds one (ReduceLROnPlateau's 'best' before any step)
            bad = "a finite number"
        elif isinstance(current, numbers.Integral) and not float(value).is_integer():
            bad = "an int"
        elif not math.isfinite(current):
            pass
        elif (current > 0 and not value > 0) or (current >= 0 and not value >= 0):
            bad = "a number > 0" if current > 0 else "a number >= 0"
    elif isinstance(current, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            bad = "a list"
        elif key == "base_lrs" and len(value) != len(current):
            bad = f"a list of {len(current)} values (one per parameter group)"
        else:
            for i, v in enumerate(value):
                check_loaded(owner, f"{key}[{i}]", current[min(i, len(current) - 1)] if current else None, v)
    if bad:
        raise ValueError(f"{owner}.load_state_dict: entry {key!r} must be {bad}, got {value!r}.")


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


class LRScheduler:
    """Base class of the epoch-indexed schedulers: ``lr_t = f(t, lr_0)`` for each parameter group.

    Subclasses implement ``get_lr()``, which returns the learning rates for
    epoch ``last_epoch`` (already incremented by ``step()``), and list the
    attributes saved by ``state_dict()`` in ``_state_keys``. A subclass whose
    rate has a closed form also defines ``_get_closed_form_lr()``:
    :class:`SequentialLR` uses it to restart a scheduler at epoch 0, as PyTorch does.

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
    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        self.optimizer = check_optimizer(owner, optimizer)
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
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's first step (epoch 0), as PyTorch's ``_initial_step``; ``get_lr`` sees ``_is_initial``."""
        self._step_count = 0
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
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        """Move to the next epoch, or jump to ``epoch`` (closed form when the class has one)."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = float(lr)
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
        for key in self._state_keys:  # all checked before any is set
            check_loaded(owner, key, getattr(self, key, None), state_dict[key])
        for key in self._state_keys:
            setattr(self, key, _copy(state_dict[key]))

    def _repr_fields(self) -> dict[str, Any]:
        """Hyperparameters (the public ``_state_keys``), then the position and the current learning rates."""
        fields = {k: getattr(self, k) for k in self._state_keys if not k.startswith("_") and k not in ("base_lrs", "last_epoch")}
        fields.update(last_epoch=getattr(self, "last_epoch", None), lr=list(getattr(self, "_last_lr", [])))
        return fields

    def __repr__(self) -> str:
        """E.g. ``StepLR(step_size=3, gamma=0.5, last_epoch=2, lr=[0.0005])``."""
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._repr_fields().items())})"

    def _repr_html_(self) -> str:
        from ..._html import block, table

        return block(type(self).__name__, table(None, self._repr_fields().items()))
