"""Layers, losses and initialisers with hand-written backward passes.

Every layer is a :class:`Module` with ``forward(x)`` and ``backward(grad_output)``;
every loss is a :class:`Loss` with ``forward(input, target)`` and ``backward()``.
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
