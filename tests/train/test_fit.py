"""fit, evaluate, History and the metrics: learning, bookkeeping, modes, determinism, bad input."""

import importlib.util
import io as stdio
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nnumpy import nn, optim
from nnumpy.data import DataLoader, TensorDataset
from nnumpy.optim.lr_scheduler import StepLR
from nnumpy.train import (
    Callback,
    EarlyStopping,
    History,
    LRSchedulerCallback,
    accuracy,
    confusion_matrix,
    evaluate,
    fit,
)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def _blobs(n=120, seed=0):
    """Three well-separated Gaussian blobs in 2-D."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = rng.integers(0, 3, n)
    X = (centers[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32)
    return X, y


def _mlp(seed=0, n_in=2, n_out=3, hidden=8):
    return nn.Sequential(nn.Linear(n_in, hidden, rng=seed), nn.Tanh(), nn.Linear(hidden, n_out, rng=seed + 1))


def _quiet_fit(model, loss_fn, opt, train, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("verbose", False)
    return fit(model, loss_fn, opt, train, **kw)


# --------------------------------------------------------------------------- learning
def test_fit_learns_xor():
    model = _mlp(n_out=2)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    history = _quiet_fit(model, nn.CrossEntropyLoss(), opt, (XOR_X, XOR_Y), epochs=300, batch_size=4, rng=0)
    assert history["accuracy"][-1] == 1.0
    assert history["loss"][-1] < 0.05 < history["loss"][0]


def test_fit_learns_blobs_with_validation():
    X, y = _blobs()
    model = _mlp()
    opt = optim.Adam(model.parameters(), lr=0.05)
    history = _quiet_fit(model, nn.CrossEntropyLoss(), opt, (X[:90], y[:90]), val=(X[90:], y[90:]),
                         epochs=15, batch_size=16, rng=0)
    assert history.keys() == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    assert history["epoch"] == list(range(1, 16))
    assert history["val_accuracy"][-1] >= 0.95
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert all(t >= 0 for t in history["time"])


def test_fit_binary_with_logits_and_probabilities():
    X, y = _blobs()
    t = (y == 0).astype(np.float32)[:, None]  # (N, 1) 0/1 targets
    for loss_fn, head in ((nn.BCEWithLogitsLoss(), []), (nn.BCELoss(), [nn.Sigmoid()])):
        model = nn.Sequential(nn.Linear(2, 1, rng=0), *head)
        opt = optim.SGD(model.parameters(), lr=0.5)
        history = _quiet_fit(model, loss_fn, opt, (X, t), epochs=20, batch_size=16, rng=0)
        assert history["accuracy"][-1] == evaluate(model, (X, t), loss_fn)["accuracy"] >= 0.95


def test_fit_regression_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None]
    model = nn.Linear(3, 1, rng=0)
    history = _quiet_fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=30,
                         batch_size=8, rng=0)
    assert "accuracy" not in history
    assert history["loss"][-1] < 1e-3


def test_fit_accepts_dataloaders():
    X, y = _blobs()
    train = DataLoader(TensorDataset(X, y), batch_size=10, shuffle=True, rng=3)
    model = _mlp()
    history = _quiet_fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), train,
                         val=DataLoader(TensorDataset(X, y), batch_size=50), epochs=5)
    assert len(history) == 5 and history["val_accuracy"][-1] > 0.9


def test_fit_zero_epochs_does_nothing():
    model = _mlp()
    before = model.state_dict()
    history = _quiet_fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _blobs(), epochs=0)
    assert len(history) == 0 and history.stop_reason is None
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in before.items())


def test_fit_epoch_loss_is_sample_weighted_mean():
    # One epoch of lr=0 steps leaves the model unchanged, so the epoch loss must equal
    # evaluate's full-data loss (up to float32 rounding of the batch means).
    X, y = _blobs(n=50)
    model = _mlp()
    history = _quiet_fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e-30), (X, y),
                         epochs=1, batch_size=16, rng=0)
    report = evaluate(model, (X, y), nn.CrossEntropyLoss())
    assert history["loss"][0] == pytest.approx(report["loss"], rel=1e-6)
    assert history["accuracy"][0] == report["accuracy"]


def test_fit_validation_runs_in_eval_mode_and_mode_is_restored():
    X, y = _blobs(n=60)
    model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.ReLU(), nn.Dropout(0.5, rng=1), nn.Linear(16, 3, rng=2))
    modes = []

    class Spy(Callback):
        def on_epoch_begin(self, state):
            modes.append(state.model.training)

    model.eval()
    history = _quiet_fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
                         val=(X, y), epochs=2, batch_size=16, rng=0, callbacks=[Spy()])
    assert modes == [True, True]  # trains in train mode...
    assert not any(m.training for m in model.modules())  # ...and gives back the eval mode it found
    # the last val_loss is the eval-mode loss of the final weights (Dropout off)
    assert history["val_loss"][-1] == pytest.approx(evaluate(model, (X, y), nn.CrossEntropyLoss())["loss"], rel=1e-6)


def test_fit_lr_column_and_scheduler_passed_directly():
    X, y = _blobs(n=40)
    rows = []
    for wrap in (False, True):
        model = _mlp()
        opt = optim.SGD(model.parameters(), lr=0.1)
        sched = StepLR(opt, step_size=2, gamma=0.5)
        cb = LRSchedulerCallback(sched) if wrap else sched
        history = _quiet_fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=5, batch_size=8, rng=0, callbacks=[cb])
        rows.append((history["lr"], model.state_dict()))
    assert rows[0][0] == rows[1][0] == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert all(np.array_equal(v, rows[1][1][k]) for k, v in rows[0][1].items())


# --------------------------------------------------------------------------- output
def test_fit_prints_one_line_per_epoch(capsys):
    X, y = _blobs(n=40)
    model = _mlp()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y), val=(X, y), epochs=3,
        batch_size=8, rng=0, progress=True)
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3  loss ")
    for part in ("  acc ", "  val_loss ", "  val_acc ", "  lr 0.5  "):
        assert part in lines[2]
    assert lines[2].endswith("s")
    assert err == ""  # stderr is not a terminal under pytest: no progress bar


def test_fit_progress_bar_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")

    class FakeTTY(stdio.StringIO):
        def isatty(self):
            return True

    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    model = _mlp(n_out=2)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (XOR_X, XOR_Y), epochs=2,
        batch_size=2, rng=0, verbose=False)
    assert "epoch 2/2" in fake.getvalue()
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (XOR_X, XOR_Y), epochs=1,
        batch_size=2, rng=0, verbose=False, progress=False)
    assert sys.stderr.getvalue() == ""


def test_fit_without_tqdm_has_no_bar_and_no_error(monkeypatch):
    class FakeTTY(stdio.StringIO):
        def isatty(self):
            return True

    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm...` raise ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    model = _mlp(n_out=2)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (XOR_X, XOR_Y), epochs=1,
                  batch_size=2, rng=0, verbose=False)
    assert len(history) == 1 and sys.stderr.getvalue() == ""


# --------------------------------------------------------------------------- History
def test_history_csv_round_trip(tmp_path):
    X, y = _blobs(n=40)
    model = _mlp()
    history = _quiet_fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
                         val=(X, y), epochs=3, batch_size=8, rng=0)
    path = history.to_csv(tmp_path / "h.csv")
    back = History.from_csv(path)
    assert back.epochs == history.epochs  # floats written with repr: exact
    assert History.from_dict(history.to_dict()) == history
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_history_columns_and_missing_cells(tmp_path):
    h = History([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25, "val_loss": float("nan")}])
    assert h.to_dict()["val_loss"] == [None, h.epochs[1]["val_loss"]]
    back = History.from_csv(h.to_csv(tmp_path / "h.csv"))
    assert back.epochs[0] == {"epoch": 1, "loss": 0.5} and np.isnan(back.epochs[1]["val_loss"])
    with pytest.raises(KeyError, match="no column 'acc'; available columns: \\['epoch', 'loss', 'val_loss'\\]"):
        h["acc"]
    (tmp_path / "bad.csv").write_text("epoch,loss\n1,0.5\n2\n")
    with pytest.raises(ValueError, match="line 3 .* has 1 cells, expected 2"):
        History.from_csv(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="equal length"):
        History.from_dict({"epoch": [1, 2], "loss": [0.1]})


# --------------------------------------------------------------------------- evaluate and metrics
def test_evaluate_confusion_matrix_and_accuracy():
    # Identity model: the inputs are the logits. Predictions: argmax per row.
    logits = np.array([[5, 0, 0], [0, 5, 0], [0, 5, 0], [0, 0, 5], [5, 0, 0], [0, 0, 5]], dtype=np.float64)
    y = np.array([0, 1, 2, 2, 1, 2])  # predicted 0, 1, 1, 2, 0, 2 -> 4 of 6 right
    report = evaluate(nn.Identity(), (logits, y), nn.CrossEntropyLoss(), batch_size=4)
    expected = np.array([[1, 0, 0],
                         [1, 1, 0],
                         [0, 1, 2]])
    np.testing.assert_array_equal(report["confusion_matrix"], expected)
    assert report["accuracy"] == 4 / 6 and report["n"] == 6
    assert report["loss"] == pytest.approx(nn.CrossEntropyLoss()(logits, y))


def test_evaluate_binary_thresholds_follow_the_loss():
    out = np.array([[-1.0], [0.3], [0.7], [2.0]])
    t = np.array([[0.0], [1.0], [1.0], [1.0]])
    # logits: > 0 -> all but the first are class 1 -> 4/4; probabilities: > 0.5 -> 0.3 is wrong.
    assert evaluate(nn.Identity(), (out, t), nn.BCEWithLogitsLoss())["accuracy"] == 1.0
    probs = np.clip(out, 0.0, 1.0)
    report = evaluate(nn.Identity(), (probs, t), nn.BCELoss())
    assert report["accuracy"] == 0.75
    np.testing.assert_array_equal(report["confusion_matrix"], [[1, 0], [1, 2]])


def test_evaluate_restores_each_modules_mode():
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Dropout(0.5, rng=0), nn.Linear(4, 2, rng=1))
    model.train()
    model[1].eval()  # a mixed state must come back as it was
    seen = []

    class Probe(nn.Identity):
        def forward(self, x):
            seen.append(self.training)
            return x

    model.append(Probe())
    evaluate(model, (XOR_X, XOR_Y))
    assert seen and not any(seen)
    assert [m.training for m in model] == [True, False, True, True]
    model.eval()
    evaluate(model, (XOR_X, XOR_Y))
    assert not any(m.training for m in model.modules())


def test_evaluate_without_loss():
    report = evaluate(nn.Identity(), (np.array([[2.0, 1.0], [0.0, 1.0]]), np.array([0, 0])))
    assert "loss" not in report and report["accuracy"] == 0.5


def test_accuracy_and_confusion_matrix_functions():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([[0, 1], [0, 1]])) == 0.5  # one-hot targets
    assert accuracy(np.array([-0.5, 0.5]), np.array([0, 1]), threshold=0.0) == 1.0
    np.testing.assert_array_equal(confusion_matrix(np.array([1, 1]), np.array([0, 1]), num_classes=3),
                                  [[0, 0, 0], [1, 1, 0], [0, 0, 0]])


# --------------------------------------------------------------------------- randomness
_DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    import numpy as np
    from nnumpy import nn, optim
    from nnumpy.train import fit
    seed = int(sys.argv[1])
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 10)).astype(np.float32)
    y = rng.integers(0, 4, 200)
    model = nn.Sequential(nn.Linear(10, 32, rng=seed), nn.ReLU(), nn.Dropout(0.2, rng=seed + 1),
                          nn.Linear(32, 4, rng=seed + 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=3, batch_size=16, rng=seed, progress=False, verbose=False)
    h = hashlib.sha256()
    for name, value in model.state_dict().items():
        h.update(name.encode()); h.update(np.ascontiguousarray(value).tobytes())
    print(h.hexdigest())
    """
)


def test_fit_same_seed_two_processes_identical_hash():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONHASHSEED="0")

    def run(seed):
        out = subprocess.run([sys.executable, "-c", _DETERMINISM_SCRIPT, str(seed)], env=env, capture_output=True,
                             text=True, timeout=120, check=True)
        return out.stdout.strip()

    first, second, other = run(1), run(1), run(2)
    assert len(first) == 64
    assert first == second
    assert first != other


def test_fit_and_evaluate_leave_global_rng_untouched():
    np.random.seed(1234)
    before = np.random.get_state()
    X, y = _blobs(n=40)
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Dropout(0.5, rng=1), nn.Linear(8, 3, rng=2))
    _quiet_fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), val=(X, y),
               epochs=2, batch_size=8, callbacks=[EarlyStopping("val_loss", patience=1)])  # rng=None: OS entropy
    evaluate(model, (X, y), nn.CrossEntropyLoss())
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def test_fit_rng_seeds_the_shuffling():
    X, y = _blobs(n=40)

    def weights(seed):
        model = _mlp()
        _quiet_fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
                   batch_size=8, rng=seed)
        return model.state_dict()["0.weight"]

    assert np.array_equal(weights(5), weights(5))
    assert not np.array_equal(weights(5), weights(6))
    assert np.array_equal(weights(np.random.default_rng(5)), weights(5))


# --------------------------------------------------------------------------- bad input
def _bad_cases():
    X, y = _blobs(n=20)
    m = _mlp()
    ce = nn.CrossEntropyLoss()
    opt = optim.SGD(m.parameters(), lr=0.1)
    other_opt = optim.SGD(_mlp().parameters(), lr=0.1)
    Xnan = X.copy()
    Xnan[3, 1] = np.nan
    Xinf = X.copy()
    Xinf[0, 0] = np.inf
    ok = dict(epochs=1)
    return [
        ("model", dict(model=object()), TypeError, "expects an nnumpy.nn.Module as model, got object"),
        ("loss", dict(loss_fn=np.mean), TypeError, "expects a loss such as nnumpy.nn.CrossEntropyLoss()"),
        ("loss-none", dict(loss_fn=nn.CrossEntropyLoss(reduction="none")), ValueError, "reduction='mean' or 'sum'"),
        ("optimizer", dict(optimizer="sgd"), TypeError, "expects an optimizer such as nnumpy.optim.SGD"),
        ("epochs<0", dict(epochs=-1), ValueError, "The 'epochs' parameter of fit must be an int >= 0. Got -1 instead."),
        ("epochs-float", dict(epochs=2.5), TypeError, "The 'epochs' parameter of fit must be an int >= 0. Got 2.5"),
        ("batch_size=0", dict(batch_size=0), ValueError,
         "The 'batch_size' parameter of fit must be an int >= 1. Got 0 instead."),
        ("length-mismatch", dict(train=(X, y[:-1])), ValueError,
         "train X and y must have the same number of samples, got X (20, 2) and y (19,)"),
        ("empty", dict(train=(X[:0], y[:0])), ValueError, "train data is empty (0 samples)"),
        ("nan-X", dict(train=(Xnan, y)), ValueError, "train X contains NaN or infinity (first at index (3, 1))"),
        ("inf-val-X", dict(val=(Xinf, y)), ValueError, "val X contains NaN or infinity"),
        ("label-too-big", dict(train=(X, np.where(y == 2, 5, y))), ValueError,
         "train label 5 is out of range for a model with 3 outputs"),
        ("label-negative", dict(train=(X, np.where(y == 2, -1, y))), ValueError, "train label -1 is out of range"),
        ("val-label", dict(val=(X, y + 3)), ValueError, "val label 5 is out of range"),
        ("float-labels", dict(train=(X, y.astype(np.float32))), TypeError, "expected integer class indices"),
        ("string-X", dict(train=(X.astype(str), y)), TypeError, "train X must be a numeric array"),
        ("train-type", dict(train={"X": X}), TypeError, "train must be an (X, y) tuple or an nnumpy.data.DataLoader"),
        ("train-triple", dict(train=(X, y, y)), ValueError, "must be an (X, y) pair or a DataLoader"),
        ("input-width", dict(train=(np.zeros((4, 5), np.float32), y[:4])), ValueError, "Linear"),
        ("metric", dict(metrics=("auc",)), ValueError, "unknown metric 'auc'; available metrics: 'accuracy', 'top<k>"),
        ("metric-top0", dict(metrics=("top0_accuracy",)), ValueError, "unknown metric 'top0_accuracy'"),
        ("metric-type", dict(metrics=(1,)), TypeError, "The 'metrics' parameter of fit must be a sequence"),
        ("validation_split-and-val", dict(validation_split=0.2, val=(X, y)), ValueError,
         "pass either val=(X_val, y_val) or validation_split=0.2, not both"),
        ("validation_split=0", dict(validation_split=0.0), ValueError,
         "The 'validation_split' parameter of fit must be a float in (0, 1). Got 0.0 instead."),
        ("validation_split=1", dict(validation_split=1), ValueError, "The 'validation_split' parameter of fit"),
        ("validation_split-str", dict(validation_split="0.1"), TypeError, "The 'validation_split' parameter of fit"),
        ("validation_split-too-big", dict(validation_split=0.99), ValueError,
         "validation_split=0.99 of 20 samples holds out 20, leaving nothing to train on"),
        ("validation_split-loader", dict(train=DataLoader(TensorDataset(X, y)), validation_split=0.1), TypeError,
         "with a DataLoader as training data pass val=DataLoader(...)"),
        ("callback-type", dict(callbacks=[print]), TypeError,
         "callbacks[0] must be an nnumpy.train.Callback or an nnumpy.optim.lr_scheduler scheduler"),
        ("callback-single", dict(callbacks=EarlyStopping()), TypeError, "Got a single EarlyStopping instead"),
        ("callback-class", dict(callbacks=[EarlyStopping]), TypeError, "not an instance: use EarlyStopping(...)"),
        ("scheduler-other-optimizer", dict(callbacks=[StepLR(other_opt, 1)]), ValueError,
         "attached to a different optimizer"),
        ("early-stopping-monitor", dict(callbacks=[EarlyStopping("val_loss")]), ValueError,
         "EarlyStopping monitors 'val_loss', but fit has no validation data: pass validation_split=0.1"),
        ("progress", dict(progress="yes"), TypeError, "The 'progress' parameter of fit must be a bool"),
        ("rng", dict(rng=-1), ValueError, "The 'rng' parameter of fit must be an int >= 0"),
        ("rng-with-loader", dict(train=DataLoader(TensorDataset(X, y)), rng=0), ValueError,
         "pass rng to DataLoader(...)"),
        ("checkpoint_every=0", dict(checkpoint="c.safetensors", checkpoint_every=0), ValueError,
         "The 'checkpoint_every' parameter of fit must be 'epoch' or an int >= 1 (optimizer steps). Got 0 instead."),
        ("checkpoint_every-str", dict(checkpoint="c.safetensors", checkpoint_every="step"), ValueError,
         "must be 'epoch' or an int >= 1"),
        ("checkpoint_every-alone", dict(checkpoint_every=5), ValueError, "checkpoint_every=5 needs checkpoint=PATH"),
        ("resume-missing", dict(resume="no/such/file.safetensors"), FileNotFoundError, "no checkpoint to resume"),
    ], dict(model=m, loss_fn=ce, optimizer=opt, train=(X, y), **ok)


_CASES, _BASE = _bad_cases()


@pytest.mark.parametrize("name,override,exc,fragment", _CASES, ids=[c[0] for c in _CASES])
def test_fit_bad_input(name, override, exc, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kwargs = {**_BASE, **override}
    args = [kwargs.pop(k) for k in ("model", "loss_fn", "optimizer", "train")]
    before = args[0].state_dict() if isinstance(args[0], nn.Module) else {}
    with pytest.raises(exc) as info:
        _quiet_fit(*args, **kwargs)
    assert fragment in str(info.value)
    if isinstance(args[0], nn.Module):  # a rejected call never trained
        assert all(np.array_equal(v, args[0].state_dict()[k]) for k, v in before.items())
    assert list(tmp_path.iterdir()) == []  # and wrote nothing


@pytest.mark.parametrize(
    "call,exc,fragment",
    [
        (lambda: evaluate(_mlp(), _blobs(), batch_size=0), ValueError,
         "The 'batch_size' parameter of evaluate must be an int >= 1. Got 0 instead."),
        (lambda: evaluate(_mlp(), _blobs(), nn.MSELoss(reduction="none")), ValueError, "reduction='mean' or 'sum'"),
        (lambda: evaluate(_mlp(), [1, 2, 3]), ValueError, "must be an (X, y) pair"),
        (lambda: evaluate("model", _blobs()), TypeError, "expects an nnumpy.nn.Module"),
        (lambda: accuracy(np.zeros((3, 2)), np.zeros(4)), ValueError, "same number of samples"),
        (lambda: accuracy(np.zeros((0, 2)), np.zeros(0)), ValueError, "empty batch"),
        (lambda: confusion_matrix(np.array([0.0]), np.array([0])), TypeError, "integer class indices for target"),
        (lambda: confusion_matrix(np.array([0, 3]), np.array([0, 1]), num_classes=3), ValueError,
         "class indices in [0, 2], got values in [0, 3]"),
        (lambda: confusion_matrix(np.array([-1]), np.array([0])), ValueError, "got values in [-1, 0]"),
        (lambda: EarlyStopping(patience=0), ValueError,
         "The 'patience' parameter of EarlyStopping must be an int >= 1. Got 0 instead."),
        (lambda: EarlyStopping(mode="up"), ValueError, "The 'mode' parameter of EarlyStopping must be one of"),
        (lambda: LRSchedulerCallback(optim.SGD(_mlp().parameters())), TypeError,
         "LRSchedulerCallback expects a scheduler from nnumpy.optim.lr_scheduler"),
    ],
)
def test_train_helpers_bad_input(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_fit_bad_input_count():
    """The battery's figure: cases tried (each asserting type and message)."""
    assert len(_CASES) >= 15


def test_nonfinite_data_is_found_in_any_block_of_the_check(monkeypatch):
    # The finiteness check runs over blocks of rows (a small temporary, not one byte per
    # element); a NaN in a later block must be reported at its index in the whole array.
    from nnumpy.train import _checks

    monkeypatch.setattr(_checks, "_FINITE_BLOCK", 6)  # 2 rows of 3 features per block
    X = np.zeros((7, 3), np.float32)
    X[5, 2] = np.inf
    with pytest.raises(ValueError, match=r"train X contains NaN or infinity \(first at index \(5, 2\)\)"):
        _checks.check_finite("fit", X, "train X")
    _checks.check_finite("fit", np.zeros((0, 3)), "train X")  # empty: nothing to report
    _checks.check_finite("fit", X[:5], "train X")


# --------------------------------------------------------------------------- decided by type, one position
class _Wrapped(nn.Module):
    """A user model around a Linear that records the keyword arguments of each backward call."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2, rng=0)
        self.kwargs = []

    def forward(self, x):
        return self.inner(x)

    def backward(self, grad_output, **kwargs):
        self.kwargs.append(kwargs)
        return self.inner.backward(grad_output, **kwargs)


class _WrappedSkipping(_Wrapped):
    can_skip_input_grad = True


@pytest.mark.parametrize("cls, kwargs", [(_Wrapped, {}), (_WrappedSkipping, {"input_grad": False})])
def test_fit_skips_the_input_gradient_only_when_the_model_says_it_can(cls, kwargs):
    model = cls()
    opt = optim.SGD(model.parameters(), lr=0.1)
    _quiet_fit(model, nn.CrossEntropyLoss(), opt, (XOR_X, XOR_Y), epochs=1, batch_size=2, rng=0)
    assert model.kwargs == [kwargs, kwargs]  # 4 samples in batches of 2


def test_fit_decides_by_loss_class_not_by_class_name():
    from nnumpy.train._metrics import Scorer

    class LogitsLoss(nn.BCEWithLogitsLoss):  # a subclass keeps the logits threshold
        pass

    class BCEWithLogitsLoss(nn.MSELoss):  # a look-alike name does not get it
        pass

    out, y = np.array([[0.2], [-0.3]]), np.array([[1.0], [0.0]])
    assert Scorer.for_loss(LogitsLoss(), out, y).threshold == 0.0
    assert Scorer.for_loss(BCEWithLogitsLoss(), out, y).threshold == 0.5

    class Smoothed(nn.CrossEntropyLoss):  # labels are checked for a subclass of CrossEntropyLoss too
        pass

    model = _mlp(n_out=2)
    with pytest.raises(ValueError, match="train label 2 is out of range for a model with 2 outputs"):
        _quiet_fit(model, Smoothed(), optim.SGD(model.parameters(), lr=0.1), (XOR_X, XOR_Y + 1), epochs=1)


def test_fit_state_is_the_one_record_of_the_position(tmp_path):
    seen = []

    class Watch(Callback):
        def on_batch_end(self, state):
            seen.append(("batch", state.epoch, state.batch, state.step, state.seen))

        def on_epoch_end(self, state):
            seen.append(("epoch_end", state.epoch, state.batch, state.step, state.seen))

        def on_train_end(self, state):
            seen.append(("train_end", state.epoch, state.batch, state.step, state.seen))

    model = _mlp(n_out=2)
    path = tmp_path / "ckpt.safetensors"
    _quiet_fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (XOR_X, XOR_Y), epochs=2,
               batch_size=3, rng=0, callbacks=[Watch()], checkpoint=path)
    assert seen == [
        ("batch", 0, 1, 1, 3), ("batch", 0, 2, 2, 4), ("epoch_end", 0, 2, 2, 4),
        ("batch", 1, 1, 3, 3), ("batch", 1, 2, 4, 4), ("epoch_end", 1, 2, 4, 4),
        ("train_end", 2, 0, 4, 0),
    ]
    from nnumpy import io

    # The checkpoint keeps the interrupted epoch's sums under the keys it always had.
    partial = io.load_checkpoint(path).extra["fit"]["partial"]
    assert sorted(partial) == ["batch", "correct", "counted", "elapsed", "loss_sum", "seen"]


@pytest.mark.parametrize("kernel, widgets, tty, progress, expected", [
    (True, True, False, True, "notebook"),    # Jupyter: tqdm's widget
    (True, False, False, True, "terminal"),   # Jupyter without ipywidgets: the text bar, which it shows too
    (False, True, True, True, "terminal"),    # a terminal
    (False, True, False, True, None),         # a pipe or a log file
    (True, True, True, False, None),          # not wanted
])
def test_fit_progress_bar_kind(monkeypatch, kernel, widgets, tty, progress, expected):
    pytest.importorskip("tqdm")
    from nnumpy.train import _progress

    class Stream(stdio.StringIO):
        def isatty(self):
            return tty

    monkeypatch.setattr(_progress, "in_kernel", lambda: kernel)
    monkeypatch.setattr(sys, "stderr", Stream())
    if not widgets:
        monkeypatch.setitem(sys.modules, "ipywidgets", None)
    elif importlib.util.find_spec("ipywidgets") is None:
        pytest.skip("ipywidgets is not installed")
    assert _progress.bar_kind(progress) == expected
