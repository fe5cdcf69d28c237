"""The schedulers PyTorch users reach for beyond the classic decays (src/nnumpy/optim/_schedulers/):
ConstantLR, LinearLR, PolynomialLR, LambdaLR, MultiplicativeLR, SequentialLR, ChainedScheduler,
CyclicLR, OneCycleLR and CosineAnnealingWarmRestarts.

The parity cases replay the configurations of PyTorch's own scheduler tests
(pytorch/pytorch ``test/optim/test_lrscheduler.py``: same arguments, same two
parameter groups at lr 0.05 and 0.5, same epoch counts and metrics) in both
libraries and compare every learning rate and momentum along the way.
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings

import numpy as np
import pytest

from nnumpy import optim
from nnumpy.nn import Parameter
from nnumpy.optim import SGD, Adam, lr_scheduler


# ---------------------------------------------------------------------------- PyTorch's configurations
def _plateau_and(other):
    return lambda L, o: [L.ReduceLROnPlateau(o, **other[0]), other[1](L, o)]


def _cos_then_cyclic(L, o):
    return [L.CosineAnnealingLR(o, T_max=20, eta_min=0.1), L.CyclicLR(o, base_lr=0.1, max_lr=0.3, step_size_up=1,
                                                                    step_size_down=3)]


class _Scale:
    """A callable object: its attributes (not its code) go into the state dict."""

    def __init__(self, value):
        self.value = value

    def __call__(self, epoch):
        return self.value**epoch


# (id, builder(lr_scheduler module, optimizer) -> scheduler or list stepped together, epochs, options).
# Options: opt ("sgd" | "adam" | "sgd-lr0.5" | "adamw"), metrics (ReduceLROnPlateau), epochs_arg (step(epoch)),
# t_cur (set T_cur before each step), switch (cosine then cyclic: which scheduler steps at epoch i),
# build_warns (torch warns while building: a chain restarted by SequentialLR steps before optimizer.step()).
PLATEAU_METRICS = {
    1: [10 - i * 0.0167 for i in range(20)],
    2: [10 - i * 0.0165 for i in range(22)],
    3: [-0.8] * 2 + [-0.234] * 20,
    4: [1.5 * (1.025**i) for i in range(20)],
    5: [1.5 * (1.005**i) for i in range(20)],
    6: [1.5 * (0.85**i) for i in range(20)],
    7: [1] * 7 + [0.6] + [0.5] * 12,
}
CAWR_FRACTIONAL = [round(0.1 * i, 1) for i in range(300)]
CAWR_INTERLEAVED = {
    1: [0, 1, 2, 3, 4, 5, 12, 27, 3, 4, 5, 6, 13],
    2: [0, 1, 2, 3, 4, 5, 25, 32, 33, 34, 80, 81, 3],
    3: [0, 0.1, 0.2, 0.3, 1.3, 2.3, 17.5, 18.5, 19.5, 29.5, 30.5, 31.5, 50],
}
ETA = 1e-10

TORCH_CASES = [
    # classic decays, for SequentialLR and ChainedScheduler's sake
    ("step_lr", lambda L, o: L.StepLR(o, gamma=0.1, step_size=3), 20, {}),
    ("multi_step_lr", lambda L, o: L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9]), 20, {}),
    ("exp_lr", lambda L, o: L.ExponentialLR(o, gamma=0.9), 20, {}),
    ("cos_anneal_lr", lambda L, o: L.CosineAnnealingLR(o, T_max=10, eta_min=ETA), 10, {}),
    ("closed_form_cos_anneal_lr", lambda L, o: L.CosineAnnealingLR(o, T_max=5, eta_min=ETA), 20, {}),
    # constant, linear, polynomial
    ("constantlr", lambda L, o: L.ConstantLR(o, factor=1.0 / 2, total_iters=5), 10, {}),
    ("closed_form_constantlr", lambda L, o: L.ConstantLR(o, factor=1.0 / 3, total_iters=4), 20, {}),
    ("constantlr_defaults", lambda L, o: L.ConstantLR(o), 10, {}),
    ("linearlr", lambda L, o: L.LinearLR(o, start_factor=1.0 / 2, total_iters=4), 10, {}),
    ("get_last_lr_linearlr", lambda L, o: L.LinearLR(o, start_factor=1.0 / 4, end_factor=3.0 / 5, total_iters=4),
     10, {}),
    ("closed_form_linearlr", lambda L, o: L.LinearLR(o, start_factor=1.0 / 3, end_factor=0.7, total_iters=4), 20, {}),
    ("linearlr_defaults", lambda L, o: L.LinearLR(o), 10, {}),
    ("poly_lr", lambda L, o: L.PolynomialLR(o, power=0.9, total_iters=5), 10, {}),
    ("closed_form_poly_lr", lambda L, o: L.PolynomialLR(o, power=0.9), 20, {}),
    # functions of the epoch
    ("lambda_lr", lambda L, o: L.LambdaLR(o, lr_lambda=[lambda x1: 0.9**x1, lambda x2: 0.8**x2]), 10, {}),
    ("lambda_lr_object", lambda L, o: L.LambdaLR(o, lr_lambda=_Scale(0.95)), 10, {}),
    ("multiplicative_lr", lambda L, o: L.MultiplicativeLR(o, lr_lambda=[lambda x1: 0.9, lambda x2: 0.8]), 10, {}),
    # SequentialLR
    ("sequentiallr1", lambda L, o: L.SequentialLR(o, [L.ExponentialLR(o, gamma=0.8),
                                                       L.StepLR(o, gamma=0.1, step_size=4)], milestones=[3]), 19, {}),
    ("sequentiallr2", lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=3),
                                                       L.ExponentialLR(o, gamma=0.9)], milestones=[3]), 13, {}),
    ("sequentiallr3", lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=3),
                                                       L.ExponentialLR(o, gamma=0.8),
                                                       L.StepLR(o, gamma=0.1, step_size=2)], milestones=[3, 6]), 12, {}),
    ("sequentiallr4", lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=1), L.ConstantLR(o, factor=0.1)],
                                                   milestones=[10]), 14, {}),
    ("sequentiallr5", lambda L, o: L.SequentialLR(
        o, [L.ChainedScheduler([L.LinearLR(o, start_factor=0.1, total_iters=5),
                                L.ConstantLR(o, factor=0.1, total_iters=5)]),
            L.ConstantLR(o, factor=0.5, total_iters=5)], milestones=[5]), 10, dict(build_warns=True)),
    ("sequentiallr_no_warnings", lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=5), L.ExponentialLR(o, gamma=0.9)],
        milestones=[5]), 10, {}),
    ("sequentiallr_linear_up_down", lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, 0.8, total_iters=4), L.LinearLR(o, 0.8, 0.1, total_iters=4)], milestones=[4]),
     8, {}),
    ("sequentiallr_warmup_cosine", lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.01, total_iters=5), L.CosineAnnealingLR(o, T_max=15, eta_min=1e-4)],
        milestones=[5]), 30, {}),
    # ChainedScheduler
    ("chained_lr1", lambda L, o: L.ChainedScheduler([L.StepLR(o, gamma=0.1, step_size=3)]), 10, {}),
    ("chained_lr2", lambda L, o: L.ChainedScheduler([L.LinearLR(o, start_factor=0.4, total_iters=3)]), 10, {}),
    ("chained_lr3", lambda L, o: L.ChainedScheduler([L.LinearLR(o, start_factor=0.4, total_iters=3),
                                                     L.MultiStepLR(o, milestones=[4, 8, 10], gamma=0.1)]), 10, {}),
    ("chained_lr4", lambda L, o: L.ChainedScheduler([L.ExponentialLR(o, gamma=0.9),
                                                     L.ConstantLR(o, factor=0.2, total_iters=4),
                                                     L.StepLR(o, gamma=0.1, step_size=3)]), 9, {}),
    ("chained_lr5", lambda L, o: L.ChainedScheduler([L.PolynomialLR(o, power=0.9, total_iters=5),
                                                     L.ConstantLR(o, factor=0.1)]), 10, {}),
    # several schedulers stepped side by side (PyTorch's "compound" tests)
    ("compound_step_and_multistep_lr", lambda L, o: [L.StepLR(o, gamma=0.1, step_size=3),
                                                     L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9])], 10, {}),
    ("compound_step_and_exp_lr", lambda L, o: [L.StepLR(o, gamma=0.1, step_size=3), L.ExponentialLR(o, gamma=0.9)],
     10, {}),
    ("compound_exp_and_multistep_lr", lambda L, o: [L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9]),
                                                    L.ExponentialLR(o, gamma=0.9)], 10, {}),
    ("compound_exp_and_linearlr", lambda L, o: [L.LinearLR(o, start_factor=0.4, end_factor=0.9, total_iters=4),
                                                L.ExponentialLR(o, gamma=0.9)], 10, {}),
    ("compound_step_and_constantlr", lambda L, o: [L.StepLR(o, gamma=0.1, step_size=3),
                                                   L.ConstantLR(o, factor=0.4, total_iters=4)], 10, {}),
    ("compound_linearlr_and_multistep_lr", lambda L, o: [L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9]),
                                                         L.LinearLR(o, start_factor=0.4, total_iters=4)], 10, {}),
    ("compound_cosanneal_and_step_lr", lambda L, o: [L.CosineAnnealingLR(o, T_max=10, eta_min=ETA),
                                                     L.StepLR(o, gamma=0.1, step_size=3)], 10, {}),
    ("compound_cosanneal_and_multistep_lr", lambda L, o: [L.CosineAnnealingLR(o, T_max=10, eta_min=ETA),
                                                          L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9])], 10, {}),
    ("compound_cosanneal_and_linearlr", lambda L, o: [L.LinearLR(o, start_factor=0.4, total_iters=4),
                                                      L.CosineAnnealingLR(o, T_max=10, eta_min=ETA)], 10, {}),
    ("compound_cosanneal_and_exp_lr", lambda L, o: [L.CosineAnnealingLR(o, T_max=10, eta_min=ETA),
                                                    L.ExponentialLR(o, gamma=0.1)], 10, {}),
    # ReduceLROnPlateau, alone and beside an epoch scheduler
    ("reduce_lr_on_plateau1", lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="abs", mode="min", threshold=0.01,
                                                                patience=5, cooldown=5), 10,
     dict(opt="sgd-lr0.5", metrics=1)),
    ("reduce_lr_on_plateau2", lambda L, o: L.ReduceLROnPlateau(o, patience=5, cooldown=0, threshold_mode="abs",
                                                                mode="min", threshold=0.1), 22,
     dict(opt="sgd-lr0.5", metrics=2)),
    ("reduce_lr_on_plateau3", lambda L, o: L.ReduceLROnPlateau(o, mode="max", patience=5, cooldown=5,
                                                                threshold_mode="abs"), 22,
     dict(opt="sgd-lr0.5", metrics=3)),
    ("reduce_lr_on_plateau4", lambda L, o: L.ReduceLROnPlateau(o, mode="max", patience=3, threshold_mode="rel",
                                                                threshold=0.1), 20, dict(opt="sgd-lr0.5", metrics=4)),
    ("reduce_lr_on_plateau5", lambda L, o: L.ReduceLROnPlateau(o, mode="max", threshold_mode="rel", threshold=0.1,
                                                                patience=5, cooldown=5), 20,
     dict(opt="sgd-lr0.5", metrics=5)),
    ("reduce_lr_on_plateau6", lambda L, o: L.ReduceLROnPlateau(o, mode="min", threshold_mode="rel", threshold=0.1),
     20, dict(opt="sgd-lr0.5", metrics=6)),
    ("reduce_lr_on_plateau7", lambda L, o: L.ReduceLROnPlateau(o, mode="min", threshold_mode="rel", threshold=0.1,
                                                                patience=5, cooldown=5), 20,
     dict(opt="sgd-lr0.5", metrics=7)),
    ("reduce_lr_on_plateau8", lambda L, o: L.ReduceLROnPlateau(o, mode="max", threshold_mode="rel", min_lr=[0.4, 0.3],
                                                                threshold=0.1, patience=5, cooldown=5), 20,
     dict(opt="sgd-lr0.5", metrics=5)),
    ("compound_reduce_lr_on_plateau1", _plateau_and((dict(threshold_mode="abs", mode="min", threshold=0.01,
                                                          patience=5, cooldown=5),
                                                     lambda L, o: L.StepLR(o, gamma=0.1, step_size=3))), 10,
     dict(opt="sgd-lr0.5", metrics=1)),
    ("compound_reduce_lr_on_plateau2", _plateau_and((dict(patience=5, cooldown=0, threshold_mode="abs", mode="min",
                                                          threshold=0.1),
                                                     lambda L, o: L.MultiStepLR(o, gamma=0.1, milestones=[3, 8, 12]))),
     22, dict(opt="sgd-lr0.5", metrics=2)),
    ("compound_reduce_lr_on_plateau3", _plateau_and((dict(mode="max", patience=5, cooldown=5, threshold_mode="abs"),
                                                     lambda L, o: L.ExponentialLR(o, gamma=0.1))), 22,
     dict(opt="sgd-lr0.5", metrics=3)),
    ("compound_reduce_lr_on_plateau4", _plateau_and((dict(mode="max", patience=3, threshold_mode="rel", threshold=0.1),
                                                     lambda L, o: L.CosineAnnealingLR(o, 10, ETA))), 10,
     dict(metrics=4)),
    ("compound_reduce_lr_on_plateau5", _plateau_and((dict(patience=5, cooldown=0, threshold_mode="abs", mode="min",
                                                          threshold=0.1),
                                                     lambda L, o: L.LinearLR(o, start_factor=0.4, total_iters=4))),
     22, dict(opt="sgd-lr0.5", metrics=2)),
    # CyclicLR (momentum cycles the other way)
    ("cycle_lr_triangular_mode_one_lr", lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4,
                                                                 base_momentum=1, max_momentum=5), 11, {}),
    ("cycle_lr_triangular_mode_one_lr_no_momentum", lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4,
                                                                             cycle_momentum=False), 11, {}),
    ("cycle_lr_triangular2_mode_one_lr", lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4,
                                                                  base_momentum=1, max_momentum=5,
                                                                  mode="triangular2"), 22, {}),
    ("cycle_lr_exp_range_mode_one_lr", lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4,
                                                                base_momentum=1, max_momentum=5, mode="exp_range",
                                                                gamma=0.9), 13, {}),
    ("cycle_lr_triangular_mode", lambda L, o: L.CyclicLR(o, base_lr=[1, 2], max_lr=[5, 6], step_size_up=4,
                                                          base_momentum=[1, 2], max_momentum=[5, 6]), 11, {}),
    ("cycle_lr_triangular2_mode", lambda L, o: L.CyclicLR(o, base_lr=[1, 3], max_lr=[5, 7], step_size_up=4,
                                                           base_momentum=[1, 3], max_momentum=[5, 7],
                                                           mode="triangular2"), 22, {}),
    ("cycle_lr_exp_range_mode", lambda L, o: L.CyclicLR(o, base_lr=[1, 5], max_lr=[5, 12], step_size_up=4,
                                                         base_momentum=[1, 5], max_momentum=[5, 12],
                                                         mode="exp_range", gamma=0.9), 13, {}),
    ("cycle_lr_triangular_mode_step_size_up_down", lambda L, o: L.CyclicLR(
        o, base_lr=1, max_lr=5, step_size_up=4, step_size_down=6, base_momentum=1, max_momentum=5), 11, {}),
    ("cycle_lr_triangular2_mode_step_size_up_down", lambda L, o: L.CyclicLR(
        o, base_lr=[1, 3], max_lr=[5, 7], step_size_up=2, step_size_down=6, base_momentum=[1, 3],
        max_momentum=[5, 7], mode="triangular2"), 24, {}),
    ("cycle_lr_exp_range_mode_step_size_up_down", lambda L, o: L.CyclicLR(
        o, base_lr=1, max_lr=5, step_size_up=2, step_size_down=6, base_momentum=1, max_momentum=5,
        mode="exp_range", gamma=0.9), 13, {}),
    ("cycle_lr_with_momentumless_optimizer", lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4,
                                                                      cycle_momentum=False), 11, dict(opt="adam")),
    ("cycle_lr_cycle_momentum_with_beta1_optimizer", lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4),
     11, dict(opt="adam")),
    ("cosine_then_cyclic", _cos_then_cyclic, 40, dict(switch=20)),
    # OneCycleLR
    ("onecycle_lr_linear_annealing", lambda L, o: L.OneCycleLR(o, max_lr=25, final_div_factor=2, base_momentum=1,
                                                                max_momentum=22, total_steps=10,
                                                                anneal_strategy="linear"), 10, {}),
    ("onecycle_lr_linear_annealing_three_phases", lambda L, o: L.OneCycleLR(
        o, max_lr=25, div_factor=25, base_momentum=1, max_momentum=22, total_steps=10, anneal_strategy="linear",
        pct_start=0.4, final_div_factor=4, three_phase=True), 10, {}),
    ("onecycle_lr_cosine_annealing", lambda L, o: L.OneCycleLR(o, max_lr=25, final_div_factor=2, base_momentum=1,
                                                                max_momentum=22, total_steps=10), 10, {}),
    ("cycle_lr_with_adam", lambda L, o: L.OneCycleLR(o, max_lr=25, final_div_factor=2, base_momentum=1,
                                                      max_momentum=22, total_steps=10, anneal_strategy="linear"),
     10, dict(opt="adam")),
    ("onecycle_lr_epochs_steps_per_epoch", lambda L, o: L.OneCycleLR(o, max_lr=[0.1, 1.0], epochs=3,
                                                                      steps_per_epoch=7), 21, {}),
    # CosineAnnealingWarmRestarts: epoch by epoch, by tenths of an epoch, and jumping around
    *[(f"CosineAnnealingWarmRestarts_lr1-T_mult={m}", lambda L, o, m=m: L.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=m, eta_min=ETA), 100, {}) for m in (1, 2, 4)],
    *[(f"CosineAnnealingWarmRestarts_lr2-T_mult={m}", lambda L, o, m=m: L.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=m, eta_min=ETA), 300, dict(epochs_arg=CAWR_FRACTIONAL)) for m in (1, 2, 4)],
    *[(f"CosineAnnealingWarmRestarts_lr3-T_mult={m}", lambda L, o, m=m: L.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=m, eta_min=ETA), 13, dict(epochs_arg=CAWR_INTERLEAVED[m])) for m in (1, 2, 3)],
    ("CosineAnnealingWarmRestarts_T_cur_reset", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4), 3,
     dict(t_cur=[7, 8, 9])),
]  # fmt: skip


def _optimizer(mod, params, kind):
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}]
    if kind == "adam":
        return mod.Adam(groups, lr=0.05)
    if kind == "sgd-lr0.5":
        return mod.SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=0.5)
    return mod.SGD(groups, lr=0.05)


def _hyper(opt):
    """(lr, momentum or beta1) of each group, as Python floats."""
    out = []
    for g in opt.param_groups:
        momentum = g["betas"][0] if "betas" in g else g.get("momentum")
        out.append((float(g["lr"]), None if momentum is None else float(momentum)))
    return out


def _replay(mod, params, case):
    """Every group's (lr, momentum) before the first step and after each step of ``case``."""
    _, build, epochs, options = case
    opt = _optimizer(mod, params, options.get("opt", "sgd"))
    plateau = mod.lr_scheduler.ReduceLROnPlateau
    with warnings.catch_warnings() if options.get("build_warns") else contextlib.nullcontext():
        if options.get("build_warns"):
            warnings.simplefilter("ignore", UserWarning)
        scheds = build(mod.lr_scheduler, opt)
    scheds = scheds if isinstance(scheds, list) else [scheds]
    metrics = PLATEAU_METRICS.get(options.get("metrics"))
    trajectory = [_hyper(opt)]
    for i in range(epochs):
        opt.step()
        if "switch" in options:  # PyTorch's cosine_then_cyclic: the first scheduler, then the second
            scheds[0 if i <= options["switch"] else 1].step()
        else:
            for s in scheds:
                if "t_cur" in options:
                    s.T_cur = options["t_cur"][i]
                if isinstance(s, plateau):
                    s.step(metrics[i])
                elif "epochs_arg" in options:
                    s.step(options["epochs_arg"][i])
                else:
                    s.step()
        trajectory.append(_hyper(opt))
    return trajectory, scheds


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_lr_scheduler_matches_torch_on_its_test_configurations(case, torch):
    ours, _ = _replay(optim, [Parameter(np.zeros(2)), Parameter(np.zeros(2))], case)
    theirs, _ = _replay(torch.optim, [torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)], case)
    assert len(ours) == case[2] + 1
    np.testing.assert_array_equal(np.array(ours, dtype=float), np.array(theirs, dtype=float))


# PyTorch's test_lr_scheduler_checkpoint: one step, then a new scheduler over the reloaded optimizer with last_epoch=0.
CHECKPOINT_CASES = {
    "ExponentialLR": dict(gamma=0.999),
    "LambdaLR": dict(lr_lambda=lambda epoch: epoch // 30),
    "MultiplicativeLR": dict(lr_lambda=lambda epoch: 0.95),
    "StepLR": dict(step_size=30),
    "MultiStepLR": dict(milestones=[30, 80]),
    "ConstantLR": {},
    "LinearLR": {},
    "PolynomialLR": {},
    "CosineAnnealingLR": dict(T_max=10),
    "CosineAnnealingWarmRestarts": dict(T_0=20),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1),
    "OneCycleLR": dict(max_lr=0.01, total_steps=10),
}


@pytest.mark.parametrize("name", list(CHECKPOINT_CASES))
def test_lr_scheduler_rebuilt_with_last_epoch_0_matches_torch(name, torch):
    def rebuilt(mod, params):
        cls = getattr(mod.lr_scheduler, name)
        opt = mod.AdamW(params)
        sched = cls(opt, **CHECKPOINT_CASES[name])
        opt.step()
        sched.step()
        opt2 = mod.AdamW(params)
        opt2.load_state_dict(opt.state_dict())
        sched2 = cls(opt2, **CHECKPOINT_CASES[name], last_epoch=0)
        return sched2.get_last_lr() + [opt.param_groups[0]["lr"]]

    ours = rebuilt(optim, [Parameter(np.zeros(3))])
    theirs = rebuilt(torch.optim, [torch.zeros(3, requires_grad=True)])
    assert ours == [float(v) for v in theirs]


# ---------------------------------------------------------------------------- state_dict
def _every_scheduler(L, o):
    """One configuration of every scheduler (composites and function-driven ones included)."""
    return {
        "StepLR": lambda: L.StepLR(o, step_size=2, gamma=0.5),
        "MultiStepLR": lambda: L.MultiStepLR(o, milestones=[1, 3, 3], gamma=0.5),
        "ExponentialLR": lambda: L.ExponentialLR(o, gamma=0.8),
        "CosineAnnealingLR": lambda: L.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
        "ReduceLROnPlateau": lambda: L.ReduceLROnPlateau(o, patience=0, factor=0.5),
        "ConstantLR": lambda: L.ConstantLR(o, factor=0.5, total_iters=4),
        "LinearLR": lambda: L.LinearLR(o, start_factor=0.1, total_iters=6),
        "PolynomialLR": lambda: L.PolynomialLR(o, total_iters=8, power=2.0),
        "LambdaLR": lambda: L.LambdaLR(o, lr_lambda=_Scale(0.9)),
        "MultiplicativeLR": lambda: L.MultiplicativeLR(o, lr_lambda=lambda epoch: 0.9),
        "SequentialLR": lambda: L.SequentialLR(
            o, [L.LinearLR(o, start_factor=0.1, total_iters=3), L.CosineAnnealingLR(o, T_max=6)], milestones=[3]),
        "ChainedScheduler": lambda: L.ChainedScheduler(
            [L.ExponentialLR(o, gamma=0.9), L.ConstantLR(o, factor=0.5, total_iters=4)]),
        "CyclicLR": lambda: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"),
        "OneCycleLR": lambda: L.OneCycleLR(o, max_lr=0.1, total_steps=12, three_phase=True),
        "CosineAnnealingWarmRestarts": lambda: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    }  # fmt: skip


EVERY = list(_every_scheduler(None, None))
METRICS = [3.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.4, 0.4]


def _advance(sched, epochs):
    for epoch in epochs:
        sched.optimizer.step()
        sched.step(METRICS[epoch]) if isinstance(sched, lr_scheduler.ReduceLROnPlateau) else sched.step()
    return _hyper(sched.optimizer)


def test_every_scheduler_is_exported_and_covered():
    assert sorted(EVERY + ["LRScheduler"]) == sorted(lr_scheduler.__all__)


@pytest.mark.parametrize("name", EVERY)
def test_lr_scheduler_state_dict_round_trip_mid_schedule(name):
    """JSON round trip of scheduler + optimizer after 5 steps; the rebuilt pair continues bit-identically."""
    opt = SGD([{"params": [Parameter(np.zeros(2))]}, {"params": [Parameter(np.zeros(2))], "lr": 0.2}], lr=0.1,
              momentum=0.9)
    sched = _every_scheduler(lr_scheduler, opt)[name]()
    _advance(sched, range(5))
    saved = json.loads(json.dumps(sched.state_dict()))  # plain data: no function, no pickle
    saved_opt = opt.state_dict()
    expected = [_advance(sched, [epoch]) for epoch in range(5, 12)]

    fresh_opt = SGD([{"params": [Parameter(np.zeros(2))]}, {"params": [Parameter(np.zeros(2))], "lr": 0.2}], lr=0.1,
                    momentum=0.9)
    fresh = _every_scheduler(lr_scheduler, fresh_opt)[name]()
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    assert fresh.get_last_lr() == saved["_last_lr"]
    assert [_advance(fresh, [epoch]) for epoch in range(5, 12)] == expected
    assert json.loads(json.dumps(fresh.state_dict())) == json.loads(json.dumps(sched.state_dict()))


def test_lambda_lr_state_dict_keeps_attributes_of_objects_not_functions():
    opt = SGD([{"params": [Parameter(np.zeros(1))]}, {"params": [Parameter(np.zeros(1))]}], lr=1.0)
    sched = lr_scheduler.LambdaLR(opt, lr_lambda=[lambda epoch: 0.5, _Scale(0.9)])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"value": 0.9}]
    other = _Scale(0.1)
    rebuilt = lr_scheduler.LambdaLR(opt, lr_lambda=[lambda epoch: 0.5, other])
    rebuilt.load_state_dict(state)
    assert other.value == 0.9


def test_cyclic_lr_state_dict_keeps_no_scale_function():
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=1.0, scale_fn=lambda x: 0.5, cycle_momentum=False)
    assert sched.state_dict()["_scale_fn_custom"] is None
    json.dumps(sched.state_dict())


def test_composite_state_dict_needs_the_same_schedulers():
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    chain = lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(opt, gamma=0.9)])
    state = chain.state_dict()
    longer = lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(opt, gamma=0.9),
                                            lr_scheduler.ConstantLR(opt)])
    with pytest.raises(ValueError, match="holds 1 scheduler states, this scheduler drives 2: rebuild it"):
        longer.load_state_dict(state)


# ---------------------------------------------------------------------------- Python floats, dtypes
@pytest.mark.parametrize("name", EVERY)
def test_lr_scheduler_writes_python_floats(name):
    params = [Parameter(np.zeros(2, dtype=np.float32)), Parameter(np.zeros(2, dtype=np.float32))]
    for opt in (SGD([{"params": [p]} for p in params], lr=0.1, momentum=0.9), Adam([{"params": params}], lr=0.1)):
        sched = _every_scheduler(lr_scheduler, opt)[name]()
        for epoch in range(10):
            for p in params:
                p.grad = np.ones(2, dtype=np.float32)
            _advance(sched, [epoch])
            # A NumPy float64 lr or momentum would promote float32 updates to float64.
            for group in opt.param_groups:
                assert type(group["lr"]) is float
                assert all(type(v) is float for v in group.get("betas", (group.get("momentum", 0.0),)))
            assert all(type(lr) is float for lr in sched.get_last_lr())
        assert all(p.data.dtype == np.float32 for p in params)


# ---------------------------------------------------------------------------- checks
def _opt(groups=1, **kw):
    return SGD([{"params": [Parameter(np.zeros(1))]} for _ in range(groups)], lr=0.1, **kw)


@pytest.mark.parametrize(
    ("name", "kwargs", "exc", "message"),
    [
        ("ConstantLR", dict(factor=0.0), ValueError, "The 'factor' parameter of ConstantLR must be a float in (0, 1]. Got 0.0 instead."),
        ("ConstantLR", dict(total_iters=0), ValueError, "The 'total_iters' parameter of ConstantLR must be an int > 0. Got 0 instead."),
        ("LinearLR", dict(start_factor=1.1), ValueError, "The 'start_factor' parameter of LinearLR must be a float in (0, 1]. Got 1.1 instead."),
        ("LinearLR", dict(start_factor=0.0), ValueError, "The 'start_factor' parameter of LinearLR must be a float in (0, 1]. Got 0.0 instead."),
        ("LinearLR", dict(end_factor=-0.5), ValueError, "The 'end_factor' parameter of LinearLR must be a float in [0, 1]. Got -0.5 instead."),
        ("PolynomialLR", dict(power=-1.0), ValueError, "The 'power' parameter of PolynomialLR must be a float >= 0. Got -1.0 instead."),
        ("LambdaLR", dict(lr_lambda=0.95), TypeError, "The 'lr_lambda' parameter of LambdaLR must be a function of the epoch, or a list of 1 functions (one per parameter group). Got 0.95 instead."),
        ("MultiplicativeLR", dict(lr_lambda=[abs, abs]), ValueError, "The 'lr_lambda' parameter of MultiplicativeLR must be a function of the epoch, or a list of 1 functions (one per parameter group). Got [<built-in function abs>, <built-in function abs>] instead."),
        ("CyclicLR", dict(base_lr=0, max_lr=0, mode="CATS"), ValueError, "The 'mode' parameter of CyclicLR must be one of 'triangular', 'triangular2', 'exp_range'. Got 'CATS' instead."),
        ("CyclicLR", dict(base_lr=[0.1, 0.2], max_lr=1.0), ValueError, "The 'base_lr' parameter of CyclicLR must be a float or a list of 1 floats (one per group). Got [0.1, 0.2] instead."),
        ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, step_size_up=0), ValueError, "The 'step_size_up' parameter of CyclicLR must be a float > 0. Got 0 instead."),
        ("OneCycleLR", dict(max_lr=1e-3, total_steps=10, anneal_strategy="CATS"), ValueError, "The 'anneal_strategy' parameter of OneCycleLR must be one of 'cos', 'linear'. Got 'CATS' instead."),
        ("OneCycleLR", dict(max_lr=1e-3, total_steps=10, pct_start=1.1), ValueError, "The 'pct_start' parameter of OneCycleLR must be a float in [0, 1]. Got 1.1 instead."),
        ("OneCycleLR", dict(max_lr=1e-3), ValueError, "OneCycleLR needs the length of the cycle: pass total_steps, or epochs and steps_per_epoch (e.g. steps_per_epoch=len(train_loader))."),
        ("OneCycleLR", dict(max_lr=1e-3, epochs=0, steps_per_epoch=5), ValueError, "The 'epochs' parameter of OneCycleLR must be an int > 0. Got 0 instead."),
        ("CosineAnnealingWarmRestarts", dict(T_0=0), ValueError, "The 'T_0' parameter of CosineAnnealingWarmRestarts must be an int > 0. Got 0 instead."),
        ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=1.5), TypeError, "The 'T_mult' parameter of CosineAnnealingWarmRestarts must be an int >= 1. Got 1.5 instead."),
    ],
)  # fmt: skip
def test_lr_scheduler_more_invalid_hyperparameter_message(name, kwargs, exc, message):
    with pytest.raises(exc) as info:
        getattr(lr_scheduler, name)(_opt(), **kwargs)
    assert str(info.value) == message


def test_cyclic_lr_cycle_momentum_needs_momentum_or_betas():
    opt = optim.Adagrad([Parameter(np.zeros(1))])
    with pytest.raises(ValueError, match=r"needs an optimizer with 'momentum' or 'betas'.*pass cycle_momentum=False"):
        lr_scheduler.CyclicLR(opt, base_lr=1, max_lr=5)
    with pytest.raises(ValueError, match=r"needs an optimizer with 'momentum' or 'betas'"):
        lr_scheduler.OneCycleLR(opt, max_lr=1, total_steps=5)
    lr_scheduler.CyclicLR(opt, base_lr=1, max_lr=5, cycle_momentum=False)


def test_one_cycle_lr_refuses_to_step_past_total_steps():
    opt = _opt()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="OneCycleLR was stepped 4 times, but total_steps is 3"):
        sched.step()


def test_sequential_lr_and_chained_scheduler_checks():
    opt, other = _opt(), _opt()
    a, b = lr_scheduler.ExponentialLR(opt, gamma=0.9), lr_scheduler.ExponentialLR(other, gamma=0.9)
    with pytest.raises(ValueError, match=r"schedulers\[1\] \(ExponentialLR\) schedules another optimizer"):
        lr_scheduler.ChainedScheduler([a, b])
    with pytest.raises(ValueError, match="'schedulers' parameter of ChainedScheduler must be a non-empty list"):
        lr_scheduler.ChainedScheduler([])
    with pytest.raises(ValueError, match=r"schedulers\[0\] is a ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ReduceLROnPlateau(opt), a], milestones=[2])
    with pytest.raises(ValueError, match="one milestone fewer than schedulers, got 2 schedulers and 2 milestones"):
        lr_scheduler.SequentialLR(opt, [a, lr_scheduler.StepLR(opt, 2)], milestones=[2, 4])
    with pytest.raises(ValueError, match="must be increasing ints > 0"):
        lr_scheduler.SequentialLR(opt, [a, a, a], milestones=[4, 2])
    with pytest.raises(TypeError, match=r"schedulers\[1\] is dict"):
        lr_scheduler.SequentialLR(opt, [a, {}], milestones=[2])


def test_cosine_warm_restarts_step_rejects_negative_epoch():
    sched = lr_scheduler.CosineAnnealingWarmRestarts(_opt(), T_0=3)
    with pytest.raises(ValueError, match="The 'epoch' parameter of CosineAnnealingWarmRestarts.step must be a number"):
        sched.step(-1)


# ---------------------------------------------------------------------------- worked examples
def test_warmup_then_cosine_worked_example():
    # LinearLR from 0.1·lr0 over 4 epochs (+0.225·lr0 each), then cosine from lr0 to 0 over T_max = 4.
    opt = _opt()
    opt.param_groups[0]["lr"] = 1.0
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=4)
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    sched = lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[4])
    lrs = [sched.get_last_lr()[0]] + [(opt.step(), sched.step(), sched.get_last_lr()[0])[2] for _ in range(8)]
    half = (1 + math.cos(math.pi / 4)) / 2
    expected = [0.1, 0.325, 0.55, 0.775, 1.0, half, 0.5, 1 - half, 0.0]
    assert lrs == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------------------- the docs page
def test_training_recipes_page_code_runs(tmp_path, monkeypatch, capsys, torch):
    """docs/training-recipes.md (and its Korean twin, same code): every python block runs, in order."""
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "training-recipes.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 5
    monkeypatch.chdir(tmp_path)  # the page writes model.safetensors and from_torch.safetensors
    namespace: dict = {"__name__": "training_recipes"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page.name} block {i}", "exec"), namespace)
    printed = capsys.readouterr().out.split("\n")
    assert printed[0].startswith("[0.02, 0.056, 0.092, 0.128, 0.164, 0.2, ")  # the warm-up, then the cosine
    assert printed[1].startswith("True ")  # OneCycleLR stepped exactly total_steps times
    assert printed[2:7] == ["True", "True", "1", "True 1", ""]
