"""Resuming mid-schedule ends bit-identical to an uninterrupted run, for the schedulers whose
state is more than an epoch count: OneCycleLR and CyclicLR (which also move SGD's momentum,
kept in the optimizer's param_groups), CosineAnnealingWarmRestarts (period and position),
SequentialLR and ChainedScheduler (the states of the schedulers they drive).

The run, the interruption and the checks follow tests/train/test_resume.py.
"""

import numpy as np
import pytest

from nnumpy import io, nn, optim
from nnumpy.optim import lr_scheduler as L
from nnumpy.train import fit

from .test_resume import BATCH, StopAfter, _columns, _data, _max_abs_diff

EPOCHS = 6  # 6 batches per epoch: 36 optimizer steps, the scheduler stepped after each epoch

SCHEDULERS = {
    "OneCycleLR": lambda o: L.OneCycleLR(o, max_lr=0.2, total_steps=EPOCHS, pct_start=0.4),
    "CyclicLR": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=2, mode="triangular2"),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=1, T_mult=2, eta_min=0.001),
    "SequentialLR": lambda o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=2), L.CosineAnnealingLR(o, T_max=EPOCHS - 2)], milestones=[2]),
    "ChainedScheduler": lambda o: L.ChainedScheduler(
        [L.PolynomialLR(o, total_iters=EPOCHS, power=2.0), L.ConstantLR(o, factor=0.5, total_iters=3)]),
}  # fmt: skip


def _setup(name):
    model = nn.Sequential(nn.Linear(5, 16, rng=1), nn.ReLU(), nn.Dropout(0.3, rng=2), nn.Linear(16, 3, rng=3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, opt, SCHEDULERS[name](opt)


def _fit(model, opt, sched, callbacks=(), **kw):
    X, y = _data()
    return fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=EPOCHS, batch_size=BATCH, val=(X[:30], y[:30]),
               callbacks=[sched, *callbacks], rng=7, progress=False, verbose=False, **kw)


@pytest.fixture(scope="module", params=list(SCHEDULERS))
def reference(request):
    model, opt, sched = _setup(request.param)
    history = _fit(model, opt, sched)
    assert len(set(history["lr"])) > 2  # the schedule did move the rate
    return request.param, model, history, opt.param_groups[0]["momentum"]


@pytest.mark.parametrize("crash", [False, True], ids=["stopped", "crashed"])
def test_resume_mid_schedule_bit_identical(reference, tmp_path, crash):
    # Checkpoints every 4 steps, interrupted after step 20 (epoch 3 counting from 0, batch 2): a crash
    # resumes from step 16 (epoch 2), a clean stop writes the exact position on the way out.
    name, ref_model, ref_hist, ref_momentum = reference
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched = _setup(name)
    stop = StopAfter(20, crash=crash)
    if crash:
        with pytest.raises(KeyboardInterrupt):
            _fit(model, opt, sched, callbacks=[stop], checkpoint=path, checkpoint_every=4)
    else:
        _fit(model, opt, sched, callbacks=[stop], checkpoint=path, checkpoint_every=4)
    ckpt = io.load_checkpoint(path)
    assert (ckpt.epoch, ckpt.step) == ((2, 16) if crash else (3, 20))

    model, opt, sched = _setup(name)  # fresh objects, as after a restart
    history = _fit(model, opt, sched, callbacks=[StopAfter(10**9)], checkpoint=path, checkpoint_every=4, resume=path)
    assert _max_abs_diff(model, ref_model) == 0.0
    assert _columns(history) == _columns(ref_hist)
    assert opt.param_groups[0]["momentum"] == ref_momentum


def test_resume_at_epoch_boundary_bit_identical(reference, tmp_path):
    name, ref_model, ref_hist, _ = reference
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched = _setup(name)
    _fit(model, opt, sched, callbacks=[StopAfter(18)], checkpoint=path)  # stops after epoch 3's last batch
    model, opt, sched = _setup(name)
    history = _fit(model, opt, sched, checkpoint=path, resume=path)
    assert _max_abs_diff(model, ref_model) == 0.0
    assert _columns(history) == _columns(ref_hist)
