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


def test_predict_png_no_prep_resized_and_inverted(mnist_run, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    X, _ = load("mnist-sample", split="test")
    digit = (X[0, 0] * 255).round().astype(np.uint8)  # light digit on black, 28x28
    big = Image.fromarray(255 - digit).resize((56, 56))  # dark digit on white, 56x56
    big.save(tmp_path / "digit.png")
    Image.fromarray(digit).save(tmp_path / "plain.png")
    assert main(["predict", str(mnist_run / "model.safetensors"), str(tmp_path / "digit.png"),
                 str(tmp_path / "plain.png"), "--no-prep"]) == 0
    text = capsys.readouterr().out
    assert "digit.png: resized 56x56 -> 28x28" in text
    assert "digit.png: inverted (white background" in text
    assert "plain.png: inverted" not in text and "plain.png: resized" not in text
    assert text.count(": class ") == 2


def test_predict_png_prepared_like_mnist(mnist_run, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    X, _ = load("mnist-sample", split="test")
    digit = (X[0, 0] * 255).round().astype(np.uint8)
    Image.fromarray(255 - digit).resize((112, 112)).save(tmp_path / "digit.png")
    assert main(["predict", str(mnist_run / "model.safetensors"), str(tmp_path / "digit.png")]) == 0
    captured = capsys.readouterr()
    assert "digit.png: inverted (dark on light" in captured.out
    assert "digit.png: cropped to the ink (" in captured.out and "centred by mass in 28x28" in captured.out
    assert captured.err == ""  # one centred glyph: no warning


# ---------------------------------------------------------------------------- MNIST-style preparation
def _corner_pictures(X: np.ndarray, folder, rng: np.random.Generator) -> list[str]:
    """Each 28x28 digit scaled up 5-10 times, strokes thickened, dark on white in a corner of a large canvas."""
    from PIL import Image, ImageFilter

    files = []
    for j, x in enumerate(X):
        width, height = ((200, 200), (640, 480))[j % 2]
        k = int(rng.integers(5, 11 if height > 200 else 8))  # the digit (20k px tall) fits the canvas
        big = Image.fromarray((x[0] * 255).round().astype(np.uint8)).resize((28 * k, 28 * k), Image.BILINEAR)
        big = big.filter(ImageFilter.MaxFilter(k | 1))  # thicker strokes: dilate by about k/2 px
        big = big.crop(big.getbbox())
        left = 5 if j % 4 in (0, 2) else width - big.width - 5
        top = 5 if j % 4 in (0, 1) else height - big.height - 5
        canvas = Image.new("L", (width, height), 0)
        canvas.paste(big, (left, top))
        path = folder / f"corner-{j}.png"
        Image.fromarray(255 - np.asarray(canvas)).save(path)  # dark on light
        files.append(str(path))
    return files


def _predicted(out: str) -> np.ndarray:
    return np.array([int(line.split(": class ")[1].split()[0]) for line in out.splitlines() if ": class " in line])


def test_predict_reads_a_thick_digit_in_a_corner_as_well_as_the_mnist_digit(tmp_path, capsys):
    pytest.importorskip("PIL.Image")
    run = tmp_path / "run"
    assert main(["train", "--layers", "784-128-10", "--activation", "relu", "--optimizer", "adam", "--lr", "0.001",
                 "--epochs", "3", "--no-progress", "--quiet", "--out", str(run)]) == 0
    X, y = load("mnist-sample", split="test")
    rng = np.random.default_rng(0)
    pick = rng.choice(len(X), 200, replace=False)
    np.save(tmp_path / "raw.npy", X[pick])
    files = _corner_pictures(X[pick], tmp_path, rng)
    capsys.readouterr()
    model = str(run / "model.safetensors")
    assert main(["predict", model, str(tmp_path / "raw.npy"), "--top", "1"]) == 0
    raw = np.mean(_predicted(capsys.readouterr().out) == y[pick])
    assert main(["predict", model, *files, "--top", "1"]) == 0
    captured = capsys.readouterr()
    corner = np.mean(_predicted(captured.out) == y[pick])
    assert main(["predict", model, *files, "--top", "1", "--no-prep"]) == 0
    stretched = np.mean(_predicted(capsys.readouterr().out) == y[pick])
    # Measured: raw 0.950, corner 0.945, --no-prep 0.110 (the whole canvas squeezed to 28x28).
    assert raw > 0.85
    assert corner >= raw - 0.03, (corner, raw)
    assert stretched < 0.5
    assert captured.err == ""  # single glyphs: no warning


@pytest.mark.parametrize(
    "picture, doubt",
    [
        ("noise", "ink touches every border"),
        ("blank", "almost no ink"),
    ],
)
def test_predict_warns_when_the_picture_is_not_one_centred_glyph(mnist_run, tmp_path, capsys, picture, doubt):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    if picture == "noise":  # a 640x480 colour "photo" of noise
        pixels = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    else:  # white paper with a speck of dust
        pixels = np.full((300, 300), 255, dtype=np.uint8)
        pixels[100, 100] = 250
    Image.fromarray(pixels).save(tmp_path / "p.png")
    assert main(["predict", str(mnist_run / "model.safetensors"), str(tmp_path / "p.png")]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"nnumpy: warning: {tmp_path / 'p.png'} does not look like one centred glyph ({doubt}): "
        "the prediction is a guess"
    ]
    assert captured.out.count(": class ") == 1


def test_prepare_glyph_keeps_an_mnist_digit_as_it_is():
    from nnumpy.cli._imageprep import prepare_glyph

    X, _ = load("mnist-sample", split="test")
    for x in X[:20, 0]:
        field, notes, doubts = prepare_glyph(x, 28)
        assert doubts == [] and not any("inverted" in n for n in notes)
        assert np.corrcoef(field.ravel(), x.ravel())[0, 1] > 0.9  # MNIST digits are already in this form


@pytest.mark.parametrize("invert", ["auto", "yes", "no"])
def test_prepare_glyph_polarity(invert):
    from nnumpy.cli._imageprep import prepare_glyph

    paper = np.ones((90, 120), dtype=np.float32)
    paper[60:85, 90:100] = 0.1  # a dark bar in the lower right corner
    field, notes, doubts = prepare_glyph(paper, 28, invert)
    inverted = any("inverted" in n for n in notes)
    assert inverted == (invert != "no")
    if inverted:
        assert doubts == []
        assert field.max() == pytest.approx(1.0, abs=0.05)
        centre = np.argwhere(field > 0.5).mean(axis=0)
        assert np.abs(centre - 14).max() <= 1  # the bar's centre of mass at the centre
        assert (field > 0.5).any(axis=1).sum() == 20  # its longer side in the 20 px box
    else:  # light ink expected: the white paper is the background, and nothing is lighter than it
        assert doubts == ["almost no ink"]
