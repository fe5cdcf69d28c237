"""``nnumpy evaluate``: loss, accuracy and confusion matrix of a model file."""

from __future__ import annotations

from nnumpy.cli import main


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
