"""Layers, losses and initialisers with hand-written backward passes: the core, in plain NumPy.

Every layer is a :class:`Module` with ``forward(x)`` and ``backward(grad_output)``;
every loss is a :class:`Loss` with ``forward(input, target)`` and ``backward()``.
A layer's backward sits next to its forward, in one file per family:

- ``_module.py``: :class:`Parameter` (``data`` + ``grad``), :class:`Module`
  (registration, ``state_dict``, ``train``/``eval``) and :class:`Sequential`;
- ``_linear.py``: ``Linear`` (dW = Gᵀx, db = ΣG, dx = GW), ``Identity``, ``Flatten``;
- ``_activation.py``: ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax;
- ``_conv.py``: ``Conv2d`` (im2col, then Y = W₂ @ cols per image; backward through col2im);
- ``_pooling.py``: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``;
- ``_im2col.py``: the sliding-window machinery they share (window view, im2col, col2im, padding);
- ``_dropout.py``, ``_batchnorm.py``: the layers that behave differently in training
  (``Dropout``, ``Dropout2d``, ``BatchNorm1d``, ``BatchNorm2d``);
- ``_loss.py``: MSE, L1, Huber, SmoothL1, BCE, BCE-with-logits, cross-entropy, NLL
  (the last two also per pixel, ``(N, C, H, W)`` with ``(N, H, W)`` targets);
- ``functional.py``: the stable kernels they share (sigmoid, logsumexp, softmax, GELU);
- ``init.py``: weight initialisers (Kaiming, Xavier, …);
- ``utils.py``: gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``);
- ``_summary.py``: ``Module.summary`` and the forward/backward wrapping ``nnumpy.trace`` uses.

The tests of each layer are in ``tests/nn/test_<family>.py`` (gradient checks and
PyTorch parity side by side).
"""

from . import functional, init, utils
from ._activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from ._linear import Flatten, Identity, Linear
from ._loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, Loss, MSELoss, NLLLoss, SmoothL1Loss
from ._module import Module, Parameter, Sequential
from ._batchnorm import BatchNorm1d, BatchNorm2d
from ._conv import Conv2d
from ._dropout import Dropout, Dropout2d
from ._pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

#: Built-in layer classes by name: the allow-list used when model files are loaded.
LAYERS = {
    cls.__name__: cls
    for cls in (
        Sequential, Linear, Identity, Flatten, ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh,
        Softplus, Softmax, LogSoftmax, Dropout, BatchNorm1d,
        Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, Dropout2d,
    )
}

#: Built-in loss classes by name.
LOSSES = {
    cls.__name__: cls
    for cls in (MSELoss, L1Loss, HuberLoss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss)
}

__all__ = [
    "Module", "Parameter", "Sequential", "Loss",
    "Linear", "Identity", "Flatten",
    "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax",
    "Dropout", "BatchNorm1d",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d",
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "init", "functional", "utils", "LAYERS", "LOSSES",
]
