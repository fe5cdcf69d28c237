"""Adagrad (src/nnumpy/optim/_adagrad.py): state at construction, a worked first step and
PyTorch parity.

What every optimizer shares (validation, dtype, state_dict) is in tests/optim/test_optimizer.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _optim import new_params
from _parity import assert_optimizer_matches_torch, assert_param_groups_match_torch, config_id

from nnumpy import optim
from nnumpy.nn import Parameter


def test_adagrad_creates_state_at_construction():
    # As torch.optim.Adagrad: every parameter has state before the first step.
    params = new_params()
    opt = optim.Adagrad(params, initial_accumulator_value=0.5)
    assert sorted(opt.state_dict()["state"]) == [0, 1]
    assert all(np.all(opt.state[p]["sum"] == 0.5) and opt.state[p]["step"] == 0 for p in params)


def test_adagrad_first_step_worked_example():
    # θ0 = 1, g = 2, lr = 0.1, ε = 1e-10: sum = 0 + 4, θ1 = 1 - 0.1·2/(√4 + 1e-10) ≈ 0.9.
    p = Parameter(np.array([1.0]))
    opt = optim.Adagrad([p], lr=0.1)
    p.grad = np.array([2.0])
    opt.step()
    assert p.data[0] == pytest.approx(1 - 0.1 * 2 / (2 + 1e-10), rel=1e-15)


# ---------------------------------------------------------------------------- PyTorch parity
# A tiny MLP trained 20 steps by both libraries (tests/_parity.py: train_both).
PARITY = [
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
]
# Hyperparameters of a second parameter group (the first uses the constructor's).
GROUP_OVERRIDES = [
    ("Adagrad", dict(lr=0.3, lr_decay=0.1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", PARITY, ids=config_id)
def test_adagrad_matches_torch_after_20_steps(config, dtype, torch):
    assert_optimizer_matches_torch(*config, dtype)


@pytest.mark.parametrize("config", GROUP_OVERRIDES, ids=lambda c: c[0])
def test_adagrad_param_groups_match_torch(config, torch):
    assert_param_groups_match_torch(*config)
