"""Learning-rate schedulers with ``torch.optim.lr_scheduler`` semantics.

A scheduler rewrites ``group['lr']`` of its optimizer's parameter groups each
time ``step()`` is called (once per epoch, after ``optimizer.step()``; once per
batch for CyclicLR and OneCycleLR). The first value is set by the
constructor, which also stores ``initial_lr`` in every group (as PyTorch
does) so a schedule can be resumed with ``last_epoch >= 0``. Learning rates
are Python floats, so float32 parameters stay float32. ``state_dict()`` is
plain JSON-able data (never a pickled function), so checkpoints can hold it.

The classes live in ``nnumpy/optim/_schedulers/``, one family per file.

Example (warm-up for 2 epochs, then cosine decay over 4):
    >>> from nnumpy.nn import Parameter
    >>> from nnumpy.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> cosine = CosineAnnealingLR(opt, T_max=4)
    >>> sched = SequentialLR(opt, [warmup, cosine], milestones=[2])
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for epoch in range(6):
    ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
    >>> lrs
    [0.5, 0.75, 1.0, 0.8536, 0.5, 0.1464, 0.0]
"""

from __future__ import annotations

from ._schedulers._base import LRScheduler as LRScheduler
from ._schedulers._compose import ChainedScheduler as ChainedScheduler
from ._schedulers._compose import SequentialLR as SequentialLR
from ._schedulers._cyclic import CosineAnnealingWarmRestarts as CosineAnnealingWarmRestarts
from ._schedulers._cyclic import CyclicLR as CyclicLR
from ._schedulers._cyclic import OneCycleLR as OneCycleLR
from ._schedulers._decay import ConstantLR as ConstantLR
from ._schedulers._decay import CosineAnnealingLR as CosineAnnealingLR
from ._schedulers._decay import ExponentialLR as ExponentialLR
from ._schedulers._decay import LinearLR as LinearLR
from ._schedulers._decay import MultiStepLR as MultiStepLR
from ._schedulers._decay import PolynomialLR as PolynomialLR
from ._schedulers._decay import StepLR as StepLR
from ._schedulers._lambda import LambdaLR as LambdaLR
from ._schedulers._lambda import MultiplicativeLR as MultiplicativeLR
from ._schedulers._plateau import ReduceLROnPlateau as ReduceLROnPlateau

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "ConstantLR",
    "LinearLR",
    "PolynomialLR",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
    "CyclicLR",
    "OneCycleLR",
    "CosineAnnealingWarmRestarts",
]
