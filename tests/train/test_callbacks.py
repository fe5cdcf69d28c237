"""Callbacks: hook order, EarlyStopping, ModelCheckpoint, schedulers, TerminateOnNaN, CSVLogger."""

import numpy as np
import pytest

from nnumpy import io, nn, optim
from nnumpy.optim.lr_scheduler import ReduceLROnPlateau
from nnumpy.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LRSchedulerCallback,
    ModelCheckpoint,
    TerminateOnNaN,
    fit,
)


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    return X, y


def _model():
    return nn.Sequential(nn.Linear(3, 8, rng=0), nn.ReLU(), nn.Linear(8, 2, rng=1))


def _fit(model, callbacks, epochs=6, opt=None, val=True, **kw):
    X, y = _data()
    opt = opt or optim.SGD(model.parameters(), lr=0.1)
    return fit(model, nn.CrossEntropyLoss(), opt, (X, y), val=(X, y) if val else None, epochs=epochs, batch_size=16,
               rng=0, callbacks=callbacks, progress=False, verbose=False, **kw)


class Script(Callback):
    """Puts a scripted value ``score`` into each epoch's logs (listed before the callback under test)."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, state):
        state.logs["score"] = self.values[state.logs["epoch"] - 1]


class Snapshots(Callback):
    """Weights after every epoch."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, state):
        self.weights[state.logs["epoch"]] = state.model.state_dict()


def _same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_callback_hook_order():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, state):
            calls.append("train_begin")

        def on_epoch_begin(self, state):
            calls.append(f"epoch_begin {state.epoch}")

        def on_batch_end(self, state):
            calls.append(f"batch {state.step}")

        def on_epoch_end(self, state):
            calls.append(f"epoch_end {state.logs['epoch']}")

        def on_train_end(self, state):
            calls.append("train_end")

    _fit(_model(), [Recorder()], epochs=2)  # 48 samples / 16 = 3 batches per epoch
    assert calls == ["train_begin", "epoch_begin 0", "batch 1", "batch 2", "batch 3", "epoch_end 1",
                     "epoch_begin 1", "batch 4", "batch 5", "batch 6", "epoch_end 2", "train_end"]


def test_callback_stop_training_mid_epoch_records_no_partial_row():
    class Stop(Callback):
        def on_batch_end(self, state):
            if state.step == 5:
                state.stop("custom stop")

    history = _fit(_model(), [Stop()])
    assert len(history) == 1 and history.stop_reason == "custom stop"


def test_early_stopping_stops_after_patience_and_restores_best():
    snaps = Snapshots()
    stop = EarlyStopping("score", patience=2)
    model = _model()
    history = _fit(model, [Script([3.0, 2.0, 1.0, 1.5, 1.2, 0.5]), snaps, stop])
    # best at epoch 3; epochs 4 and 5 do not improve -> stop after epoch 5
    assert len(history) == 5 and (stop.best, stop.best_epoch, stop.stopped_epoch) == (1.0, 3, 5)
    assert history.stop_reason == "early stopping: score did not improve for 2 epochs (best 1 at epoch 3)"
    assert _same(model.state_dict(), snaps.weights[3])


def test_early_stopping_without_restore_keeps_last_weights_and_min_delta():
    snaps = Snapshots()
    stop = EarlyStopping("score", patience=2, restore_best=False, min_delta=0.5)
    model = _model()
    history = _fit(model, [Script([3.0, 2.8, 2.6, 2.4, 1.0, 0.0]), snaps, stop])
    assert len(history) == 3  # 2.8 and 2.6 are within min_delta of 3.0
    assert _same(model.state_dict(), snaps.weights[3])


def test_early_stopping_mode_auto_maximises_accuracy():
    stop = EarlyStopping("val_accuracy", patience=1)
    _fit(_model(), [Script([0] * 6), stop], epochs=2)
    assert stop.mode == "max"
    assert EarlyStopping("val_loss").mode == "min"


def test_early_stopping_missing_key_lists_the_logs():
    with pytest.raises(ValueError, match=r"EarlyStopping monitors 'f1', which is not in the epoch logs \['accuracy'"):
        _fit(_model(), [EarlyStopping("f1")])


def test_model_checkpoint_every_epoch_with_epoch_in_name(tmp_path):
    snaps = Snapshots()
    cb = ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_loss:.1f}.safetensors"))
    _fit(_model(), [snaps, cb], epochs=3)
    assert [e for e, _ in cb.saved] == [1, 2, 3]
    for epoch, path in cb.saved:
        assert _same(io.load(path).state_dict(), snaps.weights[epoch])


def test_model_checkpoint_save_best_only(tmp_path):
    snaps = Snapshots()
    path = tmp_path / "best.safetensors"
    cb = ModelCheckpoint(path, save_best_only=True, monitor="score")
    _fit(_model(), [Script([2.0, 1.0, 1.5, 0.5, 0.7, 0.6]), snaps, cb])
    assert [e for e, _ in cb.saved] == [1, 2, 4]
    assert _same(io.load(path).state_dict(), snaps.weights[4])


def test_lr_scheduler_callback_with_plateau():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    history = _fit(model, [Script([1.0, 1.0, 1.0, 0.5, 0.5, 0.5]), LRSchedulerCallback(sched, monitor="score")],
                   opt=opt)
    # lr in row k is the rate used during epoch k; a bad epoch halves it for the next one.
    assert history["lr"] == [0.1, 0.1, 0.05, 0.025, 0.025, 0.0125]


def test_plateau_scheduler_passed_directly_monitors_val_loss():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    history = _fit(model, [sched], epochs=3, opt=opt)
    assert sched.best == min(history["val_loss"])


class NaNAt(nn.Module):
    """Wraps a model; its ``call``-th forward (1-based) in training mode returns NaN."""

    def __init__(self, inner, call):
        super().__init__()
        self.inner, self.call, self.calls, self.on_nan = inner, call, 0, None

    def forward(self, x):
        out = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls == self.call:
                if self.on_nan:
                    self.on_nan()
                return np.full_like(out, np.nan)
        return out

    def backward(self, grad):
        return self.inner.backward(grad)


def test_terminate_on_nan_keeps_last_good_weights(capsys):
    snaps = {}

    class AfterStep(Callback):
        def on_batch_end(self, state):
            snaps[state.step] = state.model.state_dict()

    model = NaNAt(_model(), call=8)  # epoch 3, batch 2 (3 batches per epoch)
    term = TerminateOnNaN()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9), _data(),
                  epochs=6, batch_size=16, rng=0, callbacks=[AfterStep(), term], progress=False)
    message = "non-finite loss nan at epoch 3 step 8 (batch 2/3); weights kept from the last good step"
    assert (term.epoch, term.step, np.isnan(term.value), term.message) == (3, 8, True, message)
    assert history.stop_reason == message
    assert len(history) == 2 and max(snaps) == 7
    assert _same(model.state_dict(), snaps[7])
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
    assert message in capsys.readouterr().err


def test_nan_is_caught_without_the_callback_too():
    model = NaNAt(_model(), call=2)
    history = _fit(model, [], val=False)
    assert history.stop_reason.startswith("non-finite loss nan at epoch 1 step 2")
    assert len(history) == 0


def test_nan_never_overwrites_an_earlier_checkpoint(tmp_path):
    ckpt = tmp_path / "ckpt.safetensors"
    best = tmp_path / "model.safetensors"
    seen = {}
    model = NaNAt(_model(), call=11)  # epoch 4, batch 2; checkpoints every 2 steps and every epoch
    model.on_nan = lambda: seen.update(ckpt=ckpt.read_bytes(), model=best.read_bytes())
    history = _fit(model, [ModelCheckpoint(best)], checkpoint=ckpt, checkpoint_every=2, val=False)
    assert history.stop_reason.startswith("non-finite loss nan at epoch 4 step 11")
    assert ckpt.read_bytes() == seen["ckpt"]  # the step-10 checkpoint, byte for byte
    assert best.read_bytes() == seen["model"]  # the epoch-3 model file
    assert io.load_checkpoint(ckpt).step == 10
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_csv_logger_writes_every_epoch_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    lengths = []

    class Peek(Callback):  # placed after the logger: the file already has this epoch's row
        def on_epoch_end(self, state):
            lengths.append(len(History.from_csv(path)))

    history = _fit(_model(), [CSVLogger(path), Peek()], epochs=3)
    assert lengths == [1, 2, 3]
    assert History.from_csv(path).epochs == history.epochs
    _fit(_model(), [CSVLogger(path, append=True)], epochs=2)
    assert History.from_csv(path)["epoch"] == [1, 2, 3, 1, 2]
    _fit(_model(), [CSVLogger(path)], epochs=1)
    assert len(History.from_csv(path)) == 1


def test_callback_constructor_checks():
    with pytest.raises(TypeError, match="The 'path' parameter of ModelCheckpoint must be a str or pathlib.Path"):
        ModelCheckpoint(3)
    with pytest.raises(TypeError, match="The 'append' parameter of CSVLogger must be a bool"):
        CSVLogger("x.csv", append="yes")
    with pytest.raises(TypeError, match="The 'monitor' parameter of EarlyStopping must be a str"):
        EarlyStopping(monitor=1)
    with pytest.raises(ValueError, match="ModelCheckpoint monitors 'val_loss', but fit has no validation data"):
        _fit(_model(), [ModelCheckpoint("x.safetensors", save_best_only=True)], val=False)
