"""Optimizers and learning-rate schedulers with PyTorch's update rules and state_dict layout.

Each optimizer's ``_step_group`` is its documented update written in NumPy:

- ``_optimizer.py``: :class:`Optimizer`, the base (parameter groups, state, ``state_dict``);
- ``_sgd.py``: SGD with momentum, dampening, Nesterov and weight decay;
- ``_adam.py``: Adam and AdamW; ``_rmsprop.py``: RMSprop; ``_adagrad.py``: Adagrad;
- ``lr_scheduler.py``: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau, ….

Their tests are in ``tests/optim/``.
"""

from . import lr_scheduler
from ._adagrad import Adagrad
from ._adam import Adam, AdamW
from ._optimizer import Optimizer
from ._rmsprop import RMSprop
from ._sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
