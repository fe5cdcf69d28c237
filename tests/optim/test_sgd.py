"""SGD (src/nnumpy/optim/_sgd.py): worked example, the plain step against the NumPy loop,
a zero-gradient property, and PyTorch parity (with given gradients, and with nnumpy's own
backward on a two-layer MLP).

What every optimizer shares (validation, dtype, state_dict) is in tests/optim/test_optimizer.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _optim import sgd_vs_numpy_loop
from _parity import (TOL, assert_optimizer_matches_torch, assert_param_groups_match_torch, config_id,
                     max_param_diff)
from hypothesis import given, settings
from hypothesis import strategies as st

from nnumpy import nn, optim
from nnumpy.nn import Parameter


def test_sgd_momentum_worked_example():
    # θ0 = 1, g = 2 each step, lr = 0.5, μ = 0.5, τ = 0.5:
    # b1 = g = 2 → θ1 = 1 - 0.5·2 = 0;  b2 = 0.5·2 + 0.5·2 = 2 → θ2 = -1.
    p = Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.5, momentum=0.5, dampening=0.5)
    thetas = []
    for _ in range(2):
        p.grad = np.array([2.0])
        opt.step()
        thetas.append(float(p.data[0]))
    assert thetas == [0.0, -1.0]


@settings(derandomize=True, max_examples=50, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=1, max_size=8),
    dtype=st.sampled_from([np.float32, np.float64]),
    lr=st.floats(1e-6, 10.0),
    momentum=st.floats(0.0, 0.99),
    dampening=st.floats(0.0, 1.0),
    nesterov=st.booleans(),
    maximize=st.booleans(),
)
def test_sgd_zero_gradient_leaves_parameters_unchanged(values, dtype, lr, momentum, dampening, nesterov, maximize):
    if nesterov:
        momentum, dampening = max(momentum, 0.1), 0.0
    p = Parameter(np.array(values), dtype=dtype)
    before = p.data.copy()
    opt = optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, maximize=maximize)
    for _ in range(3):
        p.grad = np.zeros_like(p.data)
        opt.step()
    assert np.array_equal(p.data, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_plain_step_equals_numpy_loop_within_one_rounding(dtype):
    # SGD may round p - lr·g once (a fused axpy, as torch does) where the NumPy loop rounds
    # twice (lr·g, then the sum): per step they differ by at most one rounding of lr·g, which
    # is ≤ |θ| here, so a few eps·|θ| overall.
    got, expected = sgd_vs_numpy_loop(dtype)
    eps = np.finfo(dtype).eps
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=4 * eps * np.abs(e).max())


def test_sgd_plain_step_is_the_numpy_loop_bit_for_bit():
    # The documented update θ ← θ - lr·g, written in NumPy: the same roundings as the loop.
    got, expected = sgd_vs_numpy_loop(np.float32)
    assert all(np.array_equal(g, e) for g, e in zip(got, expected))


# ---------------------------------------------------------------------------- PyTorch parity
# A tiny MLP trained 20 steps by both libraries (tests/_parity.py: train_both).
PARITY = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True)),
]
# Hyperparameters of a second parameter group (the first uses the constructor's).
GROUP_OVERRIDES = [
    ("SGD", dict(lr=0.05, momentum=0.5, nesterov=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", PARITY, ids=config_id)
def test_sgd_matches_torch_after_20_steps(config, dtype, torch):
    assert_optimizer_matches_torch(*config, dtype)


@pytest.mark.parametrize("config", GROUP_OVERRIDES, ids=lambda c: c[0])
def test_sgd_param_groups_match_torch(config, torch):
    assert_param_groups_match_torch(*config)


# The tests above hand both libraries the same gradients. Here nnumpy computes its own
# (Linear.backward, then Sequential.backward with input_grad=False) on a 80-64-3 MLP, at
# batch sizes from 1 to 300, and SGD applies them.
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows", [1, 2, 32, 300])
@pytest.mark.parametrize("kwargs", [dict(lr=0.5), dict(lr=0.2, maximize=True), dict(lr=0.5, momentum=0.9)],
                         ids=["plain", "maximize", "momentum"])
def test_sgd_training_with_nnumpy_gradients_matches_torch(dtype, rows, kwargs, torch):
    rng = np.random.default_rng(rows)
    x = rng.standard_normal((rows, 80)).astype(dtype)
    y = rng.integers(0, 3, rows)
    ours = nn.Sequential(nn.Linear(80, 64, rng=0, dtype=dtype), nn.Sigmoid(), nn.Linear(64, 3, rng=1, dtype=dtype))
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours.parameters()]
    opt_ours = optim.SGD(ours.parameters(), **kwargs)
    opt_theirs = torch.optim.SGD(theirs, **kwargs)
    loss_ours = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(10):
        opt_ours.zero_grad()
        loss_ours(ours(x), y)
        ours.backward(loss_ours.backward(), input_grad=False)
        opt_ours.step()
        opt_theirs.zero_grad()
        w1, b1, w2, b2 = theirs
        torch.nn.functional.cross_entropy(torch.sigmoid(xt @ w1.T + b1) @ w2.T + b2, yt).backward()
        opt_theirs.step()
    assert max_param_diff(list(ours.parameters()), theirs) <= TOL[dtype]
