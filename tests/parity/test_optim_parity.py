"""PyTorch parity for nnumpy.optim: a tiny MLP trained 20 steps by both libraries.

Each side's gradients come from torch autograd evaluated at that side's *own*
current parameters, so the two trajectories are independent and any difference
in an update rule accumulates over the 20 steps. The MLP is written directly
in torch so these tests do not depend on nnumpy's layers.

torch is imported unconditionally: CI must fail, not skip, when it is missing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnumpy import optim
from nnumpy.nn import Parameter

STEPS = 20
# float64: max |Δθ|; float32: max |Δθ| / max(1, |θ|), since one float32 ulp of a
# parameter that grew to ~500 (maximize runs) is already 3e-5.
TOL = {np.float64: 1e-10, np.float32: 1e-5}
# (out, in) weights as in torch.nn.Linear; the last tensor is not used by the
# loss, so its gradient stays None and both libraries must leave it alone.
SHAPES = [(8, 4), (8,), (3, 8), (3,), (2, 2)]
# Monitored values fed to ReduceLROnPlateau: plateaus, small and large improvements.
METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.8, 0.8, 0.8, 0.8, 0.85, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.7, 0.75, 0.8]

OPTIMIZER_CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.9), maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
]

# Hyperparameters of a second parameter group (the first uses the constructor's).
GROUP_OVERRIDES = {
    "SGD": dict(lr=0.05, momentum=0.5, nesterov=True),
    "Adam": dict(lr=0.003, betas=(0.5, 0.9), amsgrad=True),
    "AdamW": dict(lr=0.003, weight_decay=0.3),
    "RMSprop": dict(lr=0.003, centered=True),
    "Adagrad": dict(lr=0.3, lr_decay=0.1),
}

SCHEDULER_CONFIGS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=20)),
    ("ReduceLROnPlateau", dict(patience=1)),
    ("ReduceLROnPlateau", dict(patience=2, factor=0.5, min_lr=0.03, eps=1e-3)),
    (
        "ReduceLROnPlateau",
        dict(mode="max", factor=0.5, patience=0, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=[0.02, 0.01]),
    ),
]


def _config_id(config) -> str:
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _mlp_loss(tensors, x, y):
    w1, b1, w2, b2, _unused = tensors
    hidden = torch.tanh(x @ w1.T + b1)  # (N, 8)
    return ((hidden @ w2.T + b2 - y) ** 2).mean()


def _groups(params, overrides):
    """All parameters in one list, or two groups when ``overrides`` is given."""
    if overrides is None:
        return params
    return [{"params": params[:2]}, {"params": params[2:], **overrides}]


def _train_both(dtype, make_optimizer, make_scheduler=None, overrides=None):
    """Train the MLP ``STEPS`` steps with nnumpy and torch; return both sides' parameters and lrs.

    In float64 each side gets the gradient at its own parameters. In float32
    both get torch's gradient: the loss surface amplifies float32 rounding in
    the gradients (an RMSprop step is ±lr/√(1-α) whatever |g| is, so a tiny
    gradient whose sign flips moves θ by 2·lr), which would hide what is
    tested here, the update rule's float32 arithmetic.
    """
    shared_grads = dtype == np.float32
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((16, 4)).astype(dtype))
    y = torch.from_numpy(rng.standard_normal((16, 3)).astype(dtype))
    init = [(0.5 * rng.standard_normal(s)).astype(dtype) for s in SHAPES]

    ours = [Parameter(a) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt_ours = make_optimizer(optim, _groups(ours, overrides))
    opt_theirs = make_optimizer(torch.optim, _groups(theirs, overrides))
    sched_ours = sched_theirs = None
    if make_scheduler is not None:
        sched_ours = make_scheduler(optim.lr_scheduler, opt_ours)
        sched_theirs = make_scheduler(torch.optim.lr_scheduler, opt_theirs)

    lrs_ours, lrs_theirs = [], []
    for step in range(STEPS):
        opt_theirs.zero_grad()
        _mlp_loss(theirs, x, y).backward()
        opt_theirs.step()

        opt_ours.zero_grad()
        if shared_grads:
            leaves = theirs
        else:
            leaves = [torch.tensor(p.data, requires_grad=True) for p in ours]
            _mlp_loss(leaves, x, y).backward()
        for p, leaf in zip(ours, leaves):
            if leaf.grad is not None:
                p.grad = leaf.grad.numpy()
        opt_ours.step()

        for sched, lrs in ((sched_ours, lrs_ours), (sched_theirs, lrs_theirs)):
            if sched is None:
                continue
            if isinstance(sched, (optim.lr_scheduler.ReduceLROnPlateau, torch.optim.lr_scheduler.ReduceLROnPlateau)):
                sched.step(METRICS[step])
            else:
                sched.step()
            lrs.append(sched.get_last_lr())
    return ours, theirs, opt_ours, opt_theirs, np.array(lrs_ours), np.array(lrs_theirs)


def _diff(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |Δ| in float64, max |Δ| / max(1, |expected|) in float32 (see TOL)."""
    scale = 1.0 if expected.dtype == np.float64 else np.maximum(1.0, np.abs(expected))
    return float(np.max(np.abs(actual - expected) / scale))


def _max_param_diff(ours, theirs) -> float:
    return max(_diff(p.data, t.detach().numpy()) for p, t in zip(ours, theirs))


def _assert_states_match(opt_ours, opt_theirs, tol):
    """Same state entries (keys, step counts, buffers) as torch's state_dict."""
    sd_ours, sd_theirs = opt_ours.state_dict(), opt_theirs.state_dict()
    assert sorted(sd_ours["state"]) == sorted(sd_theirs["state"])
    for index, entry in sd_ours["state"].items():
        expected = sd_theirs["state"][index]
        assert sorted(entry) == sorted(expected)
        for key, value in entry.items():
            if key == "step":
                assert value == int(expected[key])
            else:
                assert value.dtype == expected[key].numpy().dtype
                assert _diff(value, expected[key].numpy()) <= tol, key


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS, ids=_config_id)
def test_optimizer_matches_torch_after_20_steps(config, dtype):
    name, kwargs = config
    ours, theirs, opt_ours, opt_theirs, _, _ = _train_both(dtype, lambda mod, p: getattr(mod, name)(p, **kwargs))
    assert _max_param_diff(ours, theirs) <= TOL[dtype]
    assert np.array_equal(ours[-1].data, theirs[-1].detach().numpy())  # grad None: untouched
    _assert_states_match(opt_ours, opt_theirs, TOL[dtype])


@pytest.mark.parametrize("name", sorted(GROUP_OVERRIDES))
def test_optimizer_param_groups_match_torch(name):
    ours, theirs, opt_ours, opt_theirs, _, _ = _train_both(
        np.float64, lambda mod, p: getattr(mod, name)(p, lr=0.01), overrides=GROUP_OVERRIDES[name]
    )
    assert _max_param_diff(ours, theirs) <= TOL[np.float64]
    _assert_states_match(opt_ours, opt_theirs, TOL[np.float64])


@pytest.mark.parametrize("config", SCHEDULER_CONFIGS, ids=_config_id)
def test_lr_scheduler_matches_torch_after_20_steps(config):
    name, kwargs = config
    ours, theirs, opt_ours, opt_theirs, lrs_ours, lrs_theirs = _train_both(
        np.float64,
        lambda mod, p: mod.SGD(p, lr=0.1, momentum=0.9),
        lambda mod, opt: getattr(mod, name)(opt, **kwargs),
        overrides=dict(lr=0.05),
    )
    assert lrs_ours.shape == (STEPS, 2)
    np.testing.assert_allclose(lrs_ours, lrs_theirs, rtol=0, atol=1e-12)
    assert len(np.unique(lrs_ours[:, 0])) > 1  # the schedule did change the rate
    assert _max_param_diff(ours, theirs) <= TOL[np.float64]
    for group_ours, group_theirs in zip(opt_ours.param_groups, opt_theirs.param_groups):
        assert group_ours.get("initial_lr") == group_theirs.get("initial_lr")


@pytest.mark.parametrize("config", [c for c in SCHEDULER_CONFIGS if c[0] != "ReduceLROnPlateau"], ids=_config_id)
def test_lr_scheduler_resume_with_last_epoch_matches_torch(config):
    """Rebuilding a scheduler with last_epoch=3 over an optimizer at epoch 3 follows torch, quirks included."""
    name, kwargs = config

    def lrs_after_resume(mod, param):
        opt = mod.SGD([param], lr=0.1)
        sched = getattr(mod.lr_scheduler, name)(opt, **kwargs)
        for _ in range(3):
            opt.step()
            sched.step()
        resumed = getattr(mod.lr_scheduler, name)(opt, **kwargs, last_epoch=3)
        lrs = [resumed.get_last_lr()[0]]
        for _ in range(STEPS - 3):
            opt.step()
            resumed.step()
            lrs.append(resumed.get_last_lr()[0])
        return np.array(lrs)

    ours = lrs_after_resume(optim, Parameter(np.zeros(2)))
    theirs = lrs_after_resume(torch.optim, torch.zeros(2, requires_grad=True))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


# ------------------------------------------------------------------ nnumpy's own backward + SGD
# The tests above hand both libraries the same gradients. Here nnumpy computes its own
# (Linear.backward keeps dL/dW = Gᵀx as factors; plain SGD adds -lr·Gᵀx into the weight in
# one BLAS gemm) on a layer large enough (64 x 80) to take that fused path, at batch sizes
# on both sides of Linear's feature-major threshold.
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows", [1, 2, 32, 300])
@pytest.mark.parametrize("kwargs", [dict(lr=0.5), dict(lr=0.2, maximize=True), dict(lr=0.5, momentum=0.9)],
                         ids=["plain", "maximize", "momentum"])
def test_sgd_training_with_nnumpy_gradients_matches_torch(dtype, rows, kwargs):
    from nnumpy import nn

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
    assert _max_param_diff(list(ours.parameters()), theirs) <= TOL[dtype]
