"""Precision, recall, F1 and top-k accuracy equal scikit-learn's on the same predictions.

The per-class values are compared with ``labels=range(C)`` (every class of the
confusion matrix), the macro averages with scikit-learn's default labels (the
classes present in the targets or the predictions), for each ``zero_division``.
The figure: the largest absolute difference over every case (0 expected).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnumpy import nn, optim
from nnumpy.train import (
    Callback,
    evaluate,
    f1,
    fit,
    precision,
    recall,
    scores_from_confusion,
    top_k_accuracy,
)

metrics = pytest.importorskip("sklearn.metrics")

ZERO_DIVISION = [0.0, 1.0, np.nan]


def _cases():
    """(target, prediction, C): random labels, and labels with classes missing on either side."""
    rng = np.random.default_rng(0)
    out = []
    for c in (2, 3, 5, 10):
        t = rng.integers(0, c, size=200)
        out.append((t, rng.integers(0, c, size=200), c))
        out.append((t, np.where(rng.random(200) < 0.8, t, rng.integers(0, c, size=200)), c))
    out.append((np.array([0, 0, 1, 1, 2]), np.array([0, 0, 0, 0, 3]), 5))  # 1, 2 never predicted; 3 never true; 4 absent
    out.append((np.array([0, 1, 0, 1]), np.array([2, 2, 2, 2]), 3))  # nothing right
    out.append((np.array([1, 1, 1]), np.array([1, 1, 1]), 4))  # one class only
    return out


CASES = _cases()


def _sklearn(name: str, t, p, **kw):
    fn = {"precision": metrics.precision_score, "recall": metrics.recall_score, "f1": metrics.f1_score}[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # UndefinedMetricWarning for 0/0; zero_division says what it becomes
        return fn(t, p, **kw)


def _diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b)), (a, b)
    return float(np.nanmax(np.abs(a - b), initial=0.0))


@pytest.mark.parametrize("zero_division", ZERO_DIVISION, ids=["zd0", "zd1", "zdnan"])
@pytest.mark.parametrize("name, fn", [("precision", precision), ("recall", recall), ("f1", f1)])
def test_prf_equal_sklearn_macro_and_per_class(name, fn, zero_division):
    worst = 0.0
    for t, p, c in CASES:
        ours_macro = fn(t, p, num_classes=c, zero_division=zero_division)
        ours_per = fn(t, p, num_classes=c, average=None, zero_division=zero_division)
        ref_macro = _sklearn(name, t, p, average="macro", zero_division=zero_division)
        ref_per = _sklearn(name, t, p, average=None, labels=list(range(c)), zero_division=zero_division)
        worst = max(worst, _diff(ours_macro, ref_macro), _diff(ours_per, ref_per))
    assert worst == 0.0, f"max |nnumpy - sklearn| = {worst}"


def test_scores_from_confusion_support_and_shapes():
    t, p, c = CASES[-3]
    s = scores_from_confusion(metrics.confusion_matrix(t, p, labels=list(range(c))))
    assert s["per_class"]["support"].tolist() == [2, 2, 1, 0, 0]
    assert all(s["per_class"][k].shape == (c,) for k in ("precision", "recall", "f1"))


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracy_equals_sklearn_ties_included(k):
    rng = np.random.default_rng(1)
    for c in (3, 5, 10):
        t = rng.integers(0, c, size=300)
        for scores in (rng.normal(size=(300, c)), rng.integers(0, 3, size=(300, c)).astype(float)):  # 2nd: many ties
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # k >= C: sklearn warns that the score is 1 by definition
                ref = metrics.top_k_accuracy_score(t, scores, k=k, labels=list(range(c)))
            assert top_k_accuracy(scores, t, k=k) == ref


def test_top_k_accuracy_one_hot_targets_and_errors():
    scores = np.array([[0.1, 0.5, 0.4], [0.8, 0.15, 0.05]])
    assert top_k_accuracy(scores, np.eye(3)[[2, 2]], k=2) == 0.5
    with pytest.raises(ValueError, match="The 'k' parameter of top_k_accuracy must be an int >= 1"):
        top_k_accuracy(scores, np.array([0, 1]), k=0)
    with pytest.raises(ValueError, match="expected scores \\(N, C\\)"):
        top_k_accuracy(scores[:, 0], np.array([0, 1]))


def test_metric_functions_reject_bad_arguments():
    t = np.array([0, 1])
    with pytest.raises(ValueError, match="The 'zero_division' parameter of scores_from_confusion must be 0.0, 1.0"):
        precision(t, t, zero_division=0.5)
    with pytest.raises(ValueError, match="The 'average' parameter of recall must be one of"):
        recall(t, t, average="micro")
    with pytest.raises(TypeError, match="integer class indices"):
        f1(t.astype(float), t)


def _classifier(seed=0, n_out=4):
    return nn.Sequential(nn.Linear(5, 16, rng=seed), nn.Tanh(), nn.Linear(16, n_out, rng=seed + 1))


def _data(n=300, c=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    y = (X[:, :2].sum(axis=1) > 0).astype(np.int64) + 2 * (X[:, 2] > 0.5)  # 4 classes, unequal sizes
    return X, y % c


def test_evaluate_metrics_equal_sklearn_on_the_models_predictions():
    X, y = _data()
    model = _classifier()
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), (X, y), epochs=3, rng=0,
        progress=False, verbose=False)
    names = ["accuracy", "top2_accuracy", "precision", "recall", "f1"]
    r = evaluate(model, (X, y), nn.CrossEntropyLoss(), metrics=names, class_names=["a", "b", "c", "d"])
    scores = model.eval()(X)
    pred = scores.argmax(axis=1)
    assert r["accuracy"] == metrics.accuracy_score(y, pred)
    assert r["top2_accuracy"] == metrics.top_k_accuracy_score(y, scores, k=2, labels=[0, 1, 2, 3])
    for name in ("precision", "recall", "f1"):
        assert _diff(r[name], _sklearn(name, y, pred, average="macro", zero_division=0.0)) == 0.0
        ref = _sklearn(name, y, pred, average=None, labels=[0, 1, 2, 3], zero_division=0.0)
        assert _diff(r["per_class"][name], ref) == 0.0
    assert r["per_class"]["support"].tolist() == np.bincount(y, minlength=4).tolist()
    assert np.array_equal(r["confusion_matrix"], metrics.confusion_matrix(y, pred, labels=[0, 1, 2, 3]))
    text = str(r)
    assert "class" in text and "\nd " in text  # the per-class table names the classes


def test_evaluate_binary_single_logit_metrics_equal_sklearn():
    X, y = _data(c=2)
    model = _classifier(n_out=1)
    r = evaluate(model, (X, y[:, None].astype(np.float32)), nn.BCEWithLogitsLoss(), metrics=["f1", "precision"])
    pred = (model.eval()(X)[:, 0] > 0).astype(int)
    assert _diff(r["f1"], _sklearn("f1", y, pred, average="macro", zero_division=0.0)) == 0.0
    assert r["confusion_matrix"].shape == (2, 2)


def test_evaluate_bad_metric_and_class_names():
    X, y = _data()
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        evaluate(_classifier(), (X, y), metrics=["auc"])
    with pytest.raises(ValueError, match="got 3 class names for a model with 4 classes"):
        evaluate(_classifier(), (X, y), class_names=["a", "b", "c"])
    with pytest.raises(TypeError, match="The 'class_names' parameter of evaluate"):
        evaluate(_classifier(), (X, y), class_names="abcd")


class _Recorder(nn.CrossEntropyLoss):
    """Records (prediction, target) of every call: the training batches, then the validation ones."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, pred, target):
        self.calls.append((pred.argmax(axis=1), target.copy()))
        return super().forward(pred, target)


def test_fit_epoch_metrics_equal_sklearn_on_the_epochs_predictions():
    X, y = _data(n=200)
    model, loss = _classifier(), _Recorder()
    rows = []

    class Rows(Callback):
        def on_epoch_end(self, state):
            rows.append(dict(state.logs))

    fit(model, loss, optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, batch_size=32,
        validation_split=0.25, metrics=["accuracy", "precision", "recall", "f1"], rng=0, callbacks=[Rows()],
        progress=False, verbose=False)
    n_train_batches, n_val_batches = 5, 1  # 150 training samples in batches of 32; 50 held out, one batch of 256
    calls = loss.calls
    for epoch, row in enumerate(rows):
        start = epoch * (n_train_batches + n_val_batches)
        for prefix, chunk in (("", calls[start : start + n_train_batches]),
                              ("val_", calls[start + n_train_batches : start + n_train_batches + n_val_batches])):
            p = np.concatenate([c[0] for c in chunk])
            t = np.concatenate([c[1] for c in chunk])
            assert row[prefix + "accuracy"] == metrics.accuracy_score(t, p)
            for name in ("precision", "recall", "f1"):
                assert _diff(row[prefix + name], _sklearn(name, t, p, average="macro", zero_division=0.0)) == 0.0
