"""Linear, Identity, Flatten (src/nnumpy/nn/_linear.py): gradient check, PyTorch parity, behaviour.

Contracts every layer keeps (dtype, backward before forward, hyperparameter messages) are
tables in tests/nn/test_layers.py, with rows named after the layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, assert_layer_gradcheck
from _parity import DTYPES, assert_layer_matches_torch

from nnumpy import nn

GRADCHECK = [
    ("Linear", lambda: nn.Linear(5, 4, rng=1), (6, 5)),
    ("Linear-nobias", lambda: nn.Linear(5, 4, bias=False, rng=1), (6, 5)),
    ("Linear-3d", lambda: nn.Linear(5, 4, rng=1), (2, 3, 5)),
    ("Identity", nn.Identity, (6, 5)),
    ("Flatten", nn.Flatten, (3, 2, 2, 2)),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,factory,shape", GRADCHECK, ids=[n for n, _, _ in GRADCHECK])
def test_linear_gradcheck_float64(name, factory, shape, seed):
    assert_layer_gradcheck(factory(), shape, seed)


PARITY = [
    ("Linear", lambda dt: nn.Linear(5, 4, dtype=dt, rng=1), (6, 5)),
    ("Linear-nobias", lambda dt: nn.Linear(5, 4, bias=False, dtype=dt, rng=1), (6, 5)),
    ("Linear-3d", lambda dt: nn.Linear(5, 4, dtype=dt, rng=1), (3, 2, 5)),
    ("Identity", lambda dt: nn.Identity(), (6, 5)),
    ("Flatten", lambda dt: nn.Flatten(), (3, 2, 2, 2)),
    ("Flatten-0", lambda dt: nn.Flatten(0, -1), (3, 2, 2)),
]


@DTYPES
@pytest.mark.parametrize("name,factory,shape", PARITY, ids=[n for n, _, _ in PARITY])
def test_linear_matches_torch_forward_and_gradients(name, factory, shape, dtype, torch):
    assert_layer_matches_torch(factory(dtype), shape, dtype)


def test_linear_default_init_matches_torch_bounds():
    """PyTorch's default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias."""
    layer = nn.Linear(400, 300, rng=0)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert p.min() >= -bound and p.max() <= bound
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound
    assert abs(float(layer.weight.data.std()) - bound / np.sqrt(3)) < 0.01 * bound


def test_linear_shape_mismatch_names_layer_expected_and_got():
    with pytest.raises(ValueError, match=r"Linear\(in_features=784, out_features=10\) expected input of shape "
                                         r"\(N, \*, 784\), got \(32, 28, 28\)"):
        nn.Linear(784, 10)(np.zeros((32, 28, 28)))


def test_linear_accepts_leading_dimensions():
    layer = nn.Linear(5, 2, rng=0)
    assert layer(np.zeros((3, 4, 5))).shape == (3, 4, 2)
