"""nnumpy.optim.lr_scheduler (src/nnumpy/optim/lr_scheduler.py): validation, worked schedules,
state_dict, and PyTorch parity (a tiny MLP trained 20 steps by both libraries, tests/_parity.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _parity import STEPS, TOL, config_id, max_param_diff, train_both

from nnumpy import optim
from nnumpy.nn import Parameter
from nnumpy.optim import SGD, Adam, lr_scheduler

SCHEDULERS = {
    "StepLR": dict(step_size=2, gamma=0.5),
    "MultiStepLR": dict(milestones=[1, 3, 3], gamma=0.5),
    "ExponentialLR": dict(gamma=0.5),
    "CosineAnnealingLR": dict(T_max=4, eta_min=0.1),
    "ReduceLROnPlateau": dict(patience=1, factor=0.5, cooldown=1),
}
# Monitored values for ReduceLROnPlateau: improvements, plateaus, and a worse run.
METRICS = [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.5, 1.5, 0.5]


def _optimizer(lr=1.0, groups=1):
    params = [Parameter(np.zeros(2, dtype=np.float32)) for _ in range(groups)]
    return SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)], lr=lr)


def _step(sched, epoch):
    if isinstance(sched, lr_scheduler.ReduceLROnPlateau):
        sched.step(METRICS[epoch % len(METRICS)])
    else:
        sched.step()


def _trajectory(sched, epochs):
    """Learning rate of group 0 at construction and after each of ``epochs`` steps."""
    lrs = [sched.get_last_lr()[0]]
    for epoch in range(epochs):
        sched.optimizer.step()
        _step(sched, epoch)
        lrs.append(sched.get_last_lr()[0])
    return lrs


# ---------------------------------------------------------------------------- checks
@pytest.mark.parametrize(
    ("name", "kwargs", "exc", "message"),
    [
        ("StepLR", dict(step_size=0), ValueError, "The 'step_size' parameter of StepLR must be an int > 0. Got 0 instead."),
        ("StepLR", dict(step_size=1.5), TypeError, "The 'step_size' parameter of StepLR must be an int > 0. Got 1.5 instead."),
        ("StepLR", dict(step_size=2, gamma=-0.1), ValueError, "The 'gamma' parameter of StepLR must be a float > 0. Got -0.1 instead."),
        ("StepLR", dict(step_size=2, last_epoch=-2), ValueError, "The 'last_epoch' parameter of StepLR must be an int >= -1. Got -2 instead."),
        ("MultiStepLR", dict(milestones=3), TypeError, "The 'milestones' parameter of MultiStepLR must be a list of ints. Got 3 instead."),
        ("MultiStepLR", dict(milestones=[2, -1]), ValueError, "The 'milestones[1]' parameter of MultiStepLR must be an int >= 0. Got -1 instead."),
        ("ExponentialLR", dict(gamma=0), ValueError, "The 'gamma' parameter of ExponentialLR must be a float > 0. Got 0 instead."),
        ("CosineAnnealingLR", dict(T_max=0), ValueError, "The 'T_max' parameter of CosineAnnealingLR must be an int > 0. Got 0 instead."),
        ("CosineAnnealingLR", dict(T_max=5, eta_min=-1.0), ValueError, "The 'eta_min' parameter of CosineAnnealingLR must be a float >= 0. Got -1.0 instead."),
        ("ReduceLROnPlateau", dict(mode="avg"), ValueError, "The 'mode' parameter of ReduceLROnPlateau must be one of 'min', 'max'. Got 'avg' instead."),
        ("ReduceLROnPlateau", dict(factor=1.0), ValueError, "The 'factor' parameter of ReduceLROnPlateau must be a float in (0, 1). Got 1.0 instead."),
        ("ReduceLROnPlateau", dict(patience=-1), ValueError, "The 'patience' parameter of ReduceLROnPlateau must be an int >= 0. Got -1 instead."),
        ("ReduceLROnPlateau", dict(threshold=-0.1), ValueError, "The 'threshold' parameter of ReduceLROnPlateau must be a float >= 0. Got -0.1 instead."),
        ("ReduceLROnPlateau", dict(threshold_mode="pct"), ValueError, "The 'threshold_mode' parameter of ReduceLROnPlateau must be one of 'rel', 'abs'. Got 'pct' instead."),
        ("ReduceLROnPlateau", dict(cooldown=-1), ValueError, "The 'cooldown' parameter of ReduceLROnPlateau must be an int >= 0. Got -1 instead."),
        ("ReduceLROnPlateau", dict(min_lr=-1e-3), ValueError, "The 'min_lr' parameter of ReduceLROnPlateau must be a float >= 0. Got -0.001 instead."),
        (
            "ReduceLROnPlateau", dict(min_lr=[0.1, 0.2]), ValueError,
            "The 'min_lr' parameter of ReduceLROnPlateau must be a float or a list of 1 floats (one per group). "
            "Got [0.1, 0.2] instead.",
        ),
        ("ReduceLROnPlateau", dict(eps=-1.0), ValueError, "The 'eps' parameter of ReduceLROnPlateau must be a float >= 0. Got -1.0 instead."),
    ],
)  # fmt: skip
def test_lr_scheduler_invalid_hyperparameter_message(name, kwargs, exc, message):
    with pytest.raises(exc) as info:
        getattr(lr_scheduler, name)(_optimizer(), **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_scheduler_rejects_non_optimizer(name):
    with pytest.raises(TypeError, match=f"^{name} expects an nnumpy.optim.Optimizer as first argument, got dict.$"):
        getattr(lr_scheduler, name)({"lr": 0.1}, **SCHEDULERS[name])


def test_lr_scheduler_resume_requires_initial_lr():
    with pytest.raises(ValueError, match=r"param_groups \[0\] have no 'initial_lr': load the optimizer's state_dict"):
        lr_scheduler.StepLR(_optimizer(), step_size=2, last_epoch=3)


def test_reduce_lr_on_plateau_rejects_non_numeric_metric():
    sched = lr_scheduler.ReduceLROnPlateau(_optimizer())
    with pytest.raises(TypeError, match="expects the monitored metric as a number, got 'low'"):
        sched.step("low")


# ---------------------------------------------------------------------------- schedules
COS_1 = 0.1 + 1.0 * (1 + math.cos(math.pi / 4)) / 2  # η_min + (lr0 - η_min)(1 + cos(πt/T))/2 at t = 1, 3


@pytest.mark.parametrize(
    ("name", "kwargs", "lr", "expected"),
    [
        # γ^⌊t/2⌋
        ("StepLR", dict(step_size=2, gamma=0.5), 1.0, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]),
        # milestone 1 once, milestone 3 twice: 1 → 0.5 at t=1 → 0.125 at t=3
        ("MultiStepLR", dict(milestones=[1, 3, 3], gamma=0.5), 1.0, [1.0, 0.5, 0.5, 0.125, 0.125]),
        ("ExponentialLR", dict(gamma=0.5), 1.0, [1.0, 0.5, 0.25, 0.125]),
        # lr0 = 1.1, η_min = 0.1, T = 4: 1.1, 0.1 + (1 + √½)/2, 0.6, 0.1 + (1 - √½)/2, 0.1, then back up.
        (
            "CosineAnnealingLR", dict(T_max=4, eta_min=0.1), 1.1,
            [1.1, COS_1, 0.6, 0.2 - COS_1 + 1.0, 0.1, 0.2 - COS_1 + 1.0, 0.6],
        ),
        # METRICS: best 3 → 2 (t=1); t=2,3 bad → 2 > patience → halve at t=3, cooldown 1 swallows t=4's count
        # (t=4 improves anyway: best 1); t=5,6 bad → halve at t=6; t=7 in cooldown; t=8,9: 9 improves.
        (
            "ReduceLROnPlateau", dict(patience=1, factor=0.5, cooldown=1), 1.0,
            [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25],
        ),
    ],
)  # fmt: skip
def test_lr_scheduler_worked_example(name, kwargs, lr, expected):
    sched = getattr(lr_scheduler, name)(_optimizer(lr), **kwargs)
    assert _trajectory(sched, len(expected) - 1) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "metrics", "expected"),
    [
        # 'max': rising is good; 0.9 < 1.0 twice with patience 1 → halve.
        (dict(mode="max", patience=1, factor=0.5), [1.0, 0.9, 0.9, 2.0], [1.0, 1.0, 0.5, 0.5]),
        # 'abs' threshold 0.5: 1.0 → 0.7 is not an improvement, patience 0 halves at once.
        (dict(threshold=0.5, threshold_mode="abs", patience=0, factor=0.5), [1.0, 0.7, 0.1], [1.0, 0.5, 0.5]),
        # min_lr clamps at 0.3; further reductions below eps are skipped.
        (dict(patience=0, factor=0.5, min_lr=0.3), [1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 0.3, 0.3]),
    ],
)
def test_reduce_lr_on_plateau_modes(kwargs, metrics, expected):
    sched = lr_scheduler.ReduceLROnPlateau(_optimizer(), **kwargs)
    lrs = []
    for metric in metrics:
        sched.step(np.float64(metric))
        lrs.append(sched.get_last_lr()[0])
    assert lrs == expected


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_scheduler_initial_lr_and_float_lrs(name):
    opt = _optimizer(0.1, groups=2)
    sched = getattr(lr_scheduler, name)(opt, **SCHEDULERS[name])
    # PyTorch sets initial_lr for the epoch schedulers only, not for ReduceLROnPlateau.
    has_initial = name != "ReduceLROnPlateau"
    assert [("initial_lr" in g) for g in opt.param_groups] == [has_initial, has_initial]
    if has_initial:
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2] == sched.base_lrs
    for epoch in range(8):
        _step(sched, epoch)
        # Python floats: a NumPy float64 lr would promote float32 updates to float64.
        assert all(type(lr) is float for lr in sched.get_last_lr())
        assert all(type(g["lr"]) is float for g in opt.param_groups)
    for group in opt.param_groups:
        assert group["params"][0].data.dtype == np.float32


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_scheduler_state_dict_round_trip(name):
    opt = Adam([Parameter(np.zeros(2))], lr=0.1)
    sched = getattr(lr_scheduler, name)(opt, **SCHEDULERS[name])
    for epoch in range(3):
        _step(sched, epoch)
    saved_sched = json.loads(json.dumps(sched.state_dict()))
    saved_opt = opt.state_dict()
    expected = [_step(sched, epoch) or sched.get_last_lr() for epoch in range(3, 10)]

    fresh_opt = Adam([Parameter(np.zeros(2))], lr=0.5)
    fresh_opt.load_state_dict(saved_opt)
    fresh = getattr(lr_scheduler, name)(fresh_opt, **SCHEDULERS[name])
    fresh.load_state_dict(saved_sched)
    assert fresh.get_last_lr() == saved_sched["_last_lr"]
    assert [_step(fresh, epoch) or fresh.get_last_lr() for epoch in range(3, 10)] == expected


def test_lr_scheduler_load_state_dict_reports_missing_entries():
    sched = lr_scheduler.StepLR(_optimizer(), step_size=2)
    with pytest.raises(ValueError, match=r"lacks the entries \['step_size', 'gamma'\]"):
        sched.load_state_dict({"base_lrs": [1.0], "last_epoch": 0, "_step_count": 1, "_last_lr": [1.0]})


# ---------------------------------------------------------------------------- PyTorch parity
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


@pytest.mark.parametrize("config", SCHEDULER_CONFIGS, ids=config_id)
def test_lr_scheduler_matches_torch_after_20_steps(config, torch):
    name, kwargs = config
    ours, theirs, opt_ours, opt_theirs, lrs_ours, lrs_theirs = train_both(
        np.float64,
        lambda mod, p: mod.SGD(p, lr=0.1, momentum=0.9),
        lambda mod, opt: getattr(mod, name)(opt, **kwargs),
        overrides=dict(lr=0.05),
    )
    assert lrs_ours.shape == (STEPS, 2)
    np.testing.assert_allclose(lrs_ours, lrs_theirs, rtol=0, atol=1e-12)
    assert len(np.unique(lrs_ours[:, 0])) > 1  # the schedule did change the rate
    assert max_param_diff(ours, theirs) <= TOL[np.float64]
    for group_ours, group_theirs in zip(opt_ours.param_groups, opt_theirs.param_groups):
        assert group_ours.get("initial_lr") == group_theirs.get("initial_lr")


@pytest.mark.parametrize("config", [c for c in SCHEDULER_CONFIGS if c[0] != "ReduceLROnPlateau"], ids=config_id)
def test_lr_scheduler_resume_with_last_epoch_matches_torch(config, torch):
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
