"""RMSprop (src/nnumpy/optim/_rmsprop.py): a worked first step and PyTorch parity.

What every optimizer shares (validation, dtype, state_dict) is in tests/optim/test_optimizer.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _parity import assert_optimizer_matches_torch, assert_param_groups_match_torch, config_id

from nnumpy import optim
from nnumpy.nn import Parameter


def test_rmsprop_first_step_worked_example():
    # θ0 = 1, g = 2, lr = 0.01, α = 0.99, ε = 1e-8: v = (1 - 0.99)·4 = 0.04,
    # θ1 = 1 - 0.01·2/(√0.04 + 1e-8) = 1 - 0.01·2/0.2 ≈ 0.9.
    p = Parameter(np.array([1.0]))
    opt = optim.RMSprop([p], lr=0.01)
    p.grad = np.array([2.0])
    opt.step()
    assert p.data[0] == pytest.approx(1 - 0.01 * 2 / (np.sqrt(0.04) + 1e-8), rel=1e-15)


# ---------------------------------------------------------------------------- PyTorch parity
# A tiny MLP trained 20 steps by both libraries (tests/_parity.py: train_both).
PARITY = [
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
]
# Hyperparameters of a second parameter group (the first uses the constructor's).
GROUP_OVERRIDES = [
    ("RMSprop", dict(lr=0.003, centered=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", PARITY, ids=config_id)
def test_rmsprop_matches_torch_after_20_steps(config, dtype, torch):
    assert_optimizer_matches_torch(*config, dtype)


@pytest.mark.parametrize("config", GROUP_OVERRIDES, ids=lambda c: c[0])
def test_rmsprop_param_groups_match_torch(config, torch):
    assert_param_groups_match_torch(*config)
