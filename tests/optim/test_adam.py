"""Adam and AdamW (src/nnumpy/optim/_adam.py): a worked first step and PyTorch parity.

What every optimizer shares (validation, dtype, state_dict) is in tests/optim/test_optimizer.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _parity import assert_optimizer_matches_torch, assert_param_groups_match_torch, config_id

from nnumpy import optim
from nnumpy.nn import Parameter


def test_adam_first_step_worked_example():
    # θ0 = 1, g = 2, lr = 0.1, β = (0.9, 0.999), ε = 1e-8. Step 1: m = 0.1·2 = 0.2, v = 0.001·4 = 0.004;
    # bias-corrected m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4, so θ1 = 1 - 0.1·2/(√4 + 1e-8) = 1 - 0.1·(1 - 5e-9).
    p = Parameter(np.array([1.0]))
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.array([2.0])
    opt.step()
    assert p.data[0] == pytest.approx(1 - 0.1 * 2 / (2 + 1e-8), rel=1e-15)


def test_adamw_decays_weights_before_the_adam_step():
    # AdamW: θ ← θ(1 - lr·λ) first; with g = 0 the Adam step is 0, so θ1 = 1·(1 - 0.1·0.5) = 0.95.
    p = Parameter(np.array([1.0]))
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = np.array([0.0])
    opt.step()
    assert p.data[0] == pytest.approx(0.95, rel=1e-15)


# ---------------------------------------------------------------------------- PyTorch parity
# A tiny MLP trained 20 steps by both libraries (tests/_parity.py: train_both).
PARITY = [
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.9), maximize=True)),
]
# Hyperparameters of a second parameter group (the first uses the constructor's).
GROUP_OVERRIDES = [
    ("Adam", dict(lr=0.003, betas=(0.5, 0.9), amsgrad=True)),
    ("AdamW", dict(lr=0.003, weight_decay=0.3)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", PARITY, ids=config_id)
def test_adam_matches_torch_after_20_steps(config, dtype, torch):
    assert_optimizer_matches_torch(*config, dtype)


@pytest.mark.parametrize("config", GROUP_OVERRIDES, ids=lambda c: c[0])
def test_adam_param_groups_match_torch(config, torch):
    assert_param_groups_match_torch(*config)
