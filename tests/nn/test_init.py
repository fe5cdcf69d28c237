"""nn.init (src/nnumpy/nn/init.py): shapes, statistics of each initialiser, rng reproducibility, errors.

Linear's default init against PyTorch's bounds is in tests/nn/test_linear.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnumpy import nn
from nnumpy.nn import init


@pytest.mark.parametrize(
    "fn,kwargs,std",
    [
        (init.uniform_, {"a": -1.0, "b": 1.0}, 1 / math.sqrt(3)),
        (init.normal_, {"mean": 0.0, "std": 0.5}, 0.5),
        (init.xavier_uniform_, {}, math.sqrt(2 / (300 + 200))),
        (init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / (300 + 200))),
        (init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(2 / 300)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 200)),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_init_random_fills_with_documented_std_and_is_reproducible(fn, kwargs, std):
    p = nn.Parameter(np.empty((200, 300), np.float32))
    fn(p, **kwargs, rng=0)
    assert p.dtype == np.float32
    assert abs(float(p.data.std()) - std) < 0.03 * std
    q = fn(np.empty((200, 300)), **kwargs, rng=0)
    np.testing.assert_allclose(q, p.data, rtol=1e-6)


@pytest.mark.parametrize("fn,args,value", [(init.zeros_, (), 0.0), (init.ones_, (), 1.0), (init.constant_, (0.3,), 0.3)])
def test_init_constant_fills(fn, args, value):
    arr = fn(np.empty((3, 2), np.float32), *args)
    assert np.all(arr == np.float32(value))


def test_init_errors_are_clear():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(np.empty(3), rng=0)
    with pytest.raises(ValueError, match="The 'mode' parameter of kaiming_uniform_ must be one of 'fan_in', 'fan_out'"):
        init.kaiming_uniform_(np.empty((3, 3)), mode="fan", rng=0)
    with pytest.raises(TypeError, match="Parameter or an ndarray"):
        init.zeros_([1.0, 2.0])
    with pytest.raises(TypeError, match="'rng' parameter of uniform_"):
        init.uniform_(np.empty(3), rng="seed")
