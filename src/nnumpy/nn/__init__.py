"""Layers, losses and initialisers with hand-written backward passes: the core, in plain NumPy.

Every layer is a :class:`Module` with ``forward(x)`` and ``backward(grad_output)``;
every loss is a :class:`Loss` with ``forward(input, target)`` and ``backward()``.
A layer's backward sits next to its forward, in one file per family:

- ``_module.py``: :class:`Parameter` (``data`` + ``grad``), :class:`Module`
  (registration, ``state_dict``, ``train``/``eval``) and :class:`Sequential`;
- ``_linear.py``: ``Linear`` (dW = Gᵀx, db = ΣG, dx = GW), ``Identity``, ``Flatten``;
- ``_activation.py``: ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax;
- ``_dropout.py``, ``_batchnorm.py``: the layers that behave differently in training;
- ``_loss.py``: MSE, L1, Huber, BCE, BCE-with-logits, cross-entropy, NLL;
- ``functional.py``: the stable kernels they share (sigmoid, logsumexp, softmax, GELU);
- ``init.py``: weight initialisers (Kaiming, Xavier, …);
- ``_summary.py``: ``Module.summary`` and the forward/backward wrapping ``nnumpy.trace`` uses.

The tests of each layer are in ``tests/nn/test_<family>.py`` (gradient checks and
PyTorch parity side by side).
"""

from . import functional, init
from ._activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from ._linear import Flatten, Identity, Linear
from ._loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, Loss, MSELoss, NLLLoss
from ._module import Module, Parameter, Sequential
from ._batchnorm import BatchNorm1d
from ._dropout import Dropout

#: Built-in layer classes by name: the allow-list used when model files are loaded.
LAYERS = {
    cls.__name__: cls
    for cls in (
        Sequential, Linear, Identity, Flatten, ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh,
        Softplus, Softmax, LogSoftmax, Dropout, BatchNorm1d,
    )
}

#: Built-in loss classes by name.
LOSSES = {
    cls.__name__: cls
    for cls in (MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss)
}

__all__ = [
    "Module", "Parameter", "Sequential", "Loss",
    "Linear", "Identity", "Flatten",
    "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax",
    "Dropout", "BatchNorm1d",
    "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "init", "functional", "LAYERS", "LOSSES",
]
