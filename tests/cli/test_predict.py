"""``nnumpy predict``: .npy, IDX and image inputs."""

from __future__ import annotations

import numpy as np
import pytest

import nnumpy
from nnumpy.cli import main
from nnumpy.datasets import load, write_idx


def test_predict_npy_single_and_batch(iris_run, tmp_path, capsys):
    X, _ = load("iris", split="test")
    np.save(tmp_path / "one.npy", X[0])
    np.save(tmp_path / "batch.npy", X[:4])
    assert main(["predict", str(iris_run / "model.safetensors"), str(tmp_path / "one.npy"),
                 str(tmp_path / "batch.npy"), "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + 4
    assert lines[0].startswith(f"{tmp_path / 'one.npy'}: class ")
    assert lines[1].startswith(f"{tmp_path / 'batch.npy'}[0]: class ")
    probs = [float(p) for p in lines[0].split("top-2")[1].replace(":", " ").split()[1::2]]
    assert len(probs) == 2 and probs[0] >= probs[1] and 0 <= probs[1] <= probs[0] <= 1


def test_predict_matches_model_output(iris_run, tmp_path, capsys):
    X, _ = load("iris", split="test")
    np.save(tmp_path / "b.npy", X[:5])
    assert main(["predict", str(iris_run / "model.safetensors"), str(tmp_path / "b.npy")]) == 0
    got = [int(line.split("class ")[1].split()[0]) for line in capsys.readouterr().out.strip().splitlines()]
    expected = nnumpy.load(iris_run / "model.safetensors").eval()(X[:5]).argmax(axis=1)
    assert got == expected.tolist()


def test_predict_idx_uint8_images(mnist_run, tmp_path, capsys):
    X, _ = load("mnist-sample", split="test")
    write_idx(tmp_path / "imgs-idx3-ubyte", (X[:3, 0] * 255).round().astype(np.uint8))
    write_idx(tmp_path / "imgs.idx.gz", (X[:2, 0] * 255).round().astype(np.uint8))
    assert main(["predict", str(mnist_run / "model.safetensors"), str(tmp_path / "imgs-idx3-ubyte"),
                 str(tmp_path / "imgs.idx.gz")]) == 0
    text = capsys.readouterr().out
    assert "uint8 pixels scaled to [0, 1]" in text
    assert text.count(": class ") == 5


def test_predict_png_resized_and_inverted(mnist_run, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    X, _ = load("mnist-sample", split="test")
    digit = (X[0, 0] * 255).round().astype(np.uint8)  # light digit on black, 28x28
    big = Image.fromarray(255 - digit).resize((56, 56))  # dark digit on white, 56x56
    big.save(tmp_path / "digit.png")
    Image.fromarray(digit).save(tmp_path / "plain.png")
    assert main(["predict", str(mnist_run / "model.safetensors"), str(tmp_path / "digit.png"),
                 str(tmp_path / "plain.png")]) == 0
    text = capsys.readouterr().out
    assert "digit.png: resized 56x56 -> 28x28" in text
    assert "digit.png: inverted (white background" in text
    assert "plain.png: inverted" not in text and "plain.png: resized" not in text
    assert text.count(": class ") == 2
