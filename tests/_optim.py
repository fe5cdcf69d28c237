"""What the optimizer tests in tests/optim/ share: two parameters, a θ-dependent gradient,
a training loop, and every optimizer with each of its options switched on (CONFIGS)."""

from __future__ import annotations

import numpy as np

from nnumpy import optim
from nnumpy.nn import Parameter

# Every optimizer with each of its options switched on at least once.
OPTIONS = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True},
    ],
    "Adam": [{}, {"amsgrad": True, "weight_decay": 0.1}, {"decoupled_weight_decay": True, "weight_decay": 0.1}],
    "AdamW": [{}, {"amsgrad": True, "maximize": True}],
    "RMSprop": [{}, {"momentum": 0.9, "centered": True, "weight_decay": 0.1}, {"maximize": True}],
    "Adagrad": [{}, {"lr_decay": 0.1, "initial_accumulator_value": 0.2, "weight_decay": 0.1}],
}
CONFIGS = [(name, kwargs) for name, variants in OPTIONS.items() for kwargs in variants]
CONFIG_IDS = [f"{name}-{'-'.join(kwargs) or 'defaults'}" for name, kwargs in CONFIGS]


def new_params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal((3, 4)), dtype=dtype), Parameter(rng.standard_normal(4), dtype=dtype)]


def set_grads(params):
    """A deterministic gradient that depends on θ, so every step differs: cos(3θ) + θ/2."""
    for p in params:
        p.grad = np.cos(3 * p.data) + 0.5 * p.data


def train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        set_grads(params)
        opt.step()


def build(name, params, kwargs):
    return getattr(optim, name)(params, **kwargs)


def sgd_vs_numpy_loop(dtype):
    """Three plain SGD steps and the hand-written ``e -= 0.1 * g`` on the same gradients."""
    params = new_params(dtype)
    expected = [p.data.copy() for p in params]
    opt = optim.SGD(params, lr=0.1)
    for _ in range(3):
        set_grads(params)
        for e, p in zip(expected, params):
            e -= 0.1 * p.grad
        opt.step()
    return [p.data for p in params], expected
