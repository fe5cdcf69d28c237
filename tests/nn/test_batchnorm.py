"""BatchNorm1d (src/nnumpy/nn/_batchnorm.py): gradient check, PyTorch parity, running statistics.

Contracts every layer keeps are tables in tests/nn/test_layers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, assert_layer_gradcheck
from _parity import DTYPES, assert_layer_matches_torch

from nnumpy import nn

GRADCHECK = [
    ("BatchNorm1d-train", lambda: nn.BatchNorm1d(5), (6, 5)),
    ("BatchNorm1d-train-3d", lambda: nn.BatchNorm1d(5), (4, 5, 3)),
    ("BatchNorm1d-eval", lambda: nn.BatchNorm1d(5).eval(), (6, 5)),
    ("BatchNorm1d-noaffine", lambda: nn.BatchNorm1d(5, affine=False), (6, 5)),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,factory,shape", GRADCHECK, ids=[n for n, _, _ in GRADCHECK])
def test_batchnorm_gradcheck_float64(name, factory, shape, seed):
    layer = factory()
    if layer.affine:  # weight 1 and bias 0 would hide a wrong dγ or a dβ/dγ swap
        rng = np.random.default_rng(100 + seed)
        layer.weight.data[...] = rng.normal(size=layer.num_features)
        layer.bias.data[...] = rng.normal(size=layer.num_features)
    assert_layer_gradcheck(layer, shape, seed)


def _warm_bn(bn):
    """Give a BatchNorm1d non-trivial running stats, then switch to eval."""
    rng = np.random.default_rng(5)
    for _ in range(3):
        bn(rng.normal(2.0, 3.0, size=(8, bn.num_features)))
    bn.weight.data[...] = rng.normal(size=bn.num_features)
    bn.bias.data[...] = rng.normal(size=bn.num_features)
    return bn.eval()


PARITY = [
    ("BatchNorm1d-train", lambda dt: nn.BatchNorm1d(5, dtype=dt), (6, 5)),
    ("BatchNorm1d-3d", lambda dt: nn.BatchNorm1d(5, dtype=dt), (4, 5, 3)),
    ("BatchNorm1d-eval", lambda dt: _warm_bn(nn.BatchNorm1d(5, momentum=0.3, dtype=dt)), (6, 5)),
    ("BatchNorm1d-cumulative", lambda dt: nn.BatchNorm1d(5, momentum=None, dtype=dt), (6, 5)),
]


@DTYPES
@pytest.mark.parametrize("name,factory,shape", PARITY, ids=[n for n, _, _ in PARITY])
def test_batchnorm_matches_torch_forward_and_gradients(name, factory, shape, dtype, torch):
    assert_layer_matches_torch(factory(dtype), shape, dtype)


def test_batchnorm_running_stats_follow_pytorch_formula():
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    bn(x)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(0))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(0, ddof=1))
    assert int(bn.num_batches_tracked) == 1
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.ones((1, 2)))
