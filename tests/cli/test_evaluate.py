"""``nnumpy evaluate``: loss, accuracy, per-class scores and confusion matrix of a model file."""

from __future__ import annotations

import numpy as np
import pytest

import nnumpy
from nnumpy.cli import main
from nnumpy.datasets import load


def test_evaluate_prints_loss_accuracy_confusion(iris_run, capsys):
    assert main(["evaluate", str(iris_run / "model.safetensors")]) == 0  # data set read from the model file
    text = capsys.readouterr().out
    assert "data      iris (test, 30 samples)" in text
    assert "loss      " in text and "accuracy  " in text
    assert "confusion matrix (rows: true class, columns: predicted class)" in text
    rows = text.split("predicted class)\n")[1].strip().splitlines()
    assert len(rows) == 1 + 3
    assert sum(int(v) for row in rows[1:] for v in row.split("|")[1].split()) == 30


def test_evaluate_train_split_with_limit(iris_run, capsys):
    assert main(["evaluate", str(iris_run / "model.safetensors"), "--dataset", "iris", "--split", "train",
                 "--limit", "50"]) == 0
    assert "(train, 50 samples)" in capsys.readouterr().out


def test_evaluate_prints_per_class_scores_with_class_names_equal_to_sklearn(iris_run, capsys):
    metrics = pytest.importorskip("sklearn.metrics")
    assert main(["evaluate", str(iris_run / "model.safetensors")]) == 0
    text = capsys.readouterr().out
    X, y = load("iris", split="test")
    pred = nnumpy.load(iris_run / "model.safetensors")(X).argmax(axis=1)
    p, r, f, support = metrics.precision_recall_fscore_support(y, pred, labels=[0, 1, 2], zero_division=0)
    macro = metrics.precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
    assert f"macro     precision {macro[0]:.4f}  recall {macro[1]:.4f}  f1 {macro[2]:.4f}" in text
    for name, row in zip(["setosa", "versicolor", "virginica"], np.stack([p, r, f]).T):
        line = next(ln for ln in text.splitlines() if ln.startswith(name))  # the species, not 0, 1, 2
        assert [float(v) for v in line.split()[1:4]] == pytest.approx(row.tolist(), abs=5e-5)


def test_predict_names_the_class_where_the_data_set_has_names(iris_run, tmp_path, capsys):
    X, _ = load("iris", split="test")
    np.save(tmp_path / "one.npy", X[0])
    assert main(["predict", str(iris_run / "model.safetensors"), str(tmp_path / "one.npy")]) == 0
    line = capsys.readouterr().out.strip()
    c = int(nnumpy.load(iris_run / "model.safetensors")(X[:1]).argmax())
    name = nnumpy.datasets.class_names("iris")[c]
    assert f": class {c} ({name})  (p=" in line
