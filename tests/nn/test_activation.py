"""ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax
(src/nnumpy/nn/_activation.py): gradient check, PyTorch parity, behaviour.

The kernels they call (F.sigmoid, F.softmax, ...) are tested in tests/nn/test_functional.py;
contracts every layer keeps are tables in tests/nn/test_layers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, assert_layer_gradcheck
from _parity import DTYPES, assert_layer_matches_torch

from nnumpy import nn

GRADCHECK = [
    ("ReLU", nn.ReLU, (6, 5)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (6, 5)),
    ("ELU", nn.ELU, (6, 5)),
    ("GELU", nn.GELU, (6, 5)),
    ("GELU-tanh", lambda: nn.GELU("tanh"), (6, 5)),
    ("Sigmoid", nn.Sigmoid, (6, 5)),
    ("Tanh", nn.Tanh, (6, 5)),
    ("Softplus", nn.Softplus, (6, 5)),
    ("Softplus-threshold", lambda: nn.Softplus(beta=2.0, threshold=1.0), (6, 5)),
    ("Softmax", lambda: nn.Softmax(dim=1), (6, 5)),
    ("Softmax-dim0", lambda: nn.Softmax(dim=0), (6, 5)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=1), (6, 5)),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,factory,shape", GRADCHECK, ids=[n for n, _, _ in GRADCHECK])
def test_activation_gradcheck_float64(name, factory, shape, seed):
    assert_layer_gradcheck(factory(), shape, seed)


PARITY = [
    ("ReLU", lambda dt: nn.ReLU(), (6, 5)),
    ("LeakyReLU", lambda dt: nn.LeakyReLU(0.2), (6, 5)),
    ("ELU", lambda dt: nn.ELU(0.7), (6, 5)),
    ("GELU", lambda dt: nn.GELU(), (6, 5)),
    ("GELU-tanh", lambda dt: nn.GELU(approximate="tanh"), (6, 5)),
    ("Sigmoid", lambda dt: nn.Sigmoid(), (6, 5)),
    ("Tanh", lambda dt: nn.Tanh(), (6, 5)),
    ("Softplus", lambda dt: nn.Softplus(), (6, 5)),
    ("Softplus-beta", lambda dt: nn.Softplus(beta=2.0, threshold=3.0), (6, 5)),
    ("Softmax", lambda dt: nn.Softmax(dim=1), (6, 5)),
    ("Softmax-0", lambda dt: nn.Softmax(dim=0), (6, 5)),
    ("LogSoftmax", lambda dt: nn.LogSoftmax(dim=1), (6, 5)),
]


@DTYPES
@pytest.mark.parametrize("name,factory,shape", PARITY, ids=[n for n, _, _ in PARITY])
def test_activation_matches_torch_forward_and_gradients(name, factory, shape, dtype, torch):
    assert_layer_matches_torch(factory(dtype), shape, dtype)


def test_sigmoid_is_stable_at_extremes():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = nn.Sigmoid()(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    assert np.all(np.isfinite(y)) and y[0] == 0.0 and y[-1] == 1.0 and y[2] == 0.5
