"""Schedulers made of schedulers: SequentialLR (one after another) and ChainedScheduler (all at once).

Their ``state_dict()`` holds the state dict of each scheduler they drive, in
order; ``load_state_dict`` hands each back to the scheduler at the same place,
so a resumed run must be built with the same schedulers.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, Iterable, Mapping

from ..._validation import check_int, param_error
from .._optimizer import Optimizer
from ._base import LRScheduler, check_optimizer
from ._plateau import ReduceLROnPlateau

__all__ = ["SequentialLR", "ChainedScheduler"]


def _check_schedulers(owner: str, schedulers: Any, optimizer: Optimizer | None) -> tuple[list[LRScheduler], Optimizer]:
    if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, Iterable):
        raise param_error(owner, "schedulers", "a list of schedulers", schedulers, TypeError)
    schedulers = list(schedulers)
    if not schedulers:
        raise param_error(owner, "schedulers", "a non-empty list of schedulers", schedulers)
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler):
            raise TypeError(f"{owner}: schedulers[{i}] is {type(s).__name__}, not an nnumpy.optim.lr_scheduler scheduler.")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(
                f"{owner}: schedulers[{i}] is a ReduceLROnPlateau, whose step() needs the monitored metric; "
                "step it on its own instead."
            )
    if optimizer is None:
        optimizer = schedulers[0].optimizer
    for i, s in enumerate(schedulers):
        if s.optimizer is not optimizer:
            raise ValueError(
                f"{owner}: schedulers[{i}] ({type(s).__name__}) schedules another optimizer; "
                "all schedulers must be built on the same one."
            )
    return schedulers, optimizer


class _Composite(LRScheduler):
    """The state dict of a scheduler that drives others: its own keys plus ``_schedulers``."""

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        saved = state_dict.get("_schedulers")
        if saved is None or len(saved) != len(self._schedulers):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict holds "
                f"{'no' if saved is None else len(saved)} scheduler states, this scheduler drives "
                f"{len(self._schedulers)}: rebuild it with the same schedulers."
            )
        for s, state in zip(self._schedulers, saved):
            s.load_state_dict(state)

    def _undo_last_epoch(self) -> None:
        for s in self._schedulers:
            if isinstance(s, _Composite):
                s._undo_last_epoch()
            else:
                s.last_epoch -= 1


class SequentialLR(_Composite):
    """One scheduler after another: ``schedulers[i]`` runs from ``milestones[i-1]`` to ``milestones[i]``.

    The constructor resets ``lr`` to ``initial_lr`` and starts the first
    scheduler afresh; at each milestone the next scheduler restarts at its
    epoch 0 (its closed form, when it has one), as in PyTorch. Warm-up then
    cosine decay is ``SequentialLR(opt, [LinearLR(...), CosineAnnealingLR(...)], milestones=[warmup])``.

    Args:
        optimizer: the ``Optimizer`` every scheduler was built on.
        schedulers: the schedulers, in order (not ``ReduceLROnPlateau``).
        milestones: increasing epochs > 0 at which the next scheduler takes over,
            one fewer than ``schedulers``.
        last_epoch: as in :class:`LRScheduler`. Default: ``-1``.

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> from nnumpy.optim.lr_scheduler import ExponentialLR, LinearLR
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> sched = SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    _state_keys = ("_milestones", "last_epoch", "_last_lr")

    def __init__(
        self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int], last_epoch: int = -1
    ) -> None:
        owner = "SequentialLR"
        self.optimizer = check_optimizer(owner, optimizer)
        self._schedulers, _ = _check_schedulers(owner, schedulers, optimizer)
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise param_error(owner, "milestones", "a list of ints", milestones, TypeError)
        milestones = [check_int(owner, f"milestones[{i}]", m, gt=0) for i, m in enumerate(milestones)]
        if len(milestones) != len(self._schedulers) - 1:
            raise ValueError(
                f"SequentialLR takes one milestone fewer than schedulers, got {len(self._schedulers)} schedulers "
                f"and {len(milestones)} milestones."
            )
        if any(a >= b for a, b in zip(milestones, milestones[1:])):
            raise param_error(owner, "milestones", "increasing ints > 0", milestones)
        self._milestones = milestones
        self.last_epoch = check_int(owner, "last_epoch", last_epoch, ge=-1) + 1
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        # The schedulers' constructors each took a step: take those back and start the first one again.
        self._undo_last_epoch()
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Advance one epoch: step the scheduler in charge, or restart the next one at a milestone."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.step()
            return
        # Restarted inside another SequentialLR: restart from the first scheduler's epoch `epoch`.
        self.last_epoch = epoch
        scheduler = self._schedulers[bisect_right(self._milestones, epoch)]
        scheduler._update_lr(epoch)
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """All schedulers at once: each ``step()`` steps every scheduler in order, so their factors multiply.

    Args:
        schedulers: the schedulers to step together (not ``ReduceLROnPlateau``).
        optimizer: their optimizer. Default: ``None`` (that of ``schedulers[0]``).

    Example:
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> from nnumpy.optim.lr_scheduler import ConstantLR, ExponentialLR
        >>> opt = SGD([Parameter([0.0])], lr=1.0)
        >>> sched = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.5)])
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.25, 0.25, 0.125]
    """

    _state_keys = ("_last_lr",)

    def __init__(self, schedulers: list[LRScheduler], optimizer: Optimizer | None = None) -> None:
        owner = "ChainedScheduler"
        if optimizer is not None:
            check_optimizer(owner, optimizer)
        self._schedulers, self.optimizer = _check_schedulers(owner, schedulers, optimizer)
        self._step_count = 0
        self._last_lr = self._current_lrs()

    def step(self) -> None:
        """Step every scheduler, in order."""
        self._step_count += 1
        for s in self._schedulers:
            s.step()
        self._last_lr = self._current_lrs()

    def _update_lr(self, epoch: int | None = None) -> None:
        # PyTorch has no rule for restarting a chain at a SequentialLR milestone (it fails there);
        # here each chained scheduler restarts at `epoch`.
        for s in self._schedulers:
            s._update_lr(epoch)
        self._last_lr = self._current_lrs()
