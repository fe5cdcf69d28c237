"""Exact resume: a run interrupted and resumed from its checkpoint ends bit-identical
to the uninterrupted run (figure: max |Δparam| = 0), at an epoch boundary and mid-epoch.

The model has Dropout (its own RNG), the optimizer has momentum buffers (SGD) or
step counts (Adam), a StepLR schedule changes the learning rate, and the data are
reshuffled every epoch: each of these breaks bit-identity if it is not restored.
"""

import numpy as np
import pytest

from nnumpy import io, nn, optim
from nnumpy.optim.lr_scheduler import StepLR
from nnumpy.train import Callback, EarlyStopping, fit

EPOCHS = 4
N, BATCH = 90, 16  # 6 batches per epoch, the last one of 10 samples


def _data():
    rng = np.random.default_rng(123)
    X = rng.standard_normal((N, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5)
    return X, y


def _setup(opt_name="sgd"):
    """Fresh objects, as a new process would build them."""
    model = nn.Sequential(
        nn.Linear(5, 16, rng=1), nn.ReLU(), nn.Dropout(0.3, rng=2), nn.Linear(16, 3, rng=3)
    )
    if opt_name == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01)
    return model, opt, StepLR(opt, step_size=1, gamma=0.7)


def _fit(model, opt, sched, epochs=EPOCHS, callbacks=(), **kw):
    X, y = _data()
    return fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=BATCH, val=(X[:30], y[:30]),
               callbacks=[sched, *callbacks], rng=7, progress=False, verbose=False, **kw)


def _max_abs_diff(a, b) -> float:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    return max(float(np.max(np.abs(sa[k] - sb[k]))) if sa[k].size else 0.0 for k in sa)


def _columns(history, drop=("time",)):
    return {k: v for k, v in history.to_dict().items() if k not in drop}


class StopAfter(Callback):
    """Stop (or crash, to simulate a killed process) after ``steps`` optimizer steps."""

    def __init__(self, steps, crash=False):
        self.steps, self.crash = steps, crash

    def on_batch_end(self, state):
        if state.step >= self.steps:
            if self.crash:
                raise KeyboardInterrupt("simulated crash")
            state.stop("test stop")


@pytest.fixture(scope="module", params=["sgd", "adam"])
def reference(request):
    model, opt, sched = _setup(request.param)
    history = _fit(model, opt, sched)
    return request.param, model, history


def test_resume_epoch_boundary_bit_identical(reference, tmp_path):
    opt_name, ref_model, ref_hist = reference
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched = _setup(opt_name)
    _fit(model, opt, sched, epochs=2, checkpoint=path)
    assert io.load_checkpoint(path).epoch == 2

    model, opt, sched = _setup(opt_name)  # fresh objects, as after a restart
    history = _fit(model, opt, sched, checkpoint=path, resume=path)
    assert _max_abs_diff(model, ref_model) == 0.0
    assert _columns(history) == _columns(ref_hist)
    assert history["lr"] == ref_hist["lr"]


def _interrupt_and_resume(opt_name, path, stop_after, every, crash):
    """Train with checkpoints every ``every`` steps, stop or crash after ``stop_after`` steps,
    then resume with fresh objects; return the checkpoint resumed from, the model and the history."""
    model, opt, sched = _setup(opt_name)
    stop = StopAfter(stop_after, crash=crash)
    if crash:
        with pytest.raises(KeyboardInterrupt):
            _fit(model, opt, sched, callbacks=[stop], checkpoint=path, checkpoint_every=every)
    else:
        partial = _fit(model, opt, sched, callbacks=[stop], checkpoint=path, checkpoint_every=every)
        assert partial.stop_reason == "test stop"
    ckpt = io.load_checkpoint(path)
    model, opt, sched = _setup(opt_name)
    history = _fit(model, opt, sched, callbacks=[StopAfter(10**9)], checkpoint=path, checkpoint_every=every,
                   resume=path)
    return ckpt, model, history


@pytest.mark.parametrize("crash", [False, True], ids=["stopped", "crashed"])
def test_resume_mid_epoch_bit_identical(reference, tmp_path, crash):
    # checkpoint every 4 steps, interrupted after step 10 (epoch 2, batch 4 of 6): a crash
    # resumes from step 8, a clean stop writes the exact position (step 10) on the way out.
    opt_name, ref_model, ref_hist = reference
    ckpt, model, history = _interrupt_and_resume(opt_name, tmp_path / "ckpt.safetensors", 10, 4, crash)
    assert (ckpt.epoch, ckpt.step) == (1, 8 if crash else 10)
    assert _max_abs_diff(model, ref_model) == 0.0
    assert _columns(history) == _columns(ref_hist)


def test_resume_checkpoint_after_last_batch_of_epoch(reference, tmp_path):
    # 6 batches per epoch: every=6 checkpoints exactly after an epoch's last batch,
    # before that epoch's validation, row and scheduler step.
    opt_name, ref_model, ref_hist = reference
    ckpt, model, history = _interrupt_and_resume(opt_name, tmp_path / "ckpt.safetensors", 13, 6, True)
    assert (ckpt.epoch, ckpt.step) == (1, 12)
    assert _max_abs_diff(model, ref_model) == 0.0
    assert _columns(history) == _columns(ref_hist)


def test_resume_finished_run_with_more_epochs(reference, tmp_path):
    # A finished run's final checkpoint continues to a larger epoch budget.
    opt_name, _, _ = reference
    path = tmp_path / "ckpt.safetensors"
    model_a, opt, sched = _setup(opt_name)
    _fit(model_a, opt, sched, epochs=EPOCHS + 1)
    model_b, opt, sched = _setup(opt_name)
    _fit(model_b, opt, sched, epochs=EPOCHS, checkpoint=path)
    model_b, opt, sched = _setup(opt_name)
    history = _fit(model_b, opt, sched, epochs=EPOCHS + 1, resume=path)
    assert len(history) == EPOCHS + 1
    assert _max_abs_diff(model_a, model_b) == 0.0


def test_resume_when_already_done_changes_nothing(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched = _setup()
    _fit(model, opt, sched, epochs=2, checkpoint=path)
    before = path.read_bytes()
    fresh, opt, sched = _setup()
    history = _fit(fresh, opt, sched, epochs=2, checkpoint=path, resume=path)
    assert len(history) == 2
    assert _max_abs_diff(fresh, model) == 0.0
    assert path.read_bytes() == before


def test_resume_restores_early_stopping_counters(tmp_path):
    path = tmp_path / "ckpt.safetensors"

    class Score(Callback):  # a scripted monitored value: best at epoch 2
        def on_epoch_end(self, state):
            state.logs["score"] = [3.0, 1.0, 2.0, 2.5, 4.0, 5.0][state.logs["epoch"] - 1]

    model, opt, sched = _setup()
    stop = EarlyStopping("score", patience=3)
    _fit(model, opt, sched, epochs=3, callbacks=[Score(), stop], checkpoint=path)
    assert (stop.best, stop.wait) == (1.0, 1)
    model, opt, sched = _setup()
    stop = EarlyStopping("score", patience=3)
    history = _fit(model, opt, sched, epochs=10, callbacks=[Score(), stop], resume=path)
    assert (stop.best_epoch, stop.stopped_epoch, len(history)) == (2, 5, 5)
    # the best weights were saved in the checkpoint and restored at the end
    assert stop.best_weights is not None
    assert all(np.array_equal(v, stop.best_weights[k]) for k, v in model.state_dict().items())


def test_resume_rejects_mismatched_setup(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched = _setup()
    _fit(model, opt, sched, epochs=1, checkpoint=path)
    model, opt, _ = _setup()
    X, y = _data()
    with pytest.raises(ValueError, match="saved with a learning-rate scheduler"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=BATCH, rng=7, progress=False,
            verbose=False, resume=path)
    model, opt, sched = _setup()
    with pytest.raises(ValueError, match="batch_size=16 but this loader has batch_size=8"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=8, rng=7, progress=False,
            verbose=False, callbacks=[sched], resume=path)
    # a model file (not a training checkpoint) cannot be resumed
    io.save(model, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="cannot load"):
        _fit(*_setup(), resume=tmp_path / "model.safetensors")
