"""fit(validation_split=...): a seeded random hold-out of the training data, taken once before shuffling.

Which samples: ``ceil(f * N)`` of them, a random subset drawn from fit's ``rng``
(the same seed, the same samples), both parts in their original order. Callbacks
and History see the held-out part as validation data, and a resumed run (from an
epoch boundary or mid-epoch, with precision/recall/F1 and top-k sums in flight)
has the same History and bit-identical weights.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnumpy import io, nn, optim
from nnumpy.data import DataLoader, TensorDataset
from nnumpy.train import Callback, EarlyStopping, ModelCheckpoint, fit

METRICS = ["accuracy", "top2_accuracy", "precision", "recall", "f1"]


def _data(n=90):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = np.sort((X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5))  # sorted by class, as iris.csv is
    return X, y


def _setup():
    model = nn.Sequential(nn.Linear(4, 12, rng=1), nn.ReLU(), nn.Dropout(0.2, rng=2), nn.Linear(12, 3, rng=3))
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


class _TargetLoss(nn.CrossEntropyLoss):
    def __init__(self):
        super().__init__()
        self.targets = []

    def forward(self, pred, target):
        self.targets.append(target.copy())
        return super().forward(pred, target)


def _run(epochs=3, rng=0, split=0.2, **kw):
    model, opt = _setup()
    X, y = _data()
    h = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=16, validation_split=split,
            metrics=METRICS, rng=rng, progress=False, verbose=False, **kw)
    return model, h


def test_validation_split_holds_out_a_seeded_random_subset_before_shuffling():
    X, y = _data()
    seen = {}
    for seed in (0, 0, 1):
        loss = _TargetLoss()
        model, opt = _setup()
        fit(model, loss, opt, (X, y), epochs=2, batch_size=100, validation_split=0.2, rng=seed, progress=False,
            verbose=False)
        # One training batch per epoch (72 samples), then one validation batch (18), each epoch.
        train1, val1, train2, val2 = loss.targets
        assert len(train1) == 90 - math.ceil(0.2 * 90) and len(val1) == math.ceil(0.2 * 90)
        assert np.array_equal(val1, val2)  # the same held-out part every epoch
        assert sorted(train1.tolist()) == sorted(train2.tolist())  # the rest, reshuffled
        assert sorted(train1.tolist() + val1.tolist()) == sorted(y.tolist())
        assert len(set(val1.tolist())) > 1  # a random subset: the last 20% of class-sorted data is one class
        seen.setdefault(seed, []).append(val1)
    assert np.array_equal(seen[0][0], seen[0][1])


def test_validation_split_gives_val_columns_to_history_and_callbacks(tmp_path):
    early = EarlyStopping("val_f1", patience=2)
    best = ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True, monitor="val_loss")
    _, h = _run(epochs=3, callbacks=[early, best])
    for name in ["loss"] + METRICS:
        assert f"val_{name}" in h.keys()
    assert early.best_epoch is not None and best.saved


def test_validation_split_matches_val_of_the_same_samples():
    """The held-out part is validated exactly as val=(X_val, y_val) of the same samples would be."""
    X, y = _data()
    order = np.random.default_rng(0).permutation(len(X))
    n_val = math.ceil(0.2 * len(X))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    model_a, h_a = _run(epochs=2, rng=np.random.default_rng(0))
    model_b, opt_b = _setup()
    gen = np.random.default_rng(0)
    gen.permutation(len(X))  # the draw validation_split made from the same generator
    h_b = fit(model_b, nn.CrossEntropyLoss(), opt_b, (X[train_idx], y[train_idx]), epochs=2, batch_size=16,
              val=(X[val_idx], y[val_idx]), metrics=METRICS, rng=gen, progress=False, verbose=False)
    drop = ("time",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in h_a] == \
           [{k: v for k, v in r.items() if k not in drop} for r in h_b]


class _Crash(Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, state):
        if state.step == self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize("every, crash_step", [("epoch", 10), (3, 7)], ids=["epoch-boundary", "mid-epoch"])
def test_validation_split_resume_is_bit_exact_with_the_same_history(tmp_path, every, crash_step):
    straight, h_straight = _run(epochs=4)
    path = tmp_path / "ckpt.safetensors"
    with pytest.raises(KeyboardInterrupt):
        _run(epochs=4, checkpoint=path, checkpoint_every=every, callbacks=[_Crash(crash_step)])
    resumed, h_resumed = _run(epochs=4, resume=path)
    sa, sb = straight.state_dict(), resumed.state_dict()
    assert max(float(np.abs(sa[k] - sb[k]).max()) for k in sa) == 0.0
    drop = ("time",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in h_resumed] == \
           [{k: v for k, v in r.items() if k not in drop} for r in h_straight]
    assert io.load_checkpoint(path).extra["fit"]["validation"]["held_out"] == 18


def test_validation_split_resume_with_other_samples_is_refused(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    _run(epochs=1, checkpoint=path)
    for kwargs, held in (({"rng": 1}, "validation_split=0.2"), ({"split": 0.3}, "validation_split=0.3")):
        with pytest.raises(ValueError, match=f"this call holds out {held}") as info:
            _run(epochs=2, resume=path, **kwargs)
        assert "resume with the same training data, validation_split and rng" in str(info.value)
    model, opt = _setup()
    X, y = _data()
    with pytest.raises(ValueError, match="this call holds out no validation_split"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=16, rng=0, resume=path,
            progress=False, verbose=False)


def test_validation_split_keeps_dataloader_and_val_exclusive():
    X, y = _data()
    model, opt = _setup()
    with pytest.raises(TypeError, match="with a DataLoader as training data pass val="):
        fit(model, nn.CrossEntropyLoss(), opt, DataLoader(TensorDataset(X, y), batch_size=8), epochs=1,
            validation_split=0.1, progress=False, verbose=False)
    with pytest.raises(ValueError, match="not both"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=1, val=(X, y), validation_split=0.1,
            progress=False, verbose=False)
